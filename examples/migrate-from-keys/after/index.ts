// The same workload as ../before, keyless: the permissions the user had become a role trusted by EC2 only, delivered
// through an instance profile; IMDSv2 is required; the user data holds no credentials (the components refuse any).
import { SecureInstance } from "@keyless/aws";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const bucket = config.get("bucket") ?? "keyless-migration-reports";
// Amazon Linux 2023, unless an AMI is configured (`pulumi config set ami ami-...`).
const al2023 = [{ name: "name", values: ["al2023-ami-2023.*-x86_64"] }];
const ami = config.get("ami") ?? aws.ec2.getAmiOutput({ owners: ["amazon"], mostRecent: true, filters: al2023 }).id;

const sync = new SecureInstance("reports-sync", {
  ami,
  instanceType: "t3.micro",
  permissions: {
    // The user's policy, unchanged except that ListBucket now stays inside the prefix.
    statements: [
      { sid: "ReadReports", actions: ["s3:GetObject"], resources: [`arn:aws:s3:::${bucket}/reports/*`] },
      {
        sid: "ListReports",
        actions: ["s3:ListBucket"],
        resources: [`arn:aws:s3:::${bucket}`],
        conditions: { StringLike: { "s3:prefix": ["reports/*"] } },
      },
    ],
  },
  // No credentials file: the AWS CLI reads the role from IMDSv2.
  userData: `#!/bin/bash
set -euo pipefail
mkdir -p /srv/reports
aws sts get-caller-identity
aws s3 sync s3://${bucket}/reports/ /srv/reports/
`,
});

export const instanceId = sync.instanceId;
export const instanceProfile = sync.instanceProfileName;
export const roleName = sync.role?.name;
