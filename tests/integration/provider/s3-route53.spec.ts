import assert from "node:assert/strict";
import {
  ChangeResourceRecordSetsCommand,
  GetHostedZoneCommand,
  ListTagsForResourceCommand,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { GetBucketTaggingCommand, HeadBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { localStackClientConfig, requireLocalStack, StackRunError } from "@keyless/testing";
import * as aws from "@pulumi/aws";
import { opsOf, withProviderStack } from "./support";

describe("provider: aws:s3 Bucket and aws:route53 Zone against LocalStack", function () {
  this.timeout(240_000);
  const s3 = new S3Client({ ...localStackClientConfig(), forcePathStyle: true });
  const route53 = new Route53Client(localStackClientConfig());

  before(async () => requireLocalStack(["s3", "route53"]));

  async function bucketTags(bucket: string): Promise<Record<string, string>> {
    const got = await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }));
    return Object.fromEntries((got.TagSet ?? []).map((t) => [t.Key, t.Value]));
  }

  async function zoneTags(zoneId: string): Promise<Record<string, string>> {
    const got = await route53.send(new ListTagsForResourceCommand({ ResourceType: "hostedzone", ResourceId: zoneId }));
    return Object.fromEntries((got.ResourceTagSet?.Tags ?? []).map((t) => [t.Key, t.Value]));
  }

  it("Bucket + Zone: created, read back, tags and comment in place, forceDestroy empties both, nothing left", async () => {
    // GIVEN an auto-named bucket and a hosted zone, both forceDestroy, whose tags and comment change
    const stage = { zoneName: "", tags: { team: "a" } as Record<string, string>, comment: "first" };
    const program = async () => {
      const bucket = new aws.s3.Bucket("Data", { forceDestroy: true, tags: stage.tags });
      const zone = new aws.route53.Zone("zone", {
        name: stage.zoneName,
        comment: stage.comment,
        forceDestroy: true,
        tags: stage.tags,
      });
      return {
        bucket: bucket.bucket,
        id: bucket.id,
        arn: bucket.arn,
        domain: bucket.bucketDomainName,
        regional: bucket.bucketRegionalDomainName,
        zoneId: zone.zoneId,
        zoneArn: zone.arn,
        nameServers: zone.nameServers,
        zoneName: zone.name,
      };
    };
    await withProviderStack({ program }, async (t, seen) => {
      stage.zoneName = `${t.name}.keyless.test`;
      // WHEN it is deployed
      const up1 = await t.up();
      seen(await t.resources());
      const out = up1.outputs as Record<string, string>;
      const bucket = out["bucket"] as string;

      // THEN the bucket exists, auto-named in lowercase, with the real provider's outputs and tags
      assert.match(bucket, /^data-[a-z0-9]{7}$/);
      assert.equal(out["id"], bucket);
      assert.equal(out["arn"], `arn:aws:s3:::${bucket}`);
      assert.equal(out["domain"], `${bucket}.s3.amazonaws.com`);
      assert.equal(out["regional"], `${bucket}.s3.us-east-1.amazonaws.com`);
      await s3.send(new HeadBucketCommand({ Bucket: bucket }));
      assert.deepEqual(await bucketTags(bucket), { team: "a" });
      // AND the zone exists with its comment, tags and name servers
      const zoneId = out["zoneId"] as string;
      assert.match(zoneId, /^[A-Z0-9]+$/, "the id has no /hostedzone/ prefix");
      assert.equal(out["zoneArn"], `arn:aws:route53:::hostedzone/${zoneId}`);
      assert.equal(out["zoneName"], stage.zoneName);
      const zone = await route53.send(new GetHostedZoneCommand({ Id: zoneId }));
      assert.equal(zone.HostedZone?.Name, `${stage.zoneName}.`);
      assert.equal(zone.HostedZone?.Config?.Comment, "first");
      const servers = out["nameServers"] as unknown as string[];
      assert.ok(servers.length > 0);
      assert.deepEqual(servers, [...(zone.DelegationSet?.NameServers ?? [])].sort());
      assert.deepEqual(await zoneTags(zoneId), { team: "a" });

      // WHEN nothing changes THEN nothing happens, also after a refresh read both back
      const same = await t.up();
      assert.deepEqual(
        same.steps.filter((s) => s.op !== "same"),
        [],
      );
      assert.deepEqual((await t.refresh()).drift, [], "the refresh reads back what the state holds");
      assert.deepEqual(
        (await t.preview()).steps.filter((s) => s.op !== "same"),
        [],
      );

      // WHEN tags and the comment change THEN both are updated in place
      Object.assign(stage, { tags: { team: "b", env: "test" }, comment: "second" });
      const up2 = await t.up();
      assert.deepEqual(opsOf(up2.steps, "Data"), ["update"]);
      assert.deepEqual(opsOf(up2.steps, "zone"), ["update"]);
      assert.deepEqual(await bucketTags(bucket), { team: "b", env: "test" });
      assert.deepEqual(await zoneTags(zoneId), { team: "b", env: "test" });
      const zone2 = await route53.send(new GetHostedZoneCommand({ Id: zoneId }));
      assert.equal(zone2.HostedZone?.Config?.Comment, "second");

      // WHEN objects and records are added outside Pulumi, and the stack is destroyed
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "a/b.txt", Body: "x" }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "c.txt", Body: "y" }));
      await route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: {
            Changes: [
              {
                Action: "CREATE",
                ResourceRecordSet: {
                  Name: `_acme-challenge.${stage.zoneName}`,
                  Type: "TXT",
                  TTL: 60,
                  ResourceRecords: [{ Value: '"token"' }],
                },
              },
            ],
          },
        }),
      );
      const destroyed = await t.destroy();
      // THEN forceDestroy emptied both and both are gone (withProviderStack lists buckets and zones)
      assert.deepEqual(opsOf(destroyed.steps, "Data"), ["delete"]);
      assert.deepEqual(opsOf(destroyed.steps, "zone"), ["delete"]);
      await assert.rejects(s3.send(new HeadBucketCommand({ Bucket: bucket })), (e: Error) => e.name === "NotFound");
      await assert.rejects(
        route53.send(new GetHostedZoneCommand({ Id: zoneId })),
        (e: Error) => e.name === "NoSuchHostedZone",
      );
    });
  });

  it("without forceDestroy, destroy refuses a bucket that holds objects (BucketNotEmpty), as AWS does", async () => {
    // GIVEN a bucket without forceDestroy that holds an object
    const stage = { forceDestroy: false };
    const program = async () => ({ bucket: new aws.s3.Bucket("kept", { forceDestroy: stage.forceDestroy }).bucket });
    await withProviderStack({ program }, async (t, seen) => {
      const up = await t.up();
      seen(await t.resources());
      const bucket = up.outputs["bucket"] as string;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "v" }));
      // WHEN the stack is destroyed THEN the engine reports S3's refusal and the bucket stays
      await assert.rejects(t.destroy(), (err: unknown) => {
        assert.ok(err instanceof StackRunError, String(err));
        assert.match(err.message, /aws:s3\/bucket:Bucket: delete failed: BucketNotEmpty/);
        return true;
      });
      await s3.send(new HeadBucketCommand({ Bucket: bucket }));
      // WHEN forceDestroy is set THEN an up records it in place, and destroy empties and deletes the bucket
      stage.forceDestroy = true;
      assert.deepEqual(opsOf((await t.up()).steps, "kept"), ["update"]);
      assert.deepEqual(opsOf((await t.destroy()).steps, "kept"), ["delete"]);
      await assert.rejects(s3.send(new HeadBucketCommand({ Bucket: bucket })), (e: Error) => e.name === "NotFound");
    });
  });
});
