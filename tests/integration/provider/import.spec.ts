import assert from "node:assert/strict";
import {
  CreateLaunchTemplateCommand,
  DeleteLaunchTemplateCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeletePolicyCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DeleteUserCommand,
  DetachRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { localStackClientConfig, type TestStack } from "@keyless/testing";
import * as aws from "@pulumi/aws";
import { opsOf, trust, withProviderStack } from "./support";

const AMI = "ami-03cf127a";

/** A managed or inline policy document allowing one action, as JSON text. */
function allow(action: string): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: "*" }] });
}

/**
 * The stack imports `names` (already existing, made with the SDK by `setup`), then: a second up changes nothing, a
 * refresh finds no drift (the engine reports no change, state outputs unchanged, the next preview is all `same`),
 * destroy empties the stack, and
 * (withProviderStack) nothing is left in the emulator.
 */
async function importRoundTrip(
  program: () => Promise<Record<string, unknown> | undefined>,
  names: readonly string[],
  setup: (t: TestStack) => Promise<void>,
  cleanup: () => Promise<void>,
): Promise<void> {
  try {
    await withProviderStack({ program }, async (t, seen) => {
      // GIVEN resources that exist outside any stack
      await setup(t);
      // WHEN the program adopts them with the `import` option
      const imp = await t.up();
      // THEN each is imported, not created
      for (const n of names) assert.deepEqual(opsOf(imp.steps, n), ["import"], n);
      seen(await t.resources());
      // AND the next up changes nothing
      const again = await t.up();
      for (const n of names) assert.deepEqual(opsOf(again.steps, n), ["same"], n);
      // AND refresh finds no drift
      const before = await t.resources();
      const refreshed = await t.refresh();
      for (const n of names)
        assert.ok(
          refreshed.outcomes.some((o) => o.urn.endsWith(`::${n}`)),
          `${n} refreshed`,
        );
      assert.deepEqual(refreshed.drift, []);
      const after = await t.resources();
      for (const r of before.filter((x) => x.custom)) {
        const now = after.find((x) => x.urn === r.urn);
        assert.deepEqual(now?.outputs, r.outputs, r.urn);
      }
      const preview = await t.preview();
      for (const n of names) assert.deepEqual(opsOf(preview.steps, n), ["same"], n);
      // AND destroy removes them all (withProviderStack then asserts no leftovers)
      await t.destroy();
      assert.deepEqual(
        (await t.resources()).filter((r) => r.custom && !r.type.startsWith("pulumi:")),
        [],
      );
    });
  } finally {
    await cleanup();
  }
}

/** Runs best-effort deletions of what a failed test may have left behind (already-gone resources are fine). */
async function quietly(...steps: Array<() => Promise<unknown>>): Promise<void> {
  for (const s of steps) await s().catch(() => undefined);
}

