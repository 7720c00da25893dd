// A function that records visits in one table. Its execution role is trusted by Lambda only and may PutItem and
// GetItem on that table and write to its own log group: the runtime hands the function the role's temporary
// credentials, so the code and its environment hold no key.
import { LambdaExecutionRole } from "@keyless/aws";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();

const table = new aws.dynamodb.Table("visits", {
  attributes: [{ name: "id", type: "S" }],
  hashKey: "id",
  billingMode: "PAY_PER_REQUEST",
});

// Named up front so that its log group exists before it runs: the role then writes to that group only.
const functionName = `visits-${pulumi.getStack()}`.slice(0, 64);
const logGroup = new aws.cloudwatch.LogGroup("visits", { name: `/aws/lambda/${functionName}`, retentionInDays: 14 });

const exec = new LambdaExecutionRole("visits", {
  // AWSLambdaBasicExecutionRole allows every log group; this role writes only its own.
  basicExecution: false,
  statements: [
    { sid: "Items", actions: ["dynamodb:PutItem", "dynamodb:GetItem"], resources: [table.arn] },
    {
      sid: "OwnLogs",
      actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
      resources: [pulumi.interpolate`${logGroup.arn}:*`],
    },
  ],
});

const fn = new aws.lambda.Function(
  "visits",
  {
    name: functionName,
    role: exec.roleArn,
    runtime: "nodejs22.x",
    handler: "index.handler",
    timeout: 10,
    environment: { variables: { TABLE_NAME: table.name, GREETING: config.get("greeting") ?? "hello" } },
    code: new pulumi.asset.AssetArchive({
      // The Node.js runtime ships AWS SDK v3; its default chain reads the execution role's credentials.
      "index.mjs":
        new pulumi.asset.StringAsset(`import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
const db = new DynamoDBClient({});
export const handler = async (event) => {
  const id = String(event?.id ?? "anonymous");
  await db.send(new PutItemCommand({
    TableName: process.env.TABLE_NAME,
    Item: { id: { S: id }, greeting: { S: process.env.GREETING }, at: { S: new Date().toISOString() } },
  }));
  const got = await db.send(new GetItemCommand({ TableName: process.env.TABLE_NAME, Key: { id: { S: id } } }));
  return { id, greeting: got.Item?.greeting?.S };
};
`),
    }),
  },
  { dependsOn: [logGroup] },
);

export const tableName = table.name;
export const functionArn = fn.arn;
export const roleName = exec.roleName;
