/**
 * aws:lambda Function, on LocalStack's own Lambda control plane. LocalStack runs with keyless's control-plane-only
 * runtime executor (tools/localstack-lambda-executor), so a version needs no Docker to become Active: create, update
 * (configuration, code, tags) and delete follow the real provider, which waits after each change until the function
 * is Active and its last update Successful. Invoking a function needs Docker and is not supported.
 */
import type { FunctionConfiguration } from "@aws-sdk/client-lambda";
import { compact, num, obj, orNotFound, retagging, retryOn, str, strings } from "./properties";
import { lambdaSdk } from "./sdk";
import type { HandlerContext, Props, ResourceHandler } from "./types";
import { archiveToZip } from "./zip";

/** How long a function may take to become Active / finish an update before the operation fails. */
export const LAMBDA_READY_TIMEOUT_MS = 120_000;

/** Properties UpdateFunctionConfiguration applies; `code` and `architectures` go through UpdateFunctionCode. */
const CONFIGURATION = ["role", "runtime", "handler", "description", "timeout", "memorySize", "environment"];

/**
 * What Lambda holds for the function. Only what GetFunction cannot return comes from the state, as in the real
 * provider: the deployment package (`code`: Lambda reports its hash and size, `sourceCodeHash` and `sourceCodeSize`,
 * never the archive) and `publish`, a setting of the provider's own.
 */
async function readFunction(ctx: HandlerContext, id: string, state: Props): Promise<Props | undefined> {
  const got = await orNotFound(ctx.clients.lambda.send(new lambdaSdk.GetFunctionCommand({ FunctionName: id })));
  const c = got?.Configuration;
  if (!c) return undefined;
  const vars = c.Environment?.Variables;
  return compact({
    code: state["code"],
    publish: state["publish"] ?? false,
    id: c.FunctionName,
    name: c.FunctionName,
    arn: c.FunctionArn,
    invokeArn: `arn:aws:apigateway:${ctx.region}:lambda:path/2015-03-31/functions/${c.FunctionArn}/invocations`,
    qualifiedArn: `${c.FunctionArn}:${c.Version ?? "$LATEST"}`,
    version: c.Version,
    role: c.Role,
    runtime: c.Runtime,
    handler: c.Handler,
    description: c.Description ?? "",
    timeout: c.Timeout,
    memorySize: c.MemorySize,
    packageType: c.PackageType,
    architectures: c.Architectures,
    sourceCodeHash: c.CodeSha256,
    sourceCodeSize: c.CodeSize,
    lastModified: c.LastModified,
    // No variables reads as no `environment` block, as the real provider flattens it.
    environment: vars && Object.keys(vars).length > 0 ? { variables: vars } : undefined,
    tags: got?.Tags && Object.keys(got.Tags).length > 0 ? got.Tags : undefined,
    tagsAll: got?.Tags ?? {},
  });
}

/**
 * Waits, bounded, until the function is Active and its last update is no longer in progress, as the real provider's
 * `waitFunctionCreated` / `waitFunctionUpdated` do. A `Failed` state or update fails with AWS's reason.
 */
export async function waitUntilReady(
  ctx: HandlerContext,
  name: string,
  timeoutMs = LAMBDA_READY_TIMEOUT_MS,
): Promise<FunctionConfiguration> {
  const deadline = Date.now() + timeoutMs;
  let last: FunctionConfiguration | undefined;
  for (let i = 0; ; i++) {
    last = await ctx.clients.lambda.send(new lambdaSdk.GetFunctionConfigurationCommand({ FunctionName: name }));
    if (last.State === "Failed") {
      throw new Error(`Lambda function ${name} is Failed: ${last.StateReasonCode ?? ""} ${last.StateReason ?? ""}`);
    }
    if (last.LastUpdateStatus === "Failed") {
      throw new Error(
        `Lambda function ${name}: the last update failed: ${last.LastUpdateStatusReasonCode ?? ""} ` +
          `${last.LastUpdateStatusReason ?? ""}`,
      );
    }
    if (last.State === "Active" && last.LastUpdateStatus !== "InProgress") return last;
    if (Date.now() >= deadline) {
      throw new Error(
        `Lambda function ${name} was not ready after ${timeoutMs / 1000} s (State ${last.State}, LastUpdateStatus ` +
          `${last.LastUpdateStatus}). Is LocalStack running with LAMBDA_RUNTIME_EXECUTOR=keyless-control-plane ` +
          "(`npm run localstack -- start`)?",
      );
    }
    await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** i)));
  }
}

