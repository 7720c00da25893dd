// TestStack.dispose() never throws a state away: when the destroy fails (here S3 refuses to delete a bucket that
// holds an object put there out of band), the stack's directory stays, the error says where, and a second dispose()
// after the cause is removed destroys everything and deletes it.
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import {
  DeleteBucketCommand,
  DeleteObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import {
  findLeftovers,
  localStackClientConfig,
  requireLocalStack,
  StackDisposeError,
  TestStack,
} from "@keyless/testing";
import * as aws from "@pulumi/aws";

const BUCKET = "aws:s3/bucket:Bucket";

describe("harness: dispose() keeps a state it could not destroy", function () {
  this.timeout(240_000);
  const s3 = new S3Client({ ...localStackClientConfig(), forcePathStyle: true });

  before(async () => requireLocalStack(["s3"]));

  async function bucketExists(name: string): Promise<boolean> {
    try {
      await s3.send(new HeadBucketCommand({ Bucket: name }));
      return true;
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
      throw err;
    }
  }

  it("a destroy S3 refuses (BucketNotEmpty): the directory stays and the error names it; after the object is gone, dispose() again leaves nothing", async () => {
    const t = await TestStack.create({
      awsProvider: "localstack",
      program: async () => ({ bucket: new aws.s3.Bucket("kept").bucket }),
    });
    let bucket = "";
    try {
      // GIVEN a deployed bucket that holds an object the stack does not know of
      const up = await t.up();
      bucket = up.outputs["bucket"] as string;
      assert.deepEqual(up.pendingOperations, [], "a completed run leaves nothing pending");
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "out-of-band.txt", Body: "x" }));

      // WHEN the stack is disposed of
      const err = await t.dispose().then(
        () => assert.fail("dispose must fail while S3 refuses the delete"),
        (e: unknown) => e,
      );

      // THEN it throws a StackDisposeError naming the kept directory and the cause
      assert.ok(err instanceof StackDisposeError, `a StackDisposeError, got ${err}`);
      assert.equal(err.step, "destroy");
      assert.equal(err.stackName, t.name);
      assert.equal(err.dir, t.dir);
      assert.ok(err.message.includes(t.dir), `the message names ${t.dir}: ${err.message}`);
      assert.match(err.message, /BucketNotEmpty/);
      // AND the state survives: the directory is there and still lists the bucket
      assert.ok(existsSync(t.dir));
      const snapshot = await t.resources();
      assert.deepEqual(
        snapshot.filter((r) => r.type === BUCKET).map((r) => r.id),
        [bucket],
      );
      assert.equal(await bucketExists(bucket), true);

      // WHEN the object is removed and dispose() runs again
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "out-of-band.txt" }));
      await t.dispose();
      // THEN the bucket and the directory are gone; a third dispose() does nothing
      assert.equal(existsSync(t.dir), false);
      assert.equal(await bucketExists(bucket), false);
      assert.deepEqual(await findLeftovers(snapshot), []);
      await t.dispose();
    } finally {
      // Whatever failed above: nothing left in S3 or on disk.
      if (bucket !== "" && (await bucketExists(bucket))) {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "out-of-band.txt" }));
        await t.dispose().catch(() => s3.send(new DeleteBucketCommand({ Bucket: bucket })));
      }
      rmSync(t.dir, { recursive: true, force: true });
    }
  });
});
