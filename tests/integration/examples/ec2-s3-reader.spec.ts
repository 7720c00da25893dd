import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { HeadBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  awsCliBinDir,
  instanceUserData,
  localStackClientConfig,
  localStackEndpoint,
  runOnInstance,
  serveInstanceMetadata,
  startSigningRecorder,
} from "@keyless/testing";
import { assertInstanceOnRole, attachedPolicyArns, grants, inlineStatements, runExampleJourney } from "./support";

/** What the test puts in the bucket: two objects under the prefix the instance reads, one outside it. */
const OBJECTS = {
  "daily/2026-12-01.csv": "day,visits\n2026-12-01,41\n",
  "daily/eu/2026-12-01.csv": "day,visits\n2026-12-01,7\n",
  "weekly/2026-w48.csv": "week,visits\n2026-w48,300\n",
};

describe("examples/ec2-s3-reader", function () {
  this.timeout(300_000);
  before(() => awsCliBinDir());

  it("reads one prefix of its own bucket through an instance profile, IMDSv2 only, and its user data copies the prefix with the AWS CLI and no key", async () => {
    await runExampleJourney({
      example: "ec2-s3-reader",
      services: ["iam", "sts", "ec2", "s3"],
      config: { prefix: "daily/" },
      async verify(out) {
        const bucket = out["bucketName"] as string;
        const role = out["roleName"] as string;
        const profile = out["instanceProfile"] as string;
        const instanceId = out["instanceId"] as string;
        const s3 = new S3Client({ ...localStackClientConfig(), forcePathStyle: true });
        await s3.send(new HeadBucketCommand({ Bucket: bucket })); // throws NotFound if the example made none

        await assertInstanceOnRole(instanceId, profile, role);

        assert.deepEqual(grants(await inlineStatements(role)), [
          `s3:GetObject arn:aws:s3:::${bucket}/daily/*`,
          `s3:ListBucket arn:aws:s3:::${bucket} when StringLike s3:prefix ["daily/*"]`,
        ]);
        assert.deepEqual(await attachedPolicyArns(role), []);

        // The workload: the user data as EC2 holds it, run by bash with the AWS CLI, under the instance's IMDSv2 and
        // nothing else, every call through a recorder in front of LocalStack.
        for (const [Key, Body] of Object.entries(OBJECTS)) {
          await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
        }
        const script = (await instanceUserData(instanceId)) ?? "";
        assert.ok(script?.includes("aws s3 sync"), "the instance's user data must sync from S3");
        const sandbox = mkdtempSync(path.join(os.tmpdir(), "keyless-srv-"));
        const imds = await serveInstanceMetadata(instanceId);
        const recorder = await startSigningRecorder({ upstream: localStackEndpoint() });
        try {
          // The one change to the script: /srv/ is the sandbox (the test cannot write to the machine's /srv).
          const scriptFile = path.join(sandbox, "user-data.sh");
          writeFileSync(scriptFile, script.replaceAll("/srv/", `${sandbox}/srv/`));
          const opts = { endpoint: recorder.endpoint, cwd: sandbox };
          const boot = await runOnInstance(imds, ["bash", scriptFile], opts);
          assert.equal(boot.exitCode, 0, `the user data must succeed:\n${boot.stderr}`);
          const assumedRole = `arn:aws:sts::000000000000:assumed-role/${role}/${instanceId}`;
          assert.match(boot.stdout, new RegExp(`"Arn": "${assumedRole}"`));

          // The files under the prefix arrived, with their contents; the one outside it did not.
          const reports = path.join(sandbox, "srv", "reports");
          const arrived = readdirSync(reports, { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile())
            .map((e) => path.relative(reports, path.join(e.parentPath, e.name)))
            .sort();
          assert.deepEqual(arrived, ["2026-12-01.csv", "eu/2026-12-01.csv"]);
          for (const file of arrived) {
            assert.equal(
              readFileSync(path.join(reports, file), "utf8"),
              OBJECTS[`daily/${file}` as keyof typeof OBJECTS],
            );
          }

          const who = await runOnInstance(imds, ["aws", "sts", "get-caller-identity"], opts);
          assert.equal(who.exitCode, 0, who.stderr);
          assert.equal((JSON.parse(who.stdout) as { Arn: string }).Arn, assumedRole);

          // Every call the CLI made went through the recorder, and each was signed by the key IMDS delivered.
          const ops = recorder.calls.map((c) => `${c.service} ${c.operation.replace(/\?.*/, "")}`);
          assert.deepEqual(
            ops.filter((o) => o.startsWith("sts")),
            ["sts GetCallerIdentity", "sts GetCallerIdentity"],
          );
          assert.ok(ops.includes(`s3 GET /${bucket}`), `the sync must list the bucket: ${ops.join(", ")}`);
          for (const file of arrived) assert.ok(ops.includes(`s3 GET /${bucket}/daily/${file}`), `GetObject ${file}`);
          assert.ok(imds.keyFingerprint, "IMDS must serve credentials");
          assert.deepEqual(
            recorder.calls.map((c) => c.keyFingerprint),
            recorder.calls.map(() => imds.keyFingerprint),
            "every call must be signed by the credentials IMDS delivered, and by no other key",
          );
        } finally {
          await recorder.stop();
          await imds.stop();
          rmSync(sandbox, { recursive: true, force: true });
        }
      },
    });
  });
});
