import assert from "node:assert/strict";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { localStackClientConfig } from "@keyless/testing";
import { assertInstanceOnRole, attachedPolicyArns, grants, inlineStatements, runExampleJourney } from "./support";

describe("examples/ec2-s3-reader", function () {
  this.timeout(300_000);

  it("reads one prefix of its own bucket through an instance profile, IMDSv2 only", async () => {
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

        const statements = await inlineStatements(role);
        assert.deepEqual(grants(statements), [
          `s3:GetObject arn:aws:s3:::${bucket}/daily/*`,
          `s3:ListBucket arn:aws:s3:::${bucket}`,
        ]);
        const list = statements.find((s) => s.Action.includes("s3:ListBucket"));
        assert.deepEqual(list?.Condition, { StringLike: { "s3:prefix": ["daily/*"] } });
        assert.deepEqual(await attachedPolicyArns(role), []);
      },
    });
  });
});
