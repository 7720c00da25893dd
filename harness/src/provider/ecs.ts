/** aws:ecs TaskDefinition, served by moto's standalone server (LocalStack's open edition has no ECS). */
import { compact, orNotFound, readTags, retagging, str, strings, tagList } from "./properties";
import { ecsSdk } from "./sdk";
import type { HandlerContext, Props, ResourceHandler } from "./types";

const REPLACES = { replaces: true } as const;

async function readTaskDefinition(ctx: HandlerContext, id: string, state: Props): Promise<Props | undefined> {
  const arn = str(state, "arn") ?? id;
  const got = await orNotFound(
    ctx.clients.ecs.send(new ecsSdk.DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ["TAGS"] })),
  );
  const td = got?.taskDefinition;
  if (!td || td.status === "INACTIVE") return undefined;
  return compact({
    id: td.family,
    arn: td.taskDefinitionArn,
    arnWithoutRevision: td.taskDefinitionArn?.replace(/:\d+$/, ""),
    revision: td.revision,
    family: td.family,
    containerDefinitions: readContainers(state["containerDefinitions"], td.containerDefinitions),
    taskRoleArn: td.taskRoleArn,
    executionRoleArn: td.executionRoleArn,
    networkMode: td.networkMode,
    requiresCompatibilities: td.requiresCompatibilities,
    cpu: td.cpu,
    memory: td.memory,
    skipDestroy: state["skipDestroy"] ?? false,
    trackLatest: state["trackLatest"] ?? false,
    ...readTags(got?.tags?.map((t) => ({ Key: t.key, Value: t.value }))),
  });
}

/**
 * The container definitions ECS holds, as JSON text: the program's own text when it means the same (so no spurious
 * diff), else what ECS holds (an import, or a revision that differs from the state).
 */
function readContainers(userText: unknown, fromAws: unknown): string {
  const held = JSON.stringify(fromAws ?? []);
  if (typeof userText !== "string") return held;
  try {
    return JSON.stringify(reduceContainers(JSON.parse(userText))) === JSON.stringify(reduceContainers(fromAws ?? []))
      ? userText
      : held;
  } catch {
    return held;
  }
}

/**
 * Container definitions by meaning, as terraform-provider-aws compares them (`containerDefinitions.reduce`): keys
 * sorted, empty values dropped, `essential` defaulting to true, a container's `cpu` 0 (ECS's default), a port
 * mapping's default `tcp` protocol and host port 0 dropped, environment variables in name order.
 */
function reduceContainers(v: unknown, key = ""): unknown {
  if (Array.isArray(v)) {
    const items = v.map((x) => reduceContainers(x, key)).filter((x) => x !== undefined);
    if (key === "environment") {
      items.sort((a, b) => String((a as Props)["name"]).localeCompare(String((b as Props)["name"])));
    }
    return items.length > 0 ? items : undefined;
  }
  if (v !== null && typeof v === "object") {
    const o = v as Props;
    const out: Props = {};
    for (const k of Object.keys(o).sort()) {
      if (key === "portMappings" && ((k === "protocol" && o[k] === "tcp") || (k === "hostPort" && o[k] === 0)))
        continue;
      if (key === "" && k === "cpu" && o[k] === 0) continue;
      const r = reduceContainers(o[k], k);
      if (r !== undefined) out[k] = r;
    }
    if (key === "" && out["essential"] === undefined && out["name"] !== undefined) out["essential"] = true;
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return v === null || v === "" ? undefined : v;
}

const taskDefinition: ResourceHandler = {
  token: "aws:ecs/taskDefinition:TaskDefinition",
  service: "ecs",
  // Task definitions are immutable: every change but tags registers a new revision (a replacement), as in the real provider.
  properties: {
    family: REPLACES,
    containerDefinitions: { replaces: true, json: true },
    taskRoleArn: REPLACES,
    executionRoleArn: REPLACES,
    networkMode: REPLACES,
    requiresCompatibilities: REPLACES,
    cpu: REPLACES,
    memory: REPLACES,
    skipDestroy: { default: false },
    trackLatest: { default: false },
    tags: {},
  },
  validate(inputs) {
    const failures: Array<{ property: string; reason: string }> = [];
    if (inputs["family"] === undefined) failures.push({ property: "family", reason: "`family` is required." });
    if (typeof inputs["containerDefinitions"] === "string") {
      try {
        if (!Array.isArray(JSON.parse(inputs["containerDefinitions"]))) throw new Error("not a list");
      } catch {
        failures.push({ property: "containerDefinitions", reason: "`containerDefinitions` must be a JSON array." });
      }
    }
    return failures;
  },
  async create(ctx, inputs) {
    const got = await ctx.clients.ecs.send(
      new ecsSdk.RegisterTaskDefinitionCommand({
        family: str(inputs, "family"),
        containerDefinitions: JSON.parse(str(inputs, "containerDefinitions") ?? "[]"),
        taskRoleArn: str(inputs, "taskRoleArn"),
        executionRoleArn: str(inputs, "executionRoleArn"),
        networkMode: str(inputs, "networkMode") as never,
        requiresCompatibilities: strings(inputs, "requiresCompatibilities") as never,
        cpu: str(inputs, "cpu"),
        memory: str(inputs, "memory"),
        tags:
          inputs["tags"] === undefined
            ? undefined
            : tagList(inputs["tags"]).map((t) => ({ key: t.Key, value: t.Value })),
      }),
    );
    const td = got.taskDefinition;
    const state = { ...inputs, arn: td?.taskDefinitionArn };
    return { id: td?.family as string, outs: (await readTaskDefinition(ctx, td?.family as string, state)) ?? state };
  },
  read: readTaskDefinition,
  async update(ctx, id, olds, news) {
    const arn = str(olds, "arn") as string;
    await retagging(
      olds,
      news,
      (tags) =>
        ctx.clients.ecs.send(
          new ecsSdk.TagResourceCommand({ resourceArn: arn, tags: tags.map((t) => ({ key: t.Key, value: t.Value })) }),
        ),
      (tagKeys) => ctx.clients.ecs.send(new ecsSdk.UntagResourceCommand({ resourceArn: arn, tagKeys })),
    );
    return (await readTaskDefinition(ctx, id, { ...olds, ...news })) ?? { ...olds, ...news };
  },
  async delete(ctx, _id, state) {
    if (state["skipDestroy"] === true) return;
    await orNotFound(
      ctx.clients.ecs.send(new ecsSdk.DeregisterTaskDefinitionCommand({ taskDefinition: str(state, "arn") })),
    );
  },
};

export const ecsHandlers: readonly ResourceHandler[] = [taskDefinition];
