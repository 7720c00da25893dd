// The keyless demo: an EC2 instance that reads one S3 prefix with credentials from its instance
// profile, and the CI job that publishes to that prefix with a role it gets through GitHub's OIDC token.
// No access key exists anywhere: the instance role is trusted by EC2 only, IMDSv2 is required, the user
// data is scanned for keys before the instance is created, and the CI role trusts one repository's main branch.

import { GitHubActionsRole, OidcProvider, SecureInstance } from "@keyless/aws";
import * as aws from "@pulumi/aws";
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

// CI: the workflow on the main branch of one repository publishes the reports, and may do nothing else. Its job
// exchanges GitHub's OIDC token for this role's credentials (AssumeRoleWithWebIdentity): no key in the repository's
// secrets. One provider per URL and account: `existingGitHubProvider` when the account already has it.
const repository = config.get("ciRepository") ?? "acme/reports";
const github = OidcProvider.gitHubActions("github", { existing: config.getBoolean("existingGitHubProvider") ?? false });
// The provider's ARN is written from the account (an invoke, answered at preview) rather than taken from github.arn,
// which is unknown until the provider exists: so the pack reads the whole trust policy at preview, before anything is
// created. dependsOn keeps the order github.arn would have given.
const account = aws.getCallerIdentityOutput({}).accountId;
const githubProviderArn = pulumi.interpolate`arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`;
const publisher = new GitHubActionsRole(
  "reports-publisher",
  {
    providerArn: githubProviderArn,
    repository,
    branches: ["main"],
    roleName: "reports-publisher",
    description: `publishes reports/ of ${bucket} from the main branch of ${repository}`,
    statements: [{ actions: ["s3:PutObject"], resources: [`arn:aws:s3:::${bucket}/reports/*`] }],
  },
  { dependsOn: [github] },
);

export const instanceId = reader.instanceId;
export const instanceProfile = reader.instanceProfileName;
export const roleArn = reader.role?.arn;
// What the instance's identity is compared with: the role the stack made, not what the metadata service serves.
export const roleName = reader.role?.name;
export const ciRepository = repository;
export const ciRoleArn = publisher.roleArn;
export const githubProvider = github.arn;
