import assert from "node:assert/strict";
import path from "node:path";
import { GetUserCommand, IAMClient, ListAccessKeysCommand } from "@aws-sdk/client-iam";
import {
  assertNoLeftovers,
  callerIdentityThroughImds,
  localStackClientConfig,
  requireLocalStack,
  StackRunError,
  type StateResource,
  serveInstanceMetadata,
  TestStack,
} from "@keyless/testing";
import { assertNoSecrets, check, credentials } from "../../support/policy-credentials";
import {
  assertInstanceOnRole,
  assertSecondUpChangesNothing,
  EXAMPLES,
  grants,
  inlineStatements,
  POLICY_PACK,
} from "./support";

const BUCKET = "keyless-migration-reports";

/** Runs `fn` with the stacks it creates; every stack is disposed of afterwards, also when `fn` fails. */
async function withStacks(fn: (make: (dir: string, args?: object) => Promise<TestStack>) => Promise<void>) {
  const stacks: TestStack[] = [];
  try {
    await fn(async (dir, args = {}) => {
      const t = await TestStack.create({ ...args, workDir: path.join(EXAMPLES, "migrate-from-keys", dir) });
      stacks.push(t);
      return t;
    });
  } finally {
    for (const t of stacks.reverse()) await t.dispose();
  }
}

describe("examples/migrate-from-keys", function () {
  this.timeout(400_000);

  it("runbook: the pack refuses before/ without echoing the key, after/ runs on a profile, then the keys go", async () => {
    await requireLocalStack(["iam", "sts", "ec2"]);
    // A key pair as a team would have pasted it into configuration: generated now, never committed or printed.
    const legacy = credentials();
    const held: StateResource[] = [];
    await withStacks(async (make) => {
      const before = await make("before", {
        config: { bucket: BUCKET },
        secretConfig: { legacyAccessKeyId: legacy.accessKeyId, legacySecretAccessKey: legacy.secretAccessKey },
      });

      // 1. CI previews the legacy program with the pack: refused, naming the resources and where the key sits.
      const refused = await before.preview({ policyPacks: [POLICY_PACK] }).then(
        () => undefined,
        (err: unknown) => err,
      );
      check(refused instanceof StackRunError, "the keyless-aws pack must refuse before/ at preview");
      const violations = refused.result.violations;
      const texts = [refused.message, ...violations.map((v) => `${v.policyName} ${v.urn ?? ""} ${v.message}`)];
      for (const text of texts)
        assertNoSecrets(text, "a violation of before/", [legacy.accessKeyId, legacy.secretAccessKey]);
      const byPolicy = (name: string) => violations.filter((v) => v.policyName === name);
      const keyViolation = byPolicy("no-iam-access-keys");
      check(
        keyViolation.length === 1 && /AccessKey::reports-app$/.test(keyViolation[0]?.urn ?? ""),
        "no-iam-access-keys must name the AccessKey",
      );
      const userData = byPolicy("no-static-credentials-in-user-data");
      check(
        userData.length === 1 && /Instance::reports-sync$/.test(userData[0]?.urn ?? ""),
        "the user-data policy must name the instance",
      );
      const message = userData[0]?.message ?? "";
      check(/`userData`/.test(message), `the violation names the field: ${message}`);
      check(
        /line 6\b/.test(message) && /line 7\b/.test(message),
        `the violation names the lines of the key pair: ${message}`,
      );
      check(/access key id/i.test(message) && /secret/i.test(message), `the violation says what was found: ${message}`);

      // The legacy deployment exists (deployed before keyless was adopted: without the pack).
      const legacyUp = await before.up();
      const userName = legacyUp.outputs["userName"] as string;
      const iam = new IAMClient(localStackClientConfig());
      const keys = (await iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? [];
      assert.equal(keys.length, 1, "the legacy user has its access key");
      held.push(...(await before.resources()));

      // 2. Deploy after/ beside it: the pack passes it.
      const after = await make("after", { config: { bucket: BUCKET } });
      const preview = await after.preview({ policyPacks: [POLICY_PACK] });
      assert.deepEqual(preview.violations, []);
      const up = await after.up({ policyPacks: [POLICY_PACK] });
      held.push(...(await after.resources()));

      // 3. Verify the identity: a role trusted by EC2 only, through the instance's profile, IMDSv2 required.
      const role = up.outputs["roleName"] as string;
      const profile = up.outputs["instanceProfile"] as string;
      const instanceId = up.outputs["instanceId"] as string;
      await assertInstanceOnRole(instanceId, profile, role);
      // `aws sts get-caller-identity` on the instance, as the runbook says: the SDK's default chain, no key anywhere.
      const imds = await serveInstanceMetadata(instanceId);
      try {
        const who = await callerIdentityThroughImds(imds.endpoint);
        assert.equal(who.arn, `arn:aws:sts::000000000000:assumed-role/${role}/${instanceId}`);
        assert.ok(
          who.temporary && who.fromInstanceMetadata,
          "temporary credentials from the instance metadata service",
        );
      } finally {
        await imds.stop();
      }
      assert.deepEqual(grants(await inlineStatements(role)), [
        `s3:GetObject arn:aws:s3:::${BUCKET}/reports/*`,
        `s3:ListBucket arn:aws:s3:::${BUCKET} when StringLike s3:prefix ["reports/*"]`,
      ]);

      // The migrated program is settled: a second up with the pack changes nothing.
      await assertSecondUpChangesNothing(after);

      // 4. Remove the user's keys: the legacy program goes, and IAM no longer knows the user or its keys.
      await before.destroy();
      await assert.rejects(iam.send(new GetUserCommand({ UserName: userName })), /NoSuchEntity|cannot be found/);
      await after.destroy();
    });
    await assertNoLeftovers(held);
  });
});
