import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateFunctionCommand, DeleteFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateHostedZoneCommand, DeleteHostedZoneCommand, Route53Client } from "@aws-sdk/client-route-53";
import { CreateBucketCommand, DeleteBucketCommand, S3Client } from "@aws-sdk/client-s3";
import {
  findLeftovers,
  localStackClientConfig,
  motoEndpoint,
  requireLocalStack,
  type StateResource,
} from "@keyless/testing";
import { storedZip } from "../../support/zip";

describe("harness: findLeftovers lists Lambda functions, DynamoDB tables, S3 buckets and Route 53 zones", function () {
  this.timeout(120_000);
  const lambda = new LambdaClient(localStackClientConfig());
  const dynamodb = new DynamoDBClient(localStackClientConfig(motoEndpoint()));
  const s3 = new S3Client({ ...localStackClientConfig(), forcePathStyle: true });
  const route53 = new Route53Client(localStackClientConfig());

  before(async () => requireLocalStack(["lambda", "s3", "route53"]));

  it("finds what the emulators hold on every page of their listings, and nothing once it is deleted", async () => {
    // GIVEN three of each type, made outside any stack, and a snapshot that names them
    const suffix = randomBytes(3).toString("hex");
    const names = [1, 2, 3].map((i) => `keyless-left-${suffix}-${i}`);
    const snapshot: StateResource[] = [];
    const add = (type: string, id: string) =>
      snapshot.push({ type, id, urn: `urn:pulumi:t::p::${type}::${id}`, custom: true });
    const zoneIds: string[] = [];
    try {
      for (const name of names) {
        await lambda.send(
          new CreateFunctionCommand({
            FunctionName: name,
            Role: "arn:aws:iam::000000000000:role/leftovers",
            Runtime: "nodejs20.x",
            Handler: "index.handler",
            Code: { ZipFile: storedZip("index.js", "exports.handler = async () => 1;\n") },
          }),
        );
        add("aws:lambda/function:Function", name);
        await dynamodb.send(
          new CreateTableCommand({
            TableName: name,
            AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
            KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
            BillingMode: "PAY_PER_REQUEST",
          }),
        );
        add("aws:dynamodb/table:Table", name);
        await s3.send(new CreateBucketCommand({ Bucket: name }));
        add("aws:s3/bucket:Bucket", name);
        const zone = await route53.send(
          new CreateHostedZoneCommand({ Name: `${name}.keyless.test`, CallerReference: `${name}-ref` }),
        );
        const zoneId = (zone.HostedZone?.Id ?? "").replace(/^\/hostedzone\//, "");
        zoneIds.push(zoneId);
        add("aws:route53/zone:Zone", zoneId);
      }

      // WHEN the emulators are listed one item per page
      const left = await findLeftovers(snapshot, [], { pageSize: 1 });

      // THEN every one of the twelve is found, on whichever page it was
      const found = left.map((l) => `${l.type} ${l.id}`).sort();
      assert.deepEqual(found, snapshot.map((r) => `${r.type} ${r.id}`).sort());
    } finally {
      for (const name of names) {
        await lambda.send(new DeleteFunctionCommand({ FunctionName: name })).catch(() => undefined);
        await dynamodb.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
        await s3.send(new DeleteBucketCommand({ Bucket: name })).catch(() => undefined);
      }
      for (const id of zoneIds) await route53.send(new DeleteHostedZoneCommand({ Id: id })).catch(() => undefined);
    }

    // WHEN they are deleted THEN nothing is found
    assert.deepEqual(await findLeftovers(snapshot, [], { pageSize: 1 }), []);
  });
});
