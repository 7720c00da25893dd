import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CreateKeyCommand, DescribeKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from "@aws-sdk/client-kms";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import {
  LOCALSTACK_CREDENTIALS,
  localStackClientConfig,
  localStackEndpoint,
  localStackRegion,
  requireLocalStack,
  TestStack,
} from "@keyless/testing";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { EXAMPLES } from "./support";

/**
 * A self-managed S3 backend as teams without Pulumi Cloud use it: `pulumi login s3://<bucket>?...`. The CLI built here
 * uses gocloud.dev v0.46 (AWS SDK for Go v2), whose S3 settings are `endpoint`, `use_path_style`, `disable_https` and
 * `region`; the credentials come from the environment, as for any AWS SDK.
 */
function s3BackendUrl(bucket: string): string {
  const endpoint = new URL(localStackEndpoint());
  const q = new URLSearchParams({
    region: localStackRegion(),
    endpoint: `${endpoint.protocol}//${endpoint.host}`,
    use_path_style: "true",
    disable_https: "true",
  });
  return `s3://${bucket}?${q.toString()}`;
}

/** A KMS key on LocalStack as Pulumi's `awskms` secrets provider takes it (gocloud.dev: `region`, `endpoint`). */
function kmsSecretsProvider(keyId: string): string {
  const endpoint = new URL(localStackEndpoint());
  const q = new URLSearchParams({ region: localStackRegion(), endpoint: `${endpoint.protocol}//${endpoint.host}` });
  return `awskms://${keyId}?${q.toString()}`;
}

const backendEnv = {
  AWS_ACCESS_KEY_ID: LOCALSTACK_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCALSTACK_CREDENTIALS.secretAccessKey,
  AWS_REGION: localStackRegion(),
};

describe("team stacks: a self-managed S3 backend with KMS secrets", function () {
  this.timeout(300_000);

  it("keeps an example's state in S3 and its secrets under a KMS key on LocalStack; a second workspace on the same backend sees the stack and reads its secrets with no passphrase", async () => {
    await requireLocalStack(["iam", "sts", "ec2", "s3", "kms"]);
    const s3 = new S3Client({ ...localStackClientConfig(), forcePathStyle: true });
    const kms = new KMSClient(localStackClientConfig());
    const bucket = `keyless-state-${randomBytes(4).toString("hex")}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const key = (await kms.send(new CreateKeyCommand({ Description: `keyless test: secrets of ${bucket}` })))
      .KeyMetadata;
    const keyId = key?.KeyId as string;
    const backendUrl = s3BackendUrl(bucket);
    const home = mkdtempSync(path.join(os.tmpdir(), "keyless-teammate-"));
    const workDir = path.join(EXAMPLES, "ec2-s3-reader");
    // Made now: only this run can have written it anywhere.
    const note = `keyless-${randomBytes(12).toString("hex")}`;
    try {
      const t = await TestStack.create({
        workDir,
        backendUrl,
        secretsProvider: kmsSecretsProvider(keyId),
        secretConfig: { teamNote: note },
        env: backendEnv,
      });
      const settings = path.join(workDir, `Pulumi.${t.name}.yaml`);
      try {
        // The stack's settings name the key and hold the data key it wrapped, and the secret only encrypted.
        const text = readFileSync(settings, "utf8");
        assert.match(text, new RegExp(`secretsprovider: awskms://${keyId}\\?`));
        assert.match(text, /encryptedkey: \S+/);
        assert.ok(!text.includes(note), "the secret is encrypted in the stack's settings");

        const up = await t.up();
        const keys = (await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents?.map((o) => o.Key) ?? [];
        assert.ok(
          keys.some((k) => k === `.pulumi/stacks/keyless-ec2-s3-reader/${t.name}.json`),
          `the state is in the bucket: ${keys.join(", ")}`,
        );

        // A teammate: another PULUMI_HOME and workspace, the same backend URL.
        const teammate = await LocalWorkspace.create({
          workDir: path.join(EXAMPLES, "ec2-s3-reader"),
          pulumiHome: home,
          // No passphrase: the stack's secrets are the KMS key's, and AWS credentials reach it.
          envVars: { ...backendEnv, PULUMI_BACKEND_URL: backendUrl },
        });
        const stacks = await teammate.listStacks();
        assert.ok(
          stacks.some((s) => s.name === t.name || s.name.endsWith(`/${t.name}`)),
          stacks.map((s) => s.name).join(", "),
        );
        const seen = await teammate.stackOutputs(t.name);
        assert.equal(seen["instanceId"]?.value, up.outputs["instanceId"]);
        const read = await teammate.getConfig(t.name, "teamNote");
        assert.ok(read.value === note && read.secret, "the teammate decrypts the secret through KMS");
      } finally {
        await t.dispose();
      }
      assert.equal(existsSync(settings), false, "removing the stack removes its settings file");
      // `pulumi stack rm` deletes the checkpoint; the backend keeps a `.bak` copy, as a file backend does.
      const left =
        (await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: ".pulumi/stacks/" }))).Contents ?? [];
      assert.deepEqual(
        left.map((o) => o.Key).filter((k) => k?.endsWith(".json")),
        [],
        "removing the stack removes its checkpoint from the bucket",
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
      const rest = (await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? [];
      if (rest.length > 0) {
        await s3.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: rest.map((o) => ({ Key: o.Key as string })) },
          }),
        );
      }
      await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
      // KMS keeps a key at least 7 days after it is scheduled for deletion.
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
      const state = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState;
      assert.equal(state, "PendingDeletion");
    }
  });
});
