/**
 * The journey keyless exists for: software on an instance gets its role's credentials through IMDSv2 with no keys
 * anywhere, sees a new role at once after a role change, and gets a new key before the old one expires; an instance
 * whose role does not trust EC2 gets none. The instance is deployed by the real engine to LocalStack; its metadata
 * service is AWS's amazon-ec2-metadata-mock behind the harness's front, serving the role's STS credentials as EC2
 * obtains them (the trust evaluated for ec2.amazonaws.com first); the AWS SDK for JavaScript v3 default chain runs in a
 * child process with no AWS keys in its environment.
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
  InstanceMetadataError,
  type InstanceMetadataOptions,
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

/** A GET through an IMDSv2 token, as software on the instance would send it. */
async function imdsGet(endpoint: string, path: string): Promise<{ status: number; text: string }> {
  const token = await fetch(`${endpoint}/latest/api/token`, {
    method: "PUT",
    headers: { "X-aws-ec2-metadata-token-ttl-seconds": "60" },
  });
  assert.equal(token.status, 200, "the metadata service must issue a token");
  const res = await fetch(`${endpoint}/latest/meta-data/${path}`, {
    headers: { "X-aws-ec2-metadata-token": await token.text() },
  });
  return { status: res.status, text: await res.text() };
}

/** An EC2 trust policy admitting one service principal. */
function trusting(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
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
  fn: (
    t: TestStack,
    serve: (id: string, options?: InstanceMetadataOptions) => Promise<InstanceMetadataServer>,
    held: StateResource[],
  ) => Promise<void>,
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
      async (id, options) => {
        const s = await serveInstanceMetadata(id, options);
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
  it("an instance whose role trusts only Lambda gets no credentials (AssumeRoleUnauthorizedAccess); one trusting EC2 gets its role", async () => {
    await journey(
      async () => {
        // Plain resources: keyless's components refuse a role that does not trust EC2, the test needs it as the case.
        const lambdaRole = new aws.iam.Role("lambda-only-role", { assumeRolePolicy: trusting("lambda.amazonaws.com") });
        const lambdaProfile = new aws.iam.InstanceProfile("lambda-only-profile", { role: lambdaRole.name });
        const misused = new aws.ec2.Instance("misused", {
          ami: AMI,
          instanceType: "t3.micro",
          iamInstanceProfile: lambdaProfile.name,
          metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" },
        });
        const ec2Role = new aws.iam.Role("ec2-role", { assumeRolePolicy: trusting("ec2.amazonaws.com") });
        const ec2Profile = new aws.iam.InstanceProfile("ec2-profile", { role: ec2Role.name });
        const trusted = new aws.ec2.Instance("trusted", {
          ami: AMI,
          instanceType: "t3.micro",
          iamInstanceProfile: ec2Profile.name,
          metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" },
        });
        return {
          misusedId: misused.id,
          lambdaRole: lambdaRole.name,
          lambdaProfileArn: lambdaProfile.arn,
          trustedId: trusted.id,
          ec2Role: ec2Role.name,
        };
      },
      async (t, serve, held) => {
        // GIVEN an instance whose profile holds a role trusting only lambda.amazonaws.com, and one trusting EC2
        const up = await t.up();
        held.push(...(await t.resources()));
        const misusedId = up.outputs["misusedId"] as string;
        const lambdaRole = up.outputs["lambdaRole"] as string;

        // WHEN their metadata is served
        const misused = await serve(misusedId);
        const trusted = await serve(up.outputs["trustedId"] as string);

        // THEN the untrusted role is still listed, but its document is EC2's refusal with no key
        assert.equal(misused.roleName, lambdaRole);
        assert.equal(misused.credentialsCode, "AssumeRoleUnauthorizedAccess");
        assert.match(misused.trustRefusal ?? "", /^ec2\.amazonaws\.com: /);
        const listing = await imdsGet(misused.endpoint, "iam/security-credentials/");
        assert.deepEqual(listing, { status: 200, text: lambdaRole });
        const doc = await imdsGet(misused.endpoint, `iam/security-credentials/${lambdaRole}`);
        assert.equal(doc.status, 200);
        const refusal = JSON.parse(doc.text) as Record<string, string>;
        assert.deepEqual(Object.keys(refusal), ["Code", "Message", "LastUpdated"], "no key in EC2's refusal");
        assert.equal(refusal["Code"], "AssumeRoleUnauthorizedAccess");
        assert.equal(
          refusal["Message"],
          `EC2 cannot assume the role ${lambdaRole}.  Please see documentation at ` +
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_iam-ec2.html#troubleshoot_iam-ec2_errors-info-doc.",
        );
        assert.match(refusal["LastUpdated"] ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        // AND iam/info describes the profile, which is fine: Success with its ARN
        const info = JSON.parse((await imdsGet(misused.endpoint, "iam/info")).text) as Record<string, string>;
        assert.equal(info["Code"], "Success");
        assert.equal(info["InstanceProfileArn"], up.outputs["lambdaProfileArn"]);
        assert.equal(await tokenlessStatus(misused.endpoint), 401, "a GET without a token must still be refused");

        // AND the SDK's default chain finds no credentials, and says why
        const failed = await callerIdentityThroughImds(misused.endpoint).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(failed instanceof InstanceMetadataError, `the chain must fail, got ${String(failed)}`);
        assert.equal(failed.code, "ChainFailed");
        assert.match(failed.message, /Could not load credentials from any providers/);
        assert.match(
          failed.message,
          new RegExp(`AssumeRoleUnauthorizedAccess: EC2 cannot assume the role ${lambdaRole}\\.`),
        );

        // AND the instance whose role trusts EC2 gets its assumed-role identity
        assert.equal(trusted.credentialsCode, "Success");
        assert.equal(trusted.trustRefusal, undefined);
        const who = await callerIdentityThroughImds(trusted.endpoint);
        assert.equal(
          who.arn,
          `arn:aws:sts::${ACCOUNT}:assumed-role/${up.outputs["ec2Role"]}/${up.outputs["trustedId"]}`,
        );
        assert.equal(who.temporary, true);
      },
    );
  });

  it("the role's credentials rotate before they expire: the SDK refreshes by itself and gets a new key", async () => {
    // Served credentials last 320 s and new ones are served 310 s before expiry (every 10 s); the SDK refreshes once
    // less than 300 s remain, so at most 20 s after it fetched them.
    const lifetime = 320;
    const pauseMs = (lifetime - 300 + 2) * 1000;
    await journey(
      async () => {
        const web = new SecureInstance("rotating", { ami: AMI, instanceType: "t3.micro" });
        return { instanceId: web.instanceId, roleName: web.role?.name };
      },
      async (t, serve, held) => {
        // GIVEN a SecureInstance whose metadata serves short-lived credentials
        const up = await t.up();
        held.push(...(await t.resources()));
        const instanceId = up.outputs["instanceId"] as string;
        const roleName = up.outputs["roleName"] as string;
        const imds = await serve(instanceId, { credentialLifetimeSeconds: lifetime, renewBeforeExpirySeconds: 310 });
        const endpoint = imds.endpoint;

        // WHEN software on it calls STS, waits past the SDK's refresh point, and calls again (one process, one client)
        const started = Date.now();
        const who = await callerIdentityThroughImds(endpoint, { secondCallAfterMs: pauseMs });

        // THEN both calls are the same role session, signed with two different keys

        const [first, second] = who.calls;
        assert.ok(first && second, `two calls expected, got ${who.calls.length}`);
        const arn = `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${instanceId}`;
        assert.equal(first.arn, arn);
        assert.equal(second.arn, arn);
        assert.equal(second.keyIdPrefix, "ASIA");
        assert.notEqual(first.keyFingerprint, second.keyFingerprint, "the SDK must have picked up a new key");
        // AND the first credentials carried STS's short expiry, the second a later one
        const expiresIn = (first.expiration?.getTime() ?? 0) - started;
        assert.ok(expiresIn > 300_000 && expiresIn <= lifetime * 1000 + 1000, `first expiry in ${expiresIn} ms`);
        assert.ok((second.expiration?.getTime() ?? 0) > (first.expiration?.getTime() ?? 0));
        // AND the same endpoint renewed them on its schedule, nothing restarted
        assert.equal(imds.endpoint, endpoint);
        assert.ok(imds.rotations >= 1, `rotations: ${imds.rotations}`);
      },
    );
  });

  it("refuses a renewal schedule the SDK could not follow, before anything is read", async () => {
    await assert.rejects(
      serveInstanceMetadata("i-0123456789abcdef0", { renewBeforeExpirySeconds: 240 }),
      (e: unknown) =>
        e instanceof InstanceMetadataError && e.code === "InvalidOptions" && /renewBeforeExpirySeconds/.test(e.message),
    );
    await assert.rejects(
      serveInstanceMetadata("i-0123456789abcdef0", { credentialLifetimeSeconds: 320 }),
      (e: unknown) => e instanceof InstanceMetadataError && e.code === "InvalidOptions" && /below/.test(e.message),
    );
  });
});
