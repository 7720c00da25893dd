// The keyless demo: an EC2 instance that reads one S3 prefix with credentials from its instance
// profile. No access key exists anywhere: the role is trusted by EC2 only, IMDSv2 is required,
// and the user data is scanned for keys before the instance is created.

import { SecureInstance } from "@keyless/aws";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const bucket = config.get("bucket") ?? "keyless-demo-reports";
// Moving the workload to a new role (`pulumi config set roleGeneration 2`) creates a new role and a new instance
// profile, and associates that profile with the running instance: IMDS serves the new role at once.
const generation = config.getNumber("roleGeneration") ?? 1;

const reader = new SecureInstance("reports-reader", {
  ami: config.get("ami") ?? "ami-03cf127a",
  instanceType: config.get("instanceType") ?? "t3.micro",
  permissions: {
    roleName: `reports-reader-v${generation}`,
    statements: [
      { actions: ["s3:GetObject"], resources: [`arn:aws:s3:::${bucket}/reports/*`] },
      {
        actions: ["s3:ListBucket"],
        resources: [`arn:aws:s3:::${bucket}`],
        conditions: { StringLike: { "s3:prefix": ["reports/*"] } },
      },
    ],
  },
  userData: [
    "#!/bin/bash",
    "# The AWS CLI finds the instance role through IMDSv2: no keys to configure.",
    "aws sts get-caller-identity",
    `aws s3 cp s3://${bucket}/reports/latest.csv /srv/reports/latest.csv`,
  ].join("\n"),
});

export const instanceId = reader.instanceId;
export const instanceProfile = reader.instanceProfileName;
export const roleArn = reader.role?.arn;
