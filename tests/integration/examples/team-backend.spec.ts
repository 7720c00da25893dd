import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
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

const backendEnv = {
  AWS_ACCESS_KEY_ID: LOCALSTACK_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCALSTACK_CREDENTIALS.secretAccessKey,
  AWS_REGION: localStackRegion(),
};

describe("team stacks: a self-managed S3 backend", function () {
  this.timeout(300_000);

  it("keeps an example's state in S3 on LocalStack, and a second workspace on the same backend sees the stack", async () => {
    await requireLocalStack(["iam", "sts", "ec2", "s3"]);
    const s3 = new S3Client({ ...localStackClientConfig(), forcePathStyle: true });
    const bucket = `keyless-state-${randomBytes(4).toString("hex")}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const backendUrl = s3BackendUrl(bucket);
    const home = mkdtempSync(path.join(os.tmpdir(), "keyless-teammate-"));
    try {
      const t = await TestStack.create({
        workDir: path.join(EXAMPLES, "ec2-s3-reader"),
        backendUrl,
        env: backendEnv,
      });
      try {
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
          envVars: {
            ...backendEnv,
            PULUMI_BACKEND_URL: backendUrl,
            PULUMI_CONFIG_PASSPHRASE: t.env["PULUMI_CONFIG_PASSPHRASE"] ?? "",
          },
        });
        const stacks = await teammate.listStacks();
        assert.ok(
          stacks.some((s) => s.name === t.name || s.name.endsWith(`/${t.name}`)),
          stacks.map((s) => s.name).join(", "),
        );
        const seen = await teammate.stackOutputs(t.name);
        assert.equal(seen["instanceId"]?.value, up.outputs["instanceId"]);
      } finally {
        await t.dispose();
      }
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
    }
  });
});
