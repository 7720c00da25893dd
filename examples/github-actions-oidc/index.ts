// The roles a GitHub repository's workflows assume instead of holding an AWS key: GitHub's OIDC provider, a preview
// role that the repository's pull requests may assume (read only) and a deploy role that only jobs in the repository's
// `production` environment may assume. Each trust pins the token's audience and names the repository exactly.
import { GitHubActionsRole, OidcProvider } from "@keyless/aws";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const repository = config.get("repository") ?? "octo-org/infra";
const stateBucket = config.get("stateBucket") || undefined; // "" when the state is elsewhere
const siteBucket = config.get("siteBucket") ?? "octo-org-site";

// One provider per URL and account: when another stack already created it, look it up instead.
const github = OidcProvider.gitHubActions("github", { existing: config.getBoolean("existingProvider") ?? false });

const preview = new GitHubActionsRole("preview", {
  providerArn: github.arn,
  repository,
  pullRequests: true,
  description: `pulumi preview for pull requests of ${repository}`,
  managedPolicies: [{ arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }],
});

const deploy = new GitHubActionsRole("deploy", {
  providerArn: github.arn,
  repository,
  environments: ["production"],
  description: `pulumi up from the production environment of ${repository}`,
  maxSessionDuration: 3600,
  statements: [
    // What the deploy job changes: here the objects of one site bucket. Widen it to what your program manages,
    // resource by resource, never to "*".
    { sid: "SiteList", actions: ["s3:ListBucket"], resources: [`arn:aws:s3:::${siteBucket}`] },
    { sid: "SiteObjects", actions: ["s3:PutObject", "s3:DeleteObject"], resources: [`arn:aws:s3:::${siteBucket}/*`] },
    ...(stateBucket === undefined
      ? []
      : [
          { sid: "StateList", actions: ["s3:ListBucket"], resources: [`arn:aws:s3:::${stateBucket}`] },
          {
            sid: "StateObjects",
            actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            resources: [`arn:aws:s3:::${stateBucket}/.pulumi/*`],
          },
        ]),
  ],
});

export const providerArn = github.arn;
export const previewRoleArn = preview.roleArn;
export const deployRoleArn = deploy.roleArn;
export const previewRoleName = preview.roleName;
export const deployRoleName = deploy.roleName;
