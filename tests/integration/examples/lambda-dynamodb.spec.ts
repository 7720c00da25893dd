import assert from "node:assert/strict";
import { DescribeTableCommand, DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { GetRoleCommand, IAMClient, UpdateAssumeRolePolicyCommand } from "@aws-sdk/client-iam";
import { GetFunctionConfigurationCommand, LambdaClient } from "@aws-sdk/client-lambda";
import {
  assertRoleTrusts,
  invokeLambdaLocally,
  LambdaServiceError,
  localStackClientConfig,
  motoEndpoint,
  startLambdaRuntime,
  startSigningRecorder,
} from "@keyless/testing";
import { attachedPolicyArns, grants, inlineStatements, runExampleJourney } from "./support";

const EC2_ONLY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

describe("examples/lambda-dynamodb", function () {
  this.timeout(300_000);

  it("gives the function a role that may put and get items in its table and write its own logs, and its handler runs under it", async () => {
    await runExampleJourney({
      example: "lambda-dynamodb",
      services: ["iam", "sts", "lambda", "logs"],
      config: { greeting: "hi" },
      async verify(out) {
        const table = out["tableName"] as string;
        const role = out["roleName"] as string;
        const functionArn = out["functionArn"] as string;

        const described = await new DynamoDBClient(localStackClientConfig(motoEndpoint())).send(
          new DescribeTableCommand({ TableName: table }),
        );
        const tableArn = described.Table?.TableArn as string;
        assert.match(tableArn, /^arn:aws:dynamodb:us-east-1:000000000000:table\//);
        assert.deepEqual(described.Table?.KeySchema, [{ AttributeName: "id", KeyType: "HASH" }]);

        const fn = await new LambdaClient(localStackClientConfig()).send(
          new GetFunctionConfigurationCommand({ FunctionName: functionArn }),
        );
        assert.equal(fn.Role?.split("/").pop(), role);
        assert.deepEqual(fn.Environment?.Variables, { TABLE_NAME: table, GREETING: "hi" });
        assert.equal(fn.State, "Active");

        await assertRoleTrusts(role, "lambda.amazonaws.com");
        const logGroup = `arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/${fn.FunctionName}`;
        assert.deepEqual(grants(await inlineStatements(role)), [
          `dynamodb:GetItem ${tableArn}`,
          `dynamodb:PutItem ${tableArn}`,
          `logs:CreateLogStream ${logGroup}:*`,
          `logs:PutLogEvents ${logGroup}:*`,
        ]);
        // No AWSLambdaBasicExecutionRole: it would allow every log group in the account.
        assert.deepEqual(await attachedPolicyArns(role), []);

        // The handler runs as Lambda runs it: its code and environment read back from Lambda, the execution role's
        // session in its environment, its DynamoDB calls through a recorder in front of moto.
        const dynamodb = new DynamoDBClient(localStackClientConfig(motoEndpoint()));
        const recorder = await startSigningRecorder({ upstream: motoEndpoint() });
        const runtime = await startLambdaRuntime(functionArn, { dynamodbEndpoint: recorder.endpoint });
        try {
          const visit = await runtime.invoke({ id: "visitor-1" });
          assert.equal(visit.functionError, undefined, visit.logs);
          assert.deepEqual(visit.payload, { id: "visitor-1", greeting: fn.Environment?.Variables?.["GREETING"] });
          assert.equal(
            runtime.session?.assumedRoleArn,
            `arn:aws:sts::000000000000:assumed-role/${role}/${fn.FunctionName}`,
          );
          // PutItem and GetItem, each signed by the session Lambda delivered and by no other key.
          assert.deepEqual(
            recorder.calls.map((c) => c.operation),
            ["DynamoDB_20120810.PutItem", "DynamoDB_20120810.GetItem"],
          );
          assert.deepEqual(
            recorder.calls.map((c) => c.keyFingerprint),
            recorder.calls.map(() => runtime.session?.accessKeyIdSha256),
          );
        } finally {
          await runtime.stop();
          await recorder.stop();
        }
        const item = await dynamodb.send(new GetItemCommand({ TableName: table, Key: { id: { S: "visitor-1" } } }));
        assert.equal(item.Item?.["greeting"]?.S, "hi");
        assert.ok(!Number.isNaN(Date.parse(item.Item?.["at"]?.S ?? "")), "the handler must have written `at`");

        // Once the role trusts EC2 only, Lambda cannot assume it: the invoke fails as Lambda's does, and no code runs.
        const iam = new IAMClient(localStackClientConfig());
        const trust = decodeURIComponent(
          (await iam.send(new GetRoleCommand({ RoleName: role }))).Role?.AssumeRolePolicyDocument ?? "",
        );
        await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: role, PolicyDocument: EC2_ONLY }));
        try {
          await assert.rejects(
            invokeLambdaLocally(functionArn, { id: "visitor-2" }),
            (err) =>
              err instanceof LambdaServiceError &&
              err.code === "AccessDeniedException" &&
              err.statusCode === 403 &&
              err.message === "The role defined for the function cannot be assumed by Lambda.",
          );
        } finally {
          await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: role, PolicyDocument: trust }));
        }
        const none = await dynamodb.send(new GetItemCommand({ TableName: table, Key: { id: { S: "visitor-2" } } }));
        assert.equal(none.Item, undefined);
      },
    });
  });
});
