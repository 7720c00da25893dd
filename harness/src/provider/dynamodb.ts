/**
 * aws:dynamodb Table, served by moto's standalone server (LocalStack's DynamoDB needs DynamoDB Local, a jar under a
 * licence that rules it out here). As in the real provider: the name and the keys replace the table; billing mode,
 * capacity and tags change in place (UpdateTable, TagResource/UntagResource); create and update wait until the table
 * is ACTIVE, delete until it is gone.
 */
import type { AttributeDefinition, KeySchemaElement, TableDescription } from "@aws-sdk/client-dynamodb";
import { compact, containsUnknown, num, orNotFound, readTags, retagging, str, tagList } from "./properties";
import { dynamodbSdk } from "./sdk";
import type { HandlerContext, Props, ResourceHandler } from "./types";

/** How long a table may take to become ACTIVE, or to go away, before the operation fails. */
export const TABLE_READY_TIMEOUT_MS = 120_000;

const TOKEN = "aws:dynamodb/table:Table";
const ATTRIBUTE_TYPES = ["S", "N", "B"];
const BILLING_MODES = ["PROVISIONED", "PAY_PER_REQUEST"];

interface Attribute {
  name: string;
  type: string;
}

function attributesOf(p: Props): Attribute[] {
  const v = p["attributes"];
  return Array.isArray(v) ? (v as Attribute[]) : [];
}

function sameAttributes(a: readonly Attribute[], b: readonly Attribute[]): boolean {
  const key = (x: Attribute) => `${x.name}:${x.type}`;
  const sa = new Set(a.map(key));
  return a.length === b.length && b.every((x) => sa.has(key(x)));
}

async function describe(ctx: HandlerContext, name: string): Promise<TableDescription | undefined> {
  return (await orNotFound(ctx.clients.dynamodb.send(new dynamodbSdk.DescribeTableCommand({ TableName: name }))))
    ?.Table;
}

async function waitFor(
  ctx: HandlerContext,
  name: string,
  what: string,
  done: (t: TableDescription | undefined) => boolean,
): Promise<void> {
  const deadline = Date.now() + TABLE_READY_TIMEOUT_MS;
  for (let i = 0; ; i++) {
    const t = await describe(ctx, name);
    if (done(t)) return;
    if (Date.now() >= deadline) {
      throw new Error(
        `DynamoDB table ${name} was not ${what} after ${TABLE_READY_TIMEOUT_MS / 1000} s (status ${t?.TableStatus}).`,
      );
    }
    await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** i)));
  }
}

const active = (t: TableDescription | undefined) => t?.TableStatus === "ACTIVE";

async function readTable(ctx: HandlerContext, id: string, state: Props): Promise<Props | undefined> {
  const t = await describe(ctx, id);
  if (!t || t.TableStatus === "DELETING") return undefined;
  const tags = await ctx.clients.dynamodb.send(new dynamodbSdk.ListTagsOfResourceCommand({ ResourceArn: t.TableArn }));
  const key = (type: string) => t.KeySchema?.find((k) => k.KeyType === type)?.AttributeName;
  const held = (t.AttributeDefinitions ?? []).map((a) => ({
    name: a.AttributeName as string,
    type: a.AttributeType as string,
  }));
  const billingMode = t.BillingModeSummary?.BillingMode ?? "PROVISIONED";
  return compact({
    id: t.TableName,
    name: t.TableName,
    arn: t.TableArn,
    // A set in the real provider: the program's order is kept when it holds the same attributes.
    attributes: sameAttributes(attributesOf(state), held) ? state["attributes"] : held,
    hashKey: key("HASH"),
    rangeKey: key("RANGE"),
    billingMode,
    // The real provider reads 0 for an on-demand table.
    readCapacity: billingMode === "PAY_PER_REQUEST" ? 0 : (t.ProvisionedThroughput?.ReadCapacityUnits ?? 0),
    writeCapacity: billingMode === "PAY_PER_REQUEST" ? 0 : (t.ProvisionedThroughput?.WriteCapacityUnits ?? 0),
    ...readTags(tags.Tags),
  });
}

function throughput(p: Props): { ReadCapacityUnits: number; WriteCapacityUnits: number } | undefined {
  if (str(p, "billingMode") === "PAY_PER_REQUEST") return undefined;
  return { ReadCapacityUnits: num(p, "readCapacity") ?? 0, WriteCapacityUnits: num(p, "writeCapacity") ?? 0 };
}

