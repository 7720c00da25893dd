import assert from "node:assert/strict";
import { DescribeTableCommand, DynamoDBClient, ListTagsOfResourceCommand } from "@aws-sdk/client-dynamodb";
import { localStackClientConfig, motoEndpoint, StackRunError } from "@keyless/testing";
import * as aws from "@pulumi/aws";
import { opsOf, withProviderStack } from "./support";

describe("provider: aws:dynamodb Table against moto", function () {
  this.timeout(240_000);
  const dynamodb = new DynamoDBClient(localStackClientConfig(motoEndpoint()));

  async function describeTable(name: string) {
    const t = (await dynamodb.send(new DescribeTableCommand({ TableName: name }))).Table;
    const tags = (await dynamodb.send(new ListTagsOfResourceCommand({ ResourceArn: t?.TableArn }))).Tags ?? [];
    return { t, tags: Object.fromEntries(tags.map((x) => [x.Key, x.Value])) };
  }

  it("creates, updates billing and tags in place, replaces on a new hash key, destroys with nothing left", async () => {
    // GIVEN a provisioned table whose keys, billing and tags change per stage
    const stage = {
      hashKey: "pk",
      billing: "PROVISIONED" as "PROVISIONED" | "PAY_PER_REQUEST",
      tags: { team: "a" } as Record<string, string>,
    };
    const program = async () => {
      const table = new aws.dynamodb.Table("items", {
        attributes: [
          { name: stage.hashKey, type: "S" },
          { name: "sk", type: "N" },
        ],
        hashKey: stage.hashKey,
        rangeKey: "sk",
        billingMode: stage.billing,
        ...(stage.billing === "PROVISIONED" ? { readCapacity: 2, writeCapacity: 3 } : {}),
        tags: stage.tags,
      });
      return { name: table.name, arn: table.arn, id: table.id };
    };
    await withProviderStack({ program }, async (t, seen) => {
      // WHEN it is deployed
      const up1 = await t.up();
      seen(await t.resources());
      const out1 = up1.outputs as Record<string, string>;
      const name1 = out1["name"] as string;

      // THEN moto holds the table, auto-named, with LocalStack's account id in its ARN (MOTO_ACCOUNT_ID)
      assert.match(name1, /^items-[a-z0-9]{7}$/);
      assert.equal(out1["id"], name1);
      assert.equal(out1["arn"], `arn:aws:dynamodb:us-east-1:000000000000:table/${name1}`);
      const first = await describeTable(name1);
      assert.equal(first.t?.TableStatus, "ACTIVE");
      assert.equal(first.t?.TableArn, out1["arn"]);
      assert.deepEqual(first.t?.KeySchema, [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ]);
      assert.equal(first.t?.ProvisionedThroughput?.ReadCapacityUnits, 2);
      assert.equal(first.t?.ProvisionedThroughput?.WriteCapacityUnits, 3);
      assert.deepEqual(first.tags, { team: "a" });

      // WHEN nothing changes THEN nothing happens
      assert.deepEqual(opsOf((await t.up()).steps, "items"), ["same"]);

      // WHEN billing turns on-demand and the tags change THEN the table is updated in place
      stage.billing = "PAY_PER_REQUEST";
      stage.tags = { team: "b", env: "test" };
      const up2 = await t.up();
      assert.deepEqual(opsOf(up2.steps, "items"), ["update"]);
      assert.equal(up2.outputs["name"], name1);
      const second = await describeTable(name1);
      assert.equal(second.t?.BillingModeSummary?.BillingMode, "PAY_PER_REQUEST");
      assert.deepEqual(second.tags, { team: "b", env: "test" });
      // AND neither the next up nor a refresh sees drift (capacities read back 0, as the real provider reads them)
      assert.deepEqual(opsOf((await t.up()).steps, "items"), ["same"]);
      assert.deepEqual((await t.refresh()).drift, [], "the refresh reads back what the state holds");
      assert.deepEqual(opsOf((await t.preview()).steps, "items"), ["same"]);

      // WHEN the hash key changes THEN a new table replaces the old one (created first: the name is auto-named)
      stage.hashKey = "id";
      const up3 = await t.up();
      seen(await t.resources());
      assert.deepEqual(opsOf(up3.steps, "items"), ["create-replacement", "replace", "delete-replaced"]);
      const name3 = up3.outputs["name"] as string;
      assert.notEqual(name3, name1);
      const third = await describeTable(name3);
      assert.equal(third.t?.KeySchema?.[0]?.AttributeName, "id");
      assert.equal(third.t?.BillingModeSummary?.BillingMode, "PAY_PER_REQUEST");
      await assert.rejects(describeTable(name1), (err: Error) => err.name === "ResourceNotFoundException");

      // WHEN the stack is destroyed THEN the table is gone (withProviderStack also lists the tables)
      const destroyed = await t.destroy();
      assert.deepEqual(opsOf(destroyed.steps, "items"), ["delete"]);
      await assert.rejects(describeTable(name3), (err: Error) => err.name === "ResourceNotFoundException");
    });
  });

  it("refuses a provisioned table without capacity, and a key missing from the attributes, naming the property", async () => {
    const program = async () =>
      void new aws.dynamodb.Table("bad", {
        attributes: [{ name: "pk", type: "S" }],
        hashKey: "pk",
        rangeKey: "sk",
        billingMode: "PROVISIONED",
        writeCapacity: 1,
      });
    await withProviderStack({ program }, async (t) => {
      await assert.rejects(t.preview(), (err: unknown) => {
        assert.ok(err instanceof StackRunError, String(err));
        assert.match(err.message, /`readCapacity` \(at least 1\) is required when `billingMode` is PROVISIONED/);
        assert.match(err.message, /`rangeKey` sk must also be defined in `attributes`/);
        return true;
      });
    });
  });
});