function environmentOf(p: Props): Record<string, string> | undefined {
  return obj(p, "environment")?.["variables"] as Record<string, string> | undefined;
}

async function retag(ctx: HandlerContext, arn: string, olds: Props, news: Props): Promise<void> {
  await retagging(
    olds,
    news,
    (tags) =>
      ctx.clients.lambda.send(
        new lambdaSdk.TagResourceCommand({
          Resource: arn,
          Tags: Object.fromEntries(tags.map((t) => [t.Key, t.Value])),
        }),
      ),
    (TagKeys) => ctx.clients.lambda.send(new lambdaSdk.UntagResourceCommand({ Resource: arn, TagKeys })),
  );
}

const lambdaFunction: ResourceHandler = {
  token: "aws:lambda/function:Function",
  service: "lambda",
  properties: {
    name: { replaces: true },
    role: {},
    runtime: {},
    handler: {},
    code: {},
    description: {},
    timeout: { default: 3 },
    memorySize: { default: 128 },
    packageType: { replaces: true, default: "Zip" },
    // Terraform `Optional` + `Computed`: Lambda reports x86_64 when the program names none.
    architectures: { computed: true },
    environment: { fields: ["variables"] },
    publish: { default: false },
    tags: {},
  },
  autoName: { property: "name", maxLength: 64 },
  validate(inputs) {
    return inputs["role"] === undefined
      ? [{ property: "role", reason: "aws:lambda/function:Function requires `role`." }]
      : [];
  },
  async create(ctx, inputs) {
    const name = str(inputs, "name") as string;
    const environment = environmentOf(inputs);
    // A just-created role may not be assumable yet on AWS ("The role defined for the function cannot be assumed").
    await retryOn(["InvalidParameterValueException"], () =>
      ctx.clients.lambda.send(
        new lambdaSdk.CreateFunctionCommand({
          FunctionName: name,
          Role: str(inputs, "role"),
          Runtime: str(inputs, "runtime") as never,
          Handler: str(inputs, "handler"),
          Description: str(inputs, "description"),
          Timeout: num(inputs, "timeout"),
          MemorySize: num(inputs, "memorySize"),
          PackageType: "Zip",
          Architectures: strings(inputs, "architectures") as never,
          Publish: inputs["publish"] === true,
          Environment: environment ? { Variables: environment } : undefined,
          Code: { ZipFile: archiveToZip(inputs["code"]) },
          Tags: inputs["tags"] as Record<string, string> | undefined,
        }),
      ),
    );
    await waitUntilReady(ctx, name);
    return { id: name, outs: (await readFunction(ctx, name, inputs)) ?? {} };
  },
  read: readFunction,
  async update(ctx, id, olds, news, changed) {
    const lambda = ctx.clients.lambda;
    const configured = changed.some((k) => CONFIGURATION.includes(k));
    if (configured) {
      // A role just created may not be assumable yet on AWS, as at create time.
      await retryOn(["InvalidParameterValueException"], () =>
        lambda.send(
          new lambdaSdk.UpdateFunctionConfigurationCommand({
            FunctionName: id,
            Role: str(news, "role"),
            Runtime: str(news, "runtime") as never,
            Handler: str(news, "handler"),
            Description: str(news, "description") ?? "",
            Timeout: num(news, "timeout"),
            MemorySize: num(news, "memorySize"),
            Environment: { Variables: environmentOf(news) ?? {} },
          }),
        ),
      );
      // The code cannot be updated while the configuration update is in progress (ResourceConflictException).
      await waitUntilReady(ctx, id);
    }
    if (changed.includes("code") || changed.includes("architectures")) {
      await lambda.send(
        new lambdaSdk.UpdateFunctionCodeCommand({
          FunctionName: id,
          ZipFile: archiveToZip(news["code"]),
          Architectures: strings(news, "architectures") as never,
          Publish: news["publish"] === true,
        }),
      );
      await waitUntilReady(ctx, id);
    } else if (configured && news["publish"] === true) {
      // UpdateFunctionCode publishes by itself; a configuration change alone is published explicitly.
      await lambda.send(new lambdaSdk.PublishVersionCommand({ FunctionName: id }));
      await waitUntilReady(ctx, id);
    }
    if (changed.includes("tags")) await retag(ctx, str(olds, "arn") as string, olds, news);
    return (await readFunction(ctx, id, news)) ?? {};
  },
  async delete(ctx, id) {
    await orNotFound(ctx.clients.lambda.send(new lambdaSdk.DeleteFunctionCommand({ FunctionName: id })));
  },
};

export const lambdaHandlers: readonly ResourceHandler[] = [lambdaFunction];
