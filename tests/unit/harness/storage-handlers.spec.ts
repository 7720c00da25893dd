import assert from "node:assert/strict";
import { RESOURCE_HANDLERS } from "@keyless/testing";

type Failure = { property: string; reason: string };

function handler(token: string) {
  const h = RESOURCE_HANDLERS.get(token);
  assert.ok(h, `${token} is served`);
  return h;
}

/** The properties a handler's validation names, for inputs after Check's defaults. */
function failingProperties(token: string, inputs: Record<string, unknown>): string[] {
  return ((handler(token).validate?.(inputs) ?? []) as Failure[]).map((f) => f.property);
}

describe("harness: DynamoDB, S3 and Route 53 handlers (validation and diff rules)", () => {
  const TABLE = "aws:dynamodb/table:Table";
  const BUCKET = "aws:s3/bucket:Bucket";
  const ZONE = "aws:route53/zone:Zone";
  const happyTable = {
    name: "t",
    attributes: [
      { name: "pk", type: "S" },
      { name: "sk", type: "N" },
    ],
    hashKey: "pk",
    rangeKey: "sk",
    billingMode: "PROVISIONED",
    readCapacity: 1,
    writeCapacity: 1,
  };

  it("accepts a well-formed table, provisioned or on demand", () => {
    assert.deepEqual(failingProperties(TABLE, happyTable), []);
    const { readCapacity: _r, writeCapacity: _w, ...onDemand } = happyTable;
    assert.deepEqual(failingProperties(TABLE, { ...onDemand, billingMode: "PAY_PER_REQUEST" }), []);
  });

  it("names the property of each table mistake", () => {
    assert.deepEqual(failingProperties(TABLE, { ...happyTable, hashKey: undefined }), ["hashKey", "attributes"]);
    assert.deepEqual(failingProperties(TABLE, { ...happyTable, rangeKey: "other" }), ["rangeKey", "attributes"]);
    assert.deepEqual(
      failingProperties(TABLE, { ...happyTable, attributes: [...happyTable.attributes, { name: "x", type: "S" }] }),
      ["attributes"],
    );
    assert.deepEqual(
      failingProperties(TABLE, {
        ...happyTable,
        attributes: [{ name: "pk", type: "STRING" }, happyTable.attributes[1]],
      }),
      ["attributes[0].type"],
    );
    assert.deepEqual(failingProperties(TABLE, { ...happyTable, billingMode: "ON_DEMAND" }), ["billingMode"]);
    assert.deepEqual(failingProperties(TABLE, { ...happyTable, readCapacity: undefined }), ["readCapacity"]);
    assert.deepEqual(failingProperties(TABLE, { ...happyTable, billingMode: "PAY_PER_REQUEST", writeCapacity: 5 }), [
      "readCapacity",
      "writeCapacity",
    ]);
  });

  // What replaces a table is checked against the real provider's schema in real-provider-replacements.spec.ts.
  it("defaults billingMode to PROVISIONED, as the real provider does", () => {
    assert.equal(handler(TABLE).properties["billingMode"]?.default, "PROVISIONED");
  });

  it("refuses bucket names and prefixes S3 would refuse, naming the property", () => {
    assert.deepEqual(failingProperties(BUCKET, { bucket: "reports-1a2b3c4" }), []);
    assert.deepEqual(failingProperties(BUCKET, { bucket: "Reports" }), ["bucket"]);
    assert.deepEqual(failingProperties(BUCKET, { bucket: "ab" }), ["bucket"]);
    assert.deepEqual(failingProperties(BUCKET, { bucketPrefix: "x".repeat(38) }), ["bucketPrefix"]);
    assert.deepEqual(failingProperties(BUCKET, { bucketPrefix: "logs-" }), []);
    const auto = handler(BUCKET).autoName;
    assert.deepEqual(auto, { property: "bucket", maxLength: 63, prefix: "bucketPrefix", lowercase: true });
  });

  it("does not replace a zone whose name differs only by case or a trailing dot", () => {
    const h = handler(ZONE);
    const changes = ["name", "comment"];
    const replaces = ["name"];
    h.adjustDiff?.({ name: "Example.test" }, { name: "example.test." }, changes, replaces);
    assert.deepEqual(changes, ["comment"]);
    assert.deepEqual(replaces, []);
    const renamed = { changes: ["name"], replaces: ["name"] };
    h.adjustDiff?.({ name: "a.test" }, { name: "b.test" }, renamed.changes, renamed.replaces);
    assert.deepEqual(renamed, { changes: ["name"], replaces: ["name"] });
    assert.equal(h.properties["comment"]?.default, "Managed by Pulumi");
  });
});
