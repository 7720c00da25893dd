/**
 * The journey keyless exists for: software on an instance gets its role's credentials through IMDSv2 with no keys
 * anywhere, and sees a new role at once after a role change. The instance is deployed by the real engine to
 * LocalStack; its metadata service is AWS's amazon-ec2-metadata-mock serving the role's STS credentials; the AWS SDK
 * for JavaScript v3 default chain runs in a child process with no AWS keys in its environment.
 */
import assert from "node:assert/strict";
import { DescribeIamInstanceProfileAssociationsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { GetInstanceProfileCommand, IAMClient } from "@aws-sdk/client-iam";
import { SecureInstance } from "@keyless/aws";
import {
  assertMetadataOptions,
  assertNoLeftovers,
  assertProfileHoldsRole,
  callerIdentityThroughImds,
  type InstanceMetadataServer,
  localStackClientConfig,
  requireLocalStack,
  requireMetadataMock,
  type StateResource,
  serveInstanceMetadata,
  TestStack,
} from "@keyless/testing";
import * as aws from "@pulumi/aws";

const AMI = "ami-03cf127a";
const ACCOUNT = "000000000000";

/** The one association EC2 reports as `associated` for the instance. */
async function currentAssociation(instanceId: string): Promise<{ id: string; profileArn: string; profileId: string }> {
  const ec2 = new EC2Client(localStackClientConfig());
  const got = await ec2.send(
    new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: "instance-id", Values: [instanceId] }] }),
  );
  const live = (got.IamInstanceProfileAssociations ?? []).filter((a) => a.State === "associated");
  assert.equal(
    live.length,
    1,
    `instance ${instanceId} must have exactly one associated profile: ${JSON.stringify(live)}`,
  );
  return {
    id: live[0]?.AssociationId as string,
    profileArn: live[0]?.IamInstanceProfile?.Arn as string,
    profileId: live[0]?.IamInstanceProfile?.Id as string,
  };
}

/** GET without a token: what IMDSv1 software (or an SSRF) would send. */
async function tokenlessStatus(endpoint: string): Promise<number> {
  return (await fetch(`${endpoint}/latest/meta-data/iam/security-credentials/`)).status;
}

/**
 * Deploys `program`, runs `fn`, and always stops the mock, destroys and removes the stack, then (when `fn` passed)
 * checks by listing that LocalStack holds nothing of it.
 */
async function journey(
  program: () => Promise<Record<string, unknown>>,
  fn: (t: TestStack, serve: (id: string) => Promise<InstanceMetadataServer>, held: StateResource[]) => Promise<void>,
): Promise<void> {
  await requireLocalStack(["iam", "sts", "ec2"]);
  requireMetadataMock();
  const t = await TestStack.create({ program });
  const held: StateResource[] = [];
  const servers: InstanceMetadataServer[] = [];
  let failed = false;
  try {
    await fn(
      t,
      async (id) => {
        const s = await serveInstanceMetadata(id);
        servers.push(s);
        return s;
      },
      held,
    );
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    try {
      await Promise.all(servers.map((s) => s.stop()));
      await t.dispose();
    } finally {
      if (!failed) await assertNoLeftovers(held);
    }
  }
}