function validateTable(inputs: Props): Array<{ property: string; reason: string }> {
  const failures: Array<{ property: string; reason: string }> = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason: `${TOKEN}: ${reason}` });
  const hashKey = inputs["hashKey"];
  if (hashKey === undefined) fail("hashKey", "`hashKey` is required here (`keySchema` is not supported).");
  const attributes = inputs["attributes"];
  if (containsUnknown(attributes) || containsUnknown(hashKey) || containsUnknown(inputs["rangeKey"])) return failures;
  const list = attributesOf(inputs);
  if (!Array.isArray(attributes) || list.length === 0) {
    fail("attributes", "`attributes` must list the key attributes, each `{ name, type }`.");
  }
  list.forEach((a, i) => {
    if (!ATTRIBUTE_TYPES.includes(a?.type)) {
      fail(`attributes[${i}].type`, `attribute type must be one of ${ATTRIBUTE_TYPES.join(", ")}; got ${a?.type}.`);
    }
  });
  const keys = [hashKey, inputs["rangeKey"]].filter((k): k is string => typeof k === "string");
  for (const [prop, k] of [
    ["hashKey", hashKey],
    ["rangeKey", inputs["rangeKey"]],
  ] as const) {
    if (typeof k === "string" && !list.some((a) => a?.name === k)) {
      fail(prop, `\`${prop}\` ${k} must also be defined in \`attributes\`.`);
    }
  }
  // Without indexes, DynamoDB accepts attribute definitions for keys only (the real provider says the same at plan).
  const unused = list.filter((a) => !keys.includes(a?.name)).map((a) => a?.name);
  if (keys.length > 0 && unused.length > 0) {
    fail("attributes", `all attributes must be indexed (keys); unused: ${unused.join(", ")}.`);
  }
  const mode = inputs["billingMode"];
  if (typeof mode === "string" && !BILLING_MODES.includes(mode)) {
    fail("billingMode", `\`billingMode\` must be ${BILLING_MODES.join(" or ")}; got ${mode}.`);
  }
  for (const prop of ["readCapacity", "writeCapacity"]) {
    const v = inputs[prop];
    if (containsUnknown(v)) continue;
    if (mode === "PROVISIONED" && (v === undefined || Number(v) < 1)) {
      fail(prop, `\`${prop}\` (at least 1) is required when \`billingMode\` is PROVISIONED.`);
    }
    if (mode === "PAY_PER_REQUEST" && v !== undefined && Number(v) !== 0) {
      fail(prop, `\`${prop}\` cannot be set when \`billingMode\` is PAY_PER_REQUEST.`);
    }
  }
  return failures;
}

const table: ResourceHandler = {
  token: TOKEN,
  service: "dynamodb",
  properties: {
    name: { replaces: true },
    attributes: { fields: ["name", "type"] },
    hashKey: { replaces: true },
    rangeKey: { replaces: true },
    billingMode: { default: "PROVISIONED" },
    // Optional + Computed in the real provider: on-demand tables read back 0.
    readCapacity: { computed: true },
    writeCapacity: { computed: true },
    tags: {},
  },
  autoName: { property: "name", maxLength: 255 },
  validate: validateTable,
  async create(ctx, inputs) {
    const name = str(inputs, "name") as string;
    const keySchema: KeySchemaElement[] = [{ AttributeName: str(inputs, "hashKey"), KeyType: "HASH" }];
    const rangeKey = str(inputs, "rangeKey");
    if (rangeKey) keySchema.push({ AttributeName: rangeKey, KeyType: "RANGE" });
    const definitions: AttributeDefinition[] = attributesOf(inputs).map((a) => ({
      AttributeName: a.name,
      AttributeType: a.type as never,
    }));
    const tags = tagList(inputs["tags"]);
    await ctx.clients.dynamodb.send(
      new dynamodbSdk.CreateTableCommand({
        TableName: name,
        AttributeDefinitions: definitions,
        KeySchema: keySchema,
        BillingMode: str(inputs, "billingMode") as never,
        ProvisionedThroughput: throughput(inputs),
        Tags: tags.length > 0 ? tags : undefined,
      }),
    );
    await waitFor(ctx, name, "ACTIVE", active);
    return { id: name, outs: (await readTable(ctx, name, inputs)) ?? {} };
  },
  read: readTable,
  async update(ctx, id, olds, news, changed) {
    const dynamodb = ctx.clients.dynamodb;
    if (changed.some((k) => k === "billingMode" || k === "readCapacity" || k === "writeCapacity")) {
      await dynamodb.send(
        new dynamodbSdk.UpdateTableCommand({
          TableName: id,
          BillingMode: str(news, "billingMode") as never,
          ProvisionedThroughput: throughput(news),
        }),
      );
      await waitFor(ctx, id, "ACTIVE", active);
    }
    if (changed.includes("tags")) {
      const ResourceArn = str(olds, "arn") as string;
      await retagging(
        olds,
        news,
        (Tags) => dynamodb.send(new dynamodbSdk.TagResourceCommand({ ResourceArn, Tags })),
        (TagKeys) => dynamodb.send(new dynamodbSdk.UntagResourceCommand({ ResourceArn, TagKeys })),
      );
    }
    return (await readTable(ctx, id, news)) ?? {};
  },
  async delete(ctx, id) {
    const deleted = await orNotFound(ctx.clients.dynamodb.send(new dynamodbSdk.DeleteTableCommand({ TableName: id })));
    if (deleted) await waitFor(ctx, id, "deleted", (t) => t === undefined);
  },
};

export const dynamodbHandlers: readonly ResourceHandler[] = [table];
