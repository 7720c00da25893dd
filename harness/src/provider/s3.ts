/**
 * aws:s3 Bucket (pulumi-aws 7's `Bucket`, formerly BucketV2), on LocalStack. The name (or prefix) replaces the
 * bucket; tags and `forceDestroy` change in place. Delete refuses a bucket that holds objects unless `forceDestroy`
 * is set, which first deletes every object version and delete marker, as the real provider does.
 */
import type { CreateBucketConfiguration, S3Client } from "@aws-sdk/client-s3";
import { awsCode, compact, containsUnknown, isNotFound, retryOn, str, tagList } from "./properties";
import { s3Sdk } from "./sdk";
import type { HandlerContext, Props, ResourceHandler } from "./types";

const TOKEN = "aws:s3/bucket:Bucket";

/** The S3 website/alias hosted zone ids the real provider reports per region (AWS's published table, abridged). */
const HOSTED_ZONE_IDS: Readonly<Record<string, string>> = {
  "us-east-1": "Z3AQBSTGFYJSTF",
  "us-east-2": "Z2O1EMRO9K5GLX",
  "us-west-1": "Z2F56UZL2M1ACD",
  "us-west-2": "Z3BJ6K6RIION7M",
  "eu-west-1": "Z1BKCTXD74EZPE",
  "eu-central-1": "Z21DNDUVLTQW6Q",
};

async function exists(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    await s3.send(new s3Sdk.HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

async function readBucket(ctx: HandlerContext, id: string, state: Props): Promise<Props | undefined> {
  const s3 = ctx.clients.s3;
  if (!(await exists(s3, id))) return undefined;
  const location = await s3.send(new s3Sdk.GetBucketLocationCommand({ Bucket: id }));
  // GetBucketLocation answers no constraint for us-east-1 (and "EU" for the oldest eu-west-1 buckets).
  const constraint = location.LocationConstraint as string | undefined;
  const region = !constraint ? "us-east-1" : constraint === "EU" ? "eu-west-1" : constraint;
  let held: Record<string, string> = {};
  try {
    const got = await s3.send(new s3Sdk.GetBucketTaggingCommand({ Bucket: id }));
    held = Object.fromEntries((got.TagSet ?? []).map((t) => [t.Key as string, t.Value ?? ""]));
  } catch (err) {
    if (awsCode(err) !== "NoSuchTagSet") throw err;
  }
  return compact({
    id,
    bucket: id,
    bucketPrefix: state["bucketPrefix"],
    arn: `arn:aws:s3:::${id}`,
    bucketDomainName: `${id}.s3.amazonaws.com`,
    bucketRegionalDomainName: `${id}.s3.${region}.amazonaws.com`,
    hostedZoneId: HOSTED_ZONE_IDS[region],
    region,
    bucketRegion: region,
    forceDestroy: state["forceDestroy"] ?? false,
    tags: Object.keys(held).length > 0 ? held : undefined,
    tagsAll: held,
  });
}

async function putTags(s3: S3Client, bucket: string, tags: unknown): Promise<void> {
  const list = tagList(tags);
  if (list.length === 0) await s3.send(new s3Sdk.DeleteBucketTaggingCommand({ Bucket: bucket }));
  else await s3.send(new s3Sdk.PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: list } }));
}

/** Deletes every object version and delete marker, a page (up to 1,000) at a time. */
async function emptyBucket(s3: S3Client, bucket: string): Promise<number> {
  let deleted = 0;
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  do {
    const page = await s3.send(new s3Sdk.ListObjectVersionsCommand({ Bucket: bucket, KeyMarker, VersionIdMarker }));
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({
      Key: v.Key as string,
      VersionId: v.VersionId ?? undefined,
    }));
    if (objects.length > 0) {
      const out = await s3.send(
        new s3Sdk.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }),
      );
      const failed = out.Errors ?? [];
      if (failed.length > 0) {
        throw new Error(
          `${TOKEN} ${bucket}: forceDestroy could not delete ${failed.length} object(s), first ${failed[0]?.Key}: ` +
            `${failed[0]?.Code} ${failed[0]?.Message}`,
        );
      }
      deleted += objects.length;
    }
    KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (KeyMarker !== undefined);
  return deleted;
}

const bucket: ResourceHandler = {
  token: TOKEN,
  service: "s3",
  properties: {
    bucket: { replaces: true },
    bucketPrefix: { replaces: true },
    forceDestroy: { default: false },
    tags: {},
  },
  // S3 names are lowercase: the real provider lowercases the auto-name; a prefix gets Terraform's unique suffix.
  autoName: { property: "bucket", maxLength: 63, prefix: "bucketPrefix", lowercase: true },
  validate(inputs) {
    const failures: Array<{ property: string; reason: string }> = [];
    const name = inputs["bucket"];
    if (typeof name === "string" && !containsUnknown(name) && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) {
      failures.push({
        property: "bucket",
        reason: `${TOKEN}: \`bucket\` must be 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit; got ${JSON.stringify(name)}.`,
      });
    }
    const prefix = inputs["bucketPrefix"];
    // The unique suffix takes 26 of the 63 characters.
    if (typeof prefix === "string" && !containsUnknown(prefix) && !/^[a-z0-9][a-z0-9.-]{0,36}$/.test(prefix)) {
      failures.push({
        property: "bucketPrefix",
        reason: `${TOKEN}: \`bucketPrefix\` must be at most 37 lowercase letters, digits, dots or hyphens, starting with a letter or digit; got ${JSON.stringify(prefix)}.`,
      });
    }
    return failures;
  },
  async create(ctx, inputs) {
    const name = str(inputs, "bucket") as string;
    const s3 = ctx.clients.s3;
    const configuration: CreateBucketConfiguration | undefined =
      ctx.region === "us-east-1" ? undefined : { LocationConstraint: ctx.region as never };
    await s3.send(new s3Sdk.CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: configuration }));
    // S3 is eventually consistent: the real provider waits until HeadBucket finds the new bucket.
    await retryOn(["NotFound", "NoSuchBucket"], async () => {
      if (!(await exists(s3, name)))
        throw Object.assign(new Error(`bucket ${name} not found yet`), { name: "NotFound" });
    });
    if (tagList(inputs["tags"]).length > 0) await putTags(s3, name, inputs["tags"]);
    return { id: name, outs: (await readBucket(ctx, name, inputs)) ?? {} };
  },
  read: readBucket,
  async update(ctx, id, _olds, news, changed) {
    // forceDestroy only lives in the state; tags are the one thing S3 is told.
    if (changed.includes("tags")) await putTags(ctx.clients.s3, id, news["tags"]);
    return (await readBucket(ctx, id, news)) ?? {};
  },
  async delete(ctx, id, state) {
    const s3 = ctx.clients.s3;
    try {
      await s3.send(new s3Sdk.DeleteBucketCommand({ Bucket: id }));
    } catch (err) {
      if (isNotFound(err)) return;
      if (awsCode(err) !== "BucketNotEmpty" || state["forceDestroy"] !== true) throw err;
      await emptyBucket(s3, id);
      await s3.send(new s3Sdk.DeleteBucketCommand({ Bucket: id }));
    }
  },
};

export const s3Handlers: readonly ResourceHandler[] = [bucket];
