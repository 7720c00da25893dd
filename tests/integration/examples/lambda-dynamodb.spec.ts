import assert from "node:assert/strict";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetFunctionConfigurationCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { assertRoleTrusts, localStackClientConfig, motoEndpoint } from "@keyless/testing";
import { attachedPolicyArns, grants, inlineStatements, runExampleJourney } from "./support";

describe("examples/lambda-dynamodb", function () {
  this.timeout(300_000);

  it("gives the function a role that may put and get items in its table and write its own logs", async () => {
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
      },
    });
  });
});
