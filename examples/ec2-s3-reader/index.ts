// An instance that reads one prefix of one bucket. The role is trusted by EC2 only, reaches the instance through an
// instance profile, and the SDK or CLI on the instance gets short-lived credentials from IMDSv2: nothing to configure.
import { SecureInstance } from "@keyless/aws";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const prefix = config.get("prefix") ?? "reports/";
if (!/^[A-Za-z0-9!_.*'()/-]+\/$/.test(prefix)) {
  throw new Error(
    `config \`prefix\` must be an S3 key prefix ending with "/", for example "reports/"; got "${prefix}".`,
  );
}

// Emptied on destroy: the example owns what it puts there.
const bucket = new aws.s3.Bucket("reports", { forceDestroy: true });

// Amazon Linux 2023, unless an AMI is configured (`pulumi config set ami ami-...`).
const al2023 = [{ name: "name", values: ["al2023-ami-2023.*-x86_64"] }];
const ami = config.get("ami") ?? aws.ec2.getAmiOutput({ owners: ["amazon"], mostRecent: true, filters: al2023 }).id;

const reader = new SecureInstance("reader", {
  ami,
  instanceType: config.get("instanceType") ?? "t3.micro",
  permissions: {
    statements: [
      // Objects under the prefix, and nothing else in the bucket.
      { sid: "ReadPrefix", actions: ["s3:GetObject"], resources: [pulumi.interpolate`${bucket.arn}/${prefix}*`] },
      // Listing is a bucket-level action: the condition keeps it to the same prefix.
      {
        sid: "ListPrefix",
        actions: ["s3:ListBucket"],
        resources: [bucket.arn],
        conditions: { StringLike: { "s3:prefix": [`${prefix}*`] } },
      },
    ],
  },
  // The AWS CLI on the instance finds the role through IMDSv2 by itself.
  userData: pulumi.interpolate`#!/bin/bash
set -euo pipefail
aws sts get-caller-identity
mkdir -p /srv/reports
aws s3 sync s3://${bucket.bucket}/${prefix} /srv/reports/
`,
});

export const bucketName = bucket.bucket;
export const readPrefix = prefix;
export const instanceId = reader.instanceId;
export const instanceProfile = reader.instanceProfileName;
export const roleName = reader.role?.name;
