import assert from "node:assert/strict";
import path from "node:path";
import {
  EcsTaskRoles,
  InstanceProfile,
  LambdaExecutionRole,
  SecureInstance,
  SecureLaunchTemplate,
  WorkloadRole,
} from "@keyless/aws";
import { type RunResult, StackRunError } from "@keyless/testing";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { fakeAccessKeyId, fakeSecretAccessKey } from "../../support/mocks";
import { withProviderStack } from "./support";

const POLICY_PACK = path.resolve(__dirname, "..", "..", "..", "policy-pack");
const AMI = "ami-03cf127a";
const CODE = new pulumi.asset.AssetArchive({
  "index.mjs": new pulumi.asset.StringAsset("export const handler = async () => ({ ok: true });\n"),
});

/** The note @pulumi/policy records, instead of a verdict, when a policy reads a value unknown during preview. */
const UNDECIDED = /^can't run policy '[\w-]+' from policy pack '[^']+' during preview: /;

/** What the pack reported on each resource, as `<policy> on <resource name>: <message>`. */
function reported(result: RunResult): string[] {
  return result.violations.map((v) => `${v.policyName} on ${v.urn?.split("::").pop()}: ${v.message}`);
}

describe("provider: every keyless component through the keyless-aws pack, at preview", function () {
  this.timeout(240_000);

  it("a stack of every component passes the pack: no violation, only notes for values unknown at preview", async () => {
    const program = async () => {
      const table = new aws.dynamodb.Table("orders", {
        attributes: [{ name: "id", type: "S" }],
        hashKey: "id",
        billingMode: "PAY_PER_REQUEST",
      });
      // an EC2 role and its profile, given to an instance
      const role = new WorkloadRole("app", {
        service: "ec2",
        statements: [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::reports/daily/*"] }],
      });
      const profile = new InstanceProfile("app", { role: role.role });
      new SecureInstance("app", {
        ami: AMI,
        instanceType: "t3.micro",
        instanceProfile: profile.instanceProfile,
        userData: "#!/bin/sh\necho app\n",
      });
      // an instance and a launch template that create their own role and profile
      new SecureInstance("reader", {
        ami: AMI,
        instanceType: "t3.micro",
        permissions: { statements: [{ actions: ["dynamodb:GetItem"], resources: [table.arn] }] },
      });
      new SecureLaunchTemplate("workers", {
        imageId: AMI,
        instanceType: "t3.micro",
        userData: "#!/bin/sh\necho worker\n",
        permissions: {
          statements: [{ actions: ["sqs:ReceiveMessage"], resources: ["arn:aws:sqs:us-east-1:000000000000:jobs"] }],
        },
      });
      // a function with its execution role
      const exec = new LambdaExecutionRole("orders", {
        statements: [{ actions: ["dynamodb:PutItem"], resources: [table.arn] }],
      });
      new aws.lambda.Function("orders", {
        role: exec.roleArn,
        runtime: "nodejs22.x",
        handler: "index.handler",
        code: CODE,
        environment: { variables: { TABLE_NAME: table.name } },
      });
      // a task definition with its task and execution roles
      const roles = new EcsTaskRoles("api", {
        statements: [{ actions: ["sqs:SendMessage"], resources: ["arn:aws:sqs:us-east-1:000000000000:jobs"] }],
      });
      new aws.ecs.TaskDefinition("api", {
        family: "keyless-pack-api",
        taskRoleArn: roles.taskRoleArn,
        executionRoleArn: roles.executionRoleArn,
        containerDefinitions: JSON.stringify([
          { name: "api", image: "public.ecr.aws/nginx/nginx:1.27", essential: true, memory: 128 },
        ]),
      });
    };
    await withProviderStack({ program }, async (t) => {
      // WHEN the stack is previewed with the pack
      const preview = await t.preview({ policyPacks: [POLICY_PACK] });
      // THEN the pack saw every component's children
      const types = new Set(preview.steps.map((s) => s.type));
      for (const type of [
        "keyless:aws:WorkloadRole",
        "keyless:aws:InstanceProfile",
        "keyless:aws:SecureInstance",
        "keyless:aws:SecureLaunchTemplate",
        "keyless:aws:LambdaExecutionRole",
        "keyless:aws:EcsTaskRoles",
        "aws:ec2/instance:Instance",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:iam/instanceProfile:InstanceProfile",
        "aws:lambda/function:Function",
        "aws:ecs/taskDefinition:TaskDefinition",
      ]) {
        assert.ok(types.has(type), `${type} in the preview`);
      }
      // AND reported no violation: all it said is that a value is unknown until the table exists (its ARN in a policy)
      const verdicts = preview.violations.filter((v) => !UNDECIDED.test(v.message));
      assert.deepEqual(verdicts, [], reported(preview).join("\n"));
      for (const v of preview.violations) assert.match(v.message, /value at \.policy can't be known/, v.message);
      assert.deepEqual(
        preview.violations.filter((v) => v.enforcementLevel === "mandatory"),
        [],
      );
      assert.deepEqual(await t.resources(), [], "a preview deploys nothing");
    });
  });

  it("user data and a function environment carrying a key fail the preview, and no message holds the key", async () => {
    // a key generated now, shaped as AWS issues them (never committed)
    const keyId = fakeAccessKeyId();
    const secret = fakeSecretAccessKey();
    const program = async () => {
      const profile = new InstanceProfile("leaky", {});
      new aws.ec2.Instance("leaky", {
        ami: AMI,
        instanceType: "t3.micro",
        iamInstanceProfile: profile.instanceProfileName,
        metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
        userData: `#!/bin/bash\nexport AWS_ACCESS_KEY_ID=${keyId}\nexport AWS_SECRET_ACCESS_KEY=${secret}\n`,
      });
      const exec = new LambdaExecutionRole("leaky", {});
      new aws.lambda.Function("leaky", {
        role: exec.roleArn,
        runtime: "nodejs22.x",
        handler: "index.handler",
        code: CODE,
        environment: { variables: { AWS_ACCESS_KEY_ID: keyId, AWS_SECRET_ACCESS_KEY: secret } },
      });
    };
    await withProviderStack({ program }, async (t) => {
      await assert.rejects(t.preview({ policyPacks: [POLICY_PACK] }), (err: unknown) => {
        assert.ok(err instanceof StackRunError, String(err));
        // THEN exactly the two credential policies fail, each on its resource
        const mandatory = err.result.violations
          .filter((v) => v.enforcementLevel === "mandatory")
          .map((v) => `${v.policyName} on ${v.urn?.split("::").pop()}`)
          .sort();
        assert.deepEqual(
          [...new Set(mandatory)],
          ["no-static-credentials-in-environment on leaky", "no-static-credentials-in-user-data on leaky"],
          reported(err.result).join("\n"),
        );
        // AND neither the violations, the diagnostics nor the error holds the key id or the secret
        const said = [
          err.message,
          ...err.result.violations.map((v) => v.message),
          ...err.result.diagnostics.map((d) => d.message),
        ].join("\n");
        assert.ok(!said.includes(keyId) && !said.includes(secret), "the pack's output must not hold the key");
        assert.match(said, /no-static-credentials-in-user-data/);
        return true;
      });
      assert.deepEqual(await t.resources(), [], "nothing was deployed");
    });
  });
});
