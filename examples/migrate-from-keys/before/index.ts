// THE PATTERN TO MIGRATE AWAY FROM. Do not copy this program: it is what many stacks look like before keyless, kept
// here so that the migration runbook (../README.md) has a starting point and the keyless-aws pack has something to
// refuse. An IAM user with a long-lived access key, and that key pasted into stack configuration and written into
// the instance's user data, where anyone who can read user data (ec2:DescribeInstanceAttribute, the console, IMDS from
// any process on the host) can take it.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const bucket = config.get("bucket") ?? "keyless-migration-reports";
// Amazon Linux 2023, unless an AMI is configured (`pulumi config set ami ami-...`).
const al2023 = [{ name: "name", values: ["al2023-ami-2023.*-x86_64"] }];
const ami = config.get("ami") ?? aws.ec2.getAmiOutput({ owners: ["amazon"], mostRecent: true, filters: al2023 }).id;

const user = new aws.iam.User("reports-app", { tags: { purpose: "legacy reports sync" } });
new aws.iam.UserPolicy("reports-app-read", {
  user: user.name,
  policy: JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: ["s3:GetObject"], Resource: [`arn:aws:s3:::${bucket}/reports/*`] },
      { Effect: "Allow", Action: ["s3:ListBucket"], Resource: [`arn:aws:s3:::${bucket}`] },
    ],
  }),
});
// The key the team created for the app.
new aws.iam.AccessKey("reports-app", { user: user.name });

// ...and the copy of a key pair that someone pasted into the stack configuration
// (`pulumi config set --secret legacyAccessKeyId ...`), written into user data.
const keyId = config.requireSecret("legacyAccessKeyId");
const secretKey = config.requireSecret("legacySecretAccessKey");

new aws.ec2.Instance("reports-sync", {
  ami,
  instanceType: "t3.micro",
  userData: pulumi.interpolate`#!/bin/bash
set -euo pipefail
mkdir -p /root/.aws /srv/reports
cat > /root/.aws/credentials <<CREDENTIALS
[default]
aws_access_key_id = ${keyId}
aws_secret_access_key = ${secretKey}
CREDENTIALS
aws s3 sync s3://${bucket}/reports/ /srv/reports/
`,
});

export const userName = user.name;