describe("journey: the credential chain through IMDSv2", function () {
  this.timeout(300_000);
  const iam = new IAMClient(localStackClientConfig());

  it("a SecureInstance's role reaches the SDK's default chain through IMDSv2; a role change is seen at once", async () => {
    const stage = { roleName: "" };
    await journey(
      async () => {
        const web = new SecureInstance("web", {
          ami: AMI,
          instanceType: "t3.micro",
          permissions: { roleName: stage.roleName },
        });
        return { instanceId: web.instanceId, profile: web.instanceProfileName };
      },
      async (t, serve, held) => {
        // GIVEN a SecureInstance deployed with role A
        const roleA = `keyless-chain-a-${t.name}`;
        stage.roleName = roleA;
        const up1 = await t.up();
        held.push(...(await t.resources()));
        const instanceId = up1.outputs["instanceId"] as string;
        const profileA = up1.outputs["profile"] as string;
        await assertMetadataOptions(instanceId, { httpTokens: "required", httpEndpoint: "enabled" });

        // WHEN its metadata service is served from what EC2 and IAM hold
        const imds = await serve(instanceId);

        // THEN it serves the profile's role, requires tokens, and refuses a token-less request
        assert.equal(imds.profileName, profileA);
        assert.equal(imds.roleName, roleA);
        assert.equal(imds.tokensRequired, true);
        assert.equal(await tokenlessStatus(imds.endpoint), 401, "a GET without a token must be refused");

        // AND the SDK's default chain, with no keys anywhere, is the instance's role session
        const who = await callerIdentityThroughImds(imds.endpoint);
        assert.equal(who.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${roleA}/${instanceId}`);
        assert.equal(
          who.temporary,
          true,
          `instance credentials must be temporary (ASIA with a session token), got ${who.keyIdPrefix}…`,
        );
        assert.equal(who.fromInstanceMetadata, true, "the chain must have reached its IMDS link");

        // WHEN the role changes and the stack is updated
        const before = await currentAssociation(instanceId);
        const roleB = `keyless-chain-b-${t.name}`;
        stage.roleName = roleB;
        const up2 = await t.up();
        held.push(...(await t.resources()));

        // THEN EC2 shows a new association with a new profile holding role B (not B swapped into A's profile)
        assert.equal(up2.outputs["instanceId"], instanceId, "the instance must be updated, not replaced");
        const after = await currentAssociation(instanceId);
        const profileB = up2.outputs["profile"] as string;
        assert.notEqual(profileB, profileA);
        // A different profile (its name and id), not role B swapped into profile A. LocalStack's moto keeps the
        // association id across ReplaceIamInstanceProfileAssociation (AWS issues a new one), so the id is not compared.
        assert.equal(before.profileArn.split("/").pop(), profileA);
        assert.equal(after.profileArn.split("/").pop(), profileB);
        assert.notEqual(
          after.profileId,
          before.profileId,
          "the instance must hold a different profile, not a changed one",
        );
        await assertProfileHoldsRole(profileB, roleB);
        await assert.rejects(
          iam.send(new GetInstanceProfileCommand({ InstanceProfileName: profileA })),
          /NoSuchEntity|cannot be found/,
        );

        // AND after refresh() the chain answers role B at once, on the same endpoint
        const endpoint = imds.endpoint;
        await imds.refresh();
        assert.equal(imds.endpoint, endpoint);
        assert.equal(imds.associationId, after.id);
        assert.equal(imds.roleName, roleB);
        const who2 = await callerIdentityThroughImds(imds.endpoint);
        assert.equal(who2.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${roleB}/${instanceId}`);
        assert.equal(who2.temporary, true);
        assert.equal(await tokenlessStatus(imds.endpoint), 401);

        // AND stop() ends the mock: the endpoint refuses connections
        await imds.stop();
        await assert.rejects(fetch(`${endpoint}/latest/api/token`, { method: "PUT" }), /fetch failed/);
      },
    );
  });

  it("serves token-less requests only where the instance allows IMDSv1 (httpTokens optional)", async () => {
    await journey(
      async () => {
        // A plain instance, not a SecureInstance: keyless never deploys this, the test needs it as the contrast.
        const trust = JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        });
        const role = new aws.iam.Role("legacy-role", { assumeRolePolicy: trust });
        const profile = new aws.iam.InstanceProfile("legacy-profile", { role: role.name });
        const instance = new aws.ec2.Instance("legacy", {
          ami: AMI,
          instanceType: "t3.micro",
          iamInstanceProfile: profile.name,
          metadataOptions: { httpTokens: "optional", httpEndpoint: "enabled" },
        });
        return { instanceId: instance.id, role: role.name };
      },
      async (t, serve, held) => {
        // GIVEN an instance that allows IMDSv1
        const up = await t.up();
        held.push(...(await t.resources()));
        const instanceId = up.outputs["instanceId"] as string;

        // WHEN its metadata is served
        const imds = await serve(instanceId);

        // THEN a token-less GET is answered (the hole IMDSv2 closes), and the chain still works with its token
        assert.equal(imds.tokensRequired, false);
        assert.equal(await tokenlessStatus(imds.endpoint), 200);
        const who = await callerIdentityThroughImds(imds.endpoint);
        assert.equal(who.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${up.outputs["role"]}/${instanceId}`);
      },
    );
  });
});
