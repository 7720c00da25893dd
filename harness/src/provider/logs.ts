/**
 * aws:cloudwatch LogGroup, on LocalStack. The name (or prefix) and the log group class replace the group; retention,
 * KMS key and tags change in place. `arn` is reported without the `:*` suffix CloudWatch Logs appends, as the real
 * provider does, so policies name streams with `${arn}:*`.
 */
import { compact, num, orNotFound, retagging, str } from "./properties";
import { logsSdk } from "./sdk";
import type { HandlerContext, Props, ResourceHandler } from "./types";

async function readLogGroup(ctx: HandlerContext, id: string, state: Props): Promise<Props | undefined> {
  const logs = ctx.clients.logs;
  let token: string | undefined;
  do {
    const page = await logs.send(new logsSdk.DescribeLogGroupsCommand({ logGroupNamePrefix: id, nextToken: token }));
    const g = page.logGroups?.find((x) => x.logGroupName === id);
    if (g) {
      const arn = (g.arn ?? "").replace(/:\*$/, "");
      const tags =
        (await orNotFound(logs.send(new logsSdk.ListTagsForResourceCommand({ resourceArn: arn }))))?.tags ?? {};
      return compact({
        id,
        name: id,
        namePrefix: state["namePrefix"],
        arn,
        retentionInDays: g.retentionInDays ?? 0,
        kmsKeyId: g.kmsKeyId,
        logGroupClass: g.logGroupClass ?? "STANDARD",
        skipDestroy: state["skipDestroy"] ?? false,
        tags: Object.keys(tags).length > 0 ? tags : undefined,
        tagsAll: tags,
      });
    }
    token = page.nextToken;
  } while (token);
  return undefined;
}

async function applyRetention(ctx: HandlerContext, name: string, days: number | undefined): Promise<void> {
  // 0 (the default) is "never expire": no retention policy.
  if (days !== undefined && days > 0) {
    await ctx.clients.logs.send(new logsSdk.PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: days }));
  } else {
    await orNotFound(ctx.clients.logs.send(new logsSdk.DeleteRetentionPolicyCommand({ logGroupName: name })));
  }
}

const logGroup: ResourceHandler = {
  token: "aws:cloudwatch/logGroup:LogGroup",
  service: "logs",
  properties: {
    name: { replaces: true },
    namePrefix: { replaces: true },
    retentionInDays: { default: 0 },
    kmsKeyId: {},
    logGroupClass: { replaces: true, default: "STANDARD" },
    skipDestroy: { default: false },
    tags: {},
  },
  autoName: { property: "name", maxLength: 512 },
  async create(ctx, inputs) {
    const name = str(inputs, "name") as string;
    await ctx.clients.logs.send(
      new logsSdk.CreateLogGroupCommand({
        logGroupName: name,
        kmsKeyId: str(inputs, "kmsKeyId"),
        logGroupClass: str(inputs, "logGroupClass") as never,
        tags: inputs["tags"] as Record<string, string> | undefined,
      }),
    );
    await applyRetention(ctx, name, num(inputs, "retentionInDays"));
    return { id: name, outs: (await readLogGroup(ctx, name, inputs)) ?? {} };
  },
  read: readLogGroup,
  async update(ctx, id, olds, news, changed) {
    const logs = ctx.clients.logs;
    if (changed.includes("retentionInDays")) await applyRetention(ctx, id, num(news, "retentionInDays"));
    if (changed.includes("kmsKeyId")) {
      const kmsKeyId = str(news, "kmsKeyId");
      if (kmsKeyId) await logs.send(new logsSdk.AssociateKmsKeyCommand({ logGroupName: id, kmsKeyId }));
      else await logs.send(new logsSdk.DisassociateKmsKeyCommand({ logGroupName: id }));
    }
    if (changed.includes("tags")) {
      const resourceArn = str(olds, "arn") as string;
      await retagging(
        olds,
        news,
        (tags) =>
          logs.send(
            new logsSdk.TagResourceCommand({
              resourceArn,
              tags: Object.fromEntries(tags.map((t) => [t.Key, t.Value])),
            }),
          ),
        (tagKeys) => logs.send(new logsSdk.UntagResourceCommand({ resourceArn, tagKeys })),
      );
    }
    return (await readLogGroup(ctx, id, news)) ?? {};
  },
  async delete(ctx, id, state) {
    // The real provider only forgets a group with skipDestroy: its logs outlive the stack.
    if (state["skipDestroy"] === true) return;
    await orNotFound(ctx.clients.logs.send(new logsSdk.DeleteLogGroupCommand({ logGroupName: id })));
  },
};

export const logsHandlers: readonly ResourceHandler[] = [logGroup];
