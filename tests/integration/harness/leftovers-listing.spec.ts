import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { CloudWatchLogsClient, CreateLogGroupCommand, DeleteLogGroupCommand } from "@aws-sdk/client-cloudwatch-logs";
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  CreateLaunchTemplateCommand,
  DeleteLaunchTemplateCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { DeregisterTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand } from "@aws-sdk/client-ecs";
import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateInstanceProfileCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteInstanceProfileCommand,
  DeleteOpenIDConnectProviderCommand,
  DeletePolicyCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
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

describe("harness: findLeftovers lists every type the provider implements, page by page", function () {
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
  it("finds IAM, EC2, ECS and CloudWatch Logs resources by listing, including those scoped to a role or a user", async () => {
    // GIVEN two of each, made outside any stack, and a snapshot that names them as the provider would
    const iam = new IAMClient(localStackClientConfig());
    const ec2 = new EC2Client(localStackClientConfig());
    const ecs = new ECSClient(localStackClientConfig(motoEndpoint()));
    const logs = new CloudWatchLogsClient(localStackClientConfig());
    const suffix = randomBytes(3).toString("hex");
    const snapshot: StateResource[] = [];
    const add = (type: string, id: string, outputs: Record<string, unknown> = {}) =>
      snapshot.push({ type, id, urn: `urn:pulumi:t::p::${type}::${id}`, custom: true, outputs });
    const cleanups: Array<() => Promise<unknown>> = [];
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
    const doc = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
    });
    try {
      for (const i of [1, 2]) {
        const name = `keyless-left-${suffix}-${i}`;
        await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
        cleanups.push(() => iam.send(new DeleteRoleCommand({ RoleName: name })));
        add("aws:iam/role:Role", name);
        await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "p", PolicyDocument: doc }));
        cleanups.push(() => iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: "p" })));
        add("aws:iam/rolePolicy:RolePolicy", `${name}:p`);
        const policy = await iam.send(new CreatePolicyCommand({ PolicyName: name, PolicyDocument: doc }));
        const policyArn = policy.Policy?.Arn as string;
        cleanups.push(() => iam.send(new DeletePolicyCommand({ PolicyArn: policyArn })));
        add("aws:iam/policy:Policy", policyArn);
        await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: policyArn }));
        cleanups.push(() => iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: policyArn })));
        add("aws:iam/rolePolicyAttachment:RolePolicyAttachment", `${name}-attachment`, { role: name, policyArn });
        await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name }));
        cleanups.push(() => iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: name })));
        add("aws:iam/instanceProfile:InstanceProfile", name);
        await iam.send(new CreateUserCommand({ UserName: name }));
        cleanups.push(() => iam.send(new DeleteUserCommand({ UserName: name })));
        add("aws:iam/user:User", name);
        await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: doc }));
        cleanups.push(() => iam.send(new DeleteUserPolicyCommand({ UserName: name, PolicyName: "p" })));
        add("aws:iam/userPolicy:UserPolicy", `${name}:p`);
        const key = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
        const keyId = key.AccessKey?.AccessKeyId as string;
        cleanups.push(() => iam.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: keyId })));
        add("aws:iam/accessKey:AccessKey", keyId, { user: name });
        const oidc = await iam.send(
          new CreateOpenIDConnectProviderCommand({
            Url: `https://oidc.keyless.test/${name}`,
            ClientIDList: ["sts.amazonaws.com"],
          }),
        );
        const oidcArn = oidc.OpenIDConnectProviderArn as string;
        cleanups.push(() => iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: oidcArn })));
        add("aws:iam/openIdConnectProvider:OpenIdConnectProvider", oidcArn);
        const run = await ec2.send(new RunInstancesCommand({ ImageId: "ami-03cf127a", MinCount: 1, MaxCount: 1 }));
        const instanceId = run.Instances?.[0]?.InstanceId as string;
        cleanups.push(() => ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })));
        add("aws:ec2/instance:Instance", instanceId);
        const lt = await ec2.send(
          new CreateLaunchTemplateCommand({
            LaunchTemplateName: name,
            LaunchTemplateData: { InstanceType: "t3.micro" },
          }),
        );
        const ltId = lt.LaunchTemplate?.LaunchTemplateId as string;
        cleanups.push(() => ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: ltId })));
        add("aws:ec2/launchTemplate:LaunchTemplate", ltId);
        const td = await ecs.send(
          new RegisterTaskDefinitionCommand({
            family: name,
            containerDefinitions: [{ name: "c", image: "busybox", memory: 64 }],
          }),
        );
        const tdArn = td.taskDefinition?.taskDefinitionArn as string;
        cleanups.push(() => ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: tdArn })));
        add("aws:ecs/taskDefinition:TaskDefinition", name, { family: name });
        await logs.send(new CreateLogGroupCommand({ logGroupName: `/keyless/${name}` }));
        cleanups.push(() => logs.send(new DeleteLogGroupCommand({ logGroupName: `/keyless/${name}` })));
        add("aws:cloudwatch/logGroup:LogGroup", `/keyless/${name}`);
      }

      // WHEN the emulators are listed one item per page (five for EC2, its smallest page)
      const left = await findLeftovers(snapshot, [], { pageSize: 1 });

      // THEN every one is found (a task definition is reported by its ACTIVE revision's ARN)
      assert.deepEqual(left.map((l) => l.urn).sort(), snapshot.map((r) => r.urn).sort());
    } finally {
      // Dependents first: the reverse of creation.
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    }

    // WHEN they are deleted THEN nothing is found
    assert.deepEqual(await findLeftovers(snapshot, [], { pageSize: 1 }), []);
  });

  it("with the stack's tag, also finds what no snapshot names: roles, profiles, OIDC providers, instances, templates", async () => {
    const iam = new IAMClient(localStackClientConfig());
    const ec2 = new EC2Client(localStackClientConfig());
    const suffix = randomBytes(3).toString("hex");
    const stackTag = `organization/keyless-left/${suffix}`;
    const component = "keyless:aws:SecureInstance::web";
    const mine = [
      { Key: "keyless:stack", Value: stackTag },
      { Key: "keyless:component", Value: component },
    ];
    const others = [{ Key: "keyless:stack", Value: `${stackTag}-other` }];
    const cleanups: Array<() => Promise<unknown>> = [];
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
    const expected: Array<[string, string]> = [];
    try {
      // GIVEN, outside any state, two of each type tagged for the stack, and one of each tagged for another stack
      for (const [i, Tags] of [mine, mine, others].entries()) {
        const name = `keyless-tagged-${suffix}-${i}`;
        await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust, Tags }));
        cleanups.push(() => iam.send(new DeleteRoleCommand({ RoleName: name })));
        await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name, Tags }));
        cleanups.push(() => iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: name })));
        const oidc = await iam.send(
          new CreateOpenIDConnectProviderCommand({ Url: `https://${name}.example.com`, ClientIDList: ["sts"], Tags }),
        );
        const oidcArn = oidc.OpenIDConnectProviderArn as string;
        cleanups.push(() => iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: oidcArn })));
        const run = await ec2.send(
          new RunInstancesCommand({
            ImageId: "ami-03cf127a",
            MinCount: 1,
            MaxCount: 1,
            TagSpecifications: [{ ResourceType: "instance", Tags }],
          }),
        );
        const instanceId = run.Instances?.[0]?.InstanceId as string;
        cleanups.push(() => ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })));
        const lt = await ec2.send(
          new CreateLaunchTemplateCommand({
            LaunchTemplateName: name,
            LaunchTemplateData: { ImageId: "ami-03cf127a" },
            TagSpecifications: [{ ResourceType: "launch-template", Tags }],
          }),
        );
        const ltId = lt.LaunchTemplate?.LaunchTemplateId as string;
        cleanups.push(() => ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: ltId })));
        if (Tags === mine) {
          expected.push(
            ["aws:iam/role:Role", name],
            ["aws:iam/instanceProfile:InstanceProfile", name],
            ["aws:iam/openIdConnectProvider:OpenIdConnectProvider", oidcArn],
            ["aws:ec2/instance:Instance", instanceId],
            ["aws:ec2/launchTemplate:LaunchTemplate", ltId],
          );
        }
      }

      // WHEN leftovers are listed for an empty snapshot, with the stack's tag, one item per page
      const left = await findLeftovers([], [], { pageSize: 1, stackTag });

      // THEN exactly the stack's own are reported, with no URN and the component that made them
      assert.deepEqual(left.map((l) => [l.type, l.id]).sort(), expected.sort());
      assert.ok(left.every((l) => l.urn === "" && l.component === component));
      // ... and `except` still skips a type
      const noRoles = await findLeftovers([], ["aws:iam/role:Role"], { stackTag });
      assert.equal(noRoles.filter((l) => l.type === "aws:iam/role:Role").length, 0);
    } finally {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    }

    // WHEN they are deleted THEN nothing is found by the tag
    assert.deepEqual(await findLeftovers([], [], { stackTag }), []);
  });
});