describe("provider: import of existing resources (the `import` option) against LocalStack", function () {
  this.timeout(240_000);
  const iam = new IAMClient(localStackClientConfig());
  const ec2 = new EC2Client(localStackClientConfig());

  it("aws.iam.Policy", async () => {
    const doc = allow("s3:GetObject");
    const made = { name: "", arn: "" };
    await importRoundTrip(
      async () => {
        const p = new aws.iam.Policy("imported", { name: made.name, policy: doc }, { import: made.arn });
        return { arn: p.arn };
      },
      ["imported"],
      async (t) => {
        made.name = `keyless-imp-policy-${t.name}`;
        const got = await iam.send(new CreatePolicyCommand({ PolicyName: made.name, PolicyDocument: doc }));
        made.arn = got.Policy?.Arn as string;
      },
      () => quietly(() => iam.send(new DeletePolicyCommand({ PolicyArn: made.arn }))),
    );
  });

  it("aws.iam.RolePolicy (with its role)", async () => {
    const assumeRolePolicy = trust("ec2.amazonaws.com");
    const doc = allow("s3:PutObject");
    const made = { role: "", policy: "inline" };
    await importRoundTrip(
      async () => {
        const r = new aws.iam.Role("role", { name: made.role, assumeRolePolicy }, { import: made.role });
        new aws.iam.RolePolicy(
          "imported",
          { role: r.name, name: made.policy, policy: doc },
          { import: `${made.role}:${made.policy}` },
        );
        return {};
      },
      ["role", "imported"],
      async (t) => {
        made.role = `keyless-imp-rp-${t.name}`;
        await iam.send(new CreateRoleCommand({ RoleName: made.role, AssumeRolePolicyDocument: assumeRolePolicy }));
        await iam.send(new PutRolePolicyCommand({ RoleName: made.role, PolicyName: made.policy, PolicyDocument: doc }));
      },
      () =>
        quietly(
          () => iam.send(new DeleteRolePolicyCommand({ RoleName: made.role, PolicyName: made.policy })),
          () => iam.send(new DeleteRoleCommand({ RoleName: made.role })),
        ),
    );
  });

  it("aws.iam.RolePolicyAttachment (with its role and policy)", async () => {
    const assumeRolePolicy = trust("ec2.amazonaws.com");
    const doc = allow("s3:ListBucket");
    const made = { role: "", policy: "", arn: "" };
    await importRoundTrip(
      async () => {
        const r = new aws.iam.Role("role", { name: made.role, assumeRolePolicy }, { import: made.role });
        const p = new aws.iam.Policy("policy", { name: made.policy, policy: doc }, { import: made.arn });
        new aws.iam.RolePolicyAttachment(
          "imported",
          { role: r.name, policyArn: p.arn },
          { import: `${made.role}/${made.arn}` },
        );
        return {};
      },
      ["role", "policy", "imported"],
      async (t) => {
        made.role = `keyless-imp-rpa-${t.name}`;
        made.policy = `keyless-imp-rpa-${t.name}`;
        await iam.send(new CreateRoleCommand({ RoleName: made.role, AssumeRolePolicyDocument: assumeRolePolicy }));
        const got = await iam.send(new CreatePolicyCommand({ PolicyName: made.policy, PolicyDocument: doc }));
        made.arn = got.Policy?.Arn as string;
        await iam.send(new AttachRolePolicyCommand({ RoleName: made.role, PolicyArn: made.arn }));
      },
      () =>
        quietly(
          () => iam.send(new DetachRolePolicyCommand({ RoleName: made.role, PolicyArn: made.arn })),
          () => iam.send(new DeletePolicyCommand({ PolicyArn: made.arn })),
          () => iam.send(new DeleteRoleCommand({ RoleName: made.role })),
        ),
    );
  });

  it("aws.iam.User", async () => {
    const made = { name: "" };
    await importRoundTrip(
      async () => {
        const u = new aws.iam.User("imported", { name: made.name }, { import: made.name });
        return { arn: u.arn };
      },
      ["imported"],
      async (t) => {
        made.name = `keyless-imp-user-${t.name}`;
        await iam.send(new CreateUserCommand({ UserName: made.name }));
      },
      () => quietly(() => iam.send(new DeleteUserCommand({ UserName: made.name }))),
    );
  });

  it("aws.ec2.Instance (IMDSv2 required)", async () => {
    const made = { id: "" };
    await importRoundTrip(
      async () => {
        const i = new aws.ec2.Instance(
          "imported",
          { ami: AMI, instanceType: "t3.micro", metadataOptions: { httpTokens: "required" } },
          { import: made.id },
        );
        return { id: i.id };
      },
      ["imported"],
      async () => {
        const got = await ec2.send(
          new RunInstancesCommand({
            ImageId: AMI,
            InstanceType: "t3.micro",
            MinCount: 1,
            MaxCount: 1,
            MetadataOptions: { HttpTokens: "required" },
          }),
        );
        made.id = got.Instances?.[0]?.InstanceId as string;
      },
      () => quietly(() => ec2.send(new TerminateInstancesCommand({ InstanceIds: [made.id] }))),
    );
  });

  it("aws.ec2.LaunchTemplate (base64 user data)", async () => {
    const userData = Buffer.from("#!/bin/sh\necho imported\n").toString("base64");
    const made = { name: "", id: "" };
    await importRoundTrip(
      async () => {
        const lt = new aws.ec2.LaunchTemplate(
          "imported",
          {
            name: made.name,
            imageId: AMI,
            instanceType: "t3.micro",
            userData,
            metadataOptions: { httpTokens: "required" },
          },
          { import: made.id },
        );
        return { id: lt.id };
      },
      ["imported"],
      async (t) => {
        made.name = `keyless-imp-lt-${t.name}`;
        const got = await ec2.send(
          new CreateLaunchTemplateCommand({
            LaunchTemplateName: made.name,
            LaunchTemplateData: {
              ImageId: AMI,
              InstanceType: "t3.micro",
              UserData: userData,
              MetadataOptions: { HttpTokens: "required" },
            },
          }),
        );
        made.id = got.LaunchTemplate?.LaunchTemplateId as string;
      },
      () => quietly(() => ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: made.id }))),
    );
  });
});
