import * as assert from "node:assert/strict";
import { GitLabCiRole, type GitLabCiRoleArgs, KeylessErrorCode, OidcProvider } from "@keyless/aws";
import { evaluateTrust, webIdentityRequest } from "@keyless/iam-rules";
import * as pulumi from "@pulumi/pulumi";
import { deployFailures, expectFailure, expectValidationError, resolved, useMocks } from "../../support/mocks";

const ROLE = "aws:iam/role:Role";
const GITLAB_COM = "arn:aws:iam::123456789012:oidc-provider/gitlab.com";
const SELF_MANAGED = "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com";

function admits(policy: string, providerArn: string, claims: Record<string, string>): boolean {
  return evaluateTrust(policy, webIdentityRequest(providerArn, claims)).allowed;
}

describe("GitLabCiRole", () => {
  const mocks = useMocks();

  async function trustOf(args: Partial<GitLabCiRoleArgs>): Promise<string> {
    const role = new GitLabCiRole("ci", { providerArn: GITLAB_COM, project: "acme/web", branches: ["main"], ...args });
    const policy = (await resolved(role.trustPolicy))!;
    await mocks.settle();
    assert.equal(mocks.one(ROLE, "ci-role").inputs.assumeRolePolicy, policy);
    return policy;
  }

  describe("trust policy", () => {
    it("pins aud to the instance URL and sub to the project's branch, and admits nothing else", async () => {
      // GIVEN / WHEN
      const policy = await trustOf({});
      // THEN
      assert.deepEqual(JSON.parse(policy).Statement[0], {
        Effect: "Allow",
        Principal: { Federated: GITLAB_COM },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            "gitlab.com:aud": "https://gitlab.com",
            "gitlab.com:sub": "project_path:acme/web:ref_type:branch:ref:main",
          },
        },
      });
      const aud = "https://gitlab.com";
      assert.equal(admits(policy, GITLAB_COM, { aud, sub: "project_path:acme/web:ref_type:branch:ref:main" }), true);
      assert.equal(admits(policy, GITLAB_COM, { aud, sub: "project_path:acme/api:ref_type:branch:ref:main" }), false);
      assert.equal(admits(policy, GITLAB_COM, { aud, sub: "project_path:evil/web:ref_type:branch:ref:main" }), false);
      assert.equal(admits(policy, GITLAB_COM, { aud, sub: "project_path:acme/web:ref_type:branch:ref:dev" }), false);
      assert.equal(admits(policy, GITLAB_COM, { aud, sub: "project_path:acme/web:ref_type:tag:ref:main" }), false);
      assert.equal(
        admits(policy, GITLAB_COM, { aud: "sts.amazonaws.com", sub: "project_path:acme/web:ref_type:branch:ref:main" }),
        false,
      );
    });

    it("scopes to tags, with StringLike only for the wildcard, in subgroups", async () => {
      const policy = await trustOf({ project: "acme/platform/web", branches: undefined, gitTags: ["v*"] });
      const condition = JSON.parse(policy).Statement[0].Condition;
      assert.deepEqual(condition, {
        StringEquals: { "gitlab.com:aud": "https://gitlab.com" },
        StringLike: { "gitlab.com:sub": "project_path:acme/platform/web:ref_type:tag:ref:v*" },
      });
      const aud = "https://gitlab.com";
      assert.equal(
        admits(policy, GITLAB_COM, { aud, sub: "project_path:acme/platform/web:ref_type:tag:ref:v1.2" }),
        true,
      );
      assert.equal(
        admits(policy, GITLAB_COM, { aud, sub: "project_path:acme/platform/web:ref_type:branch:ref:v1" }),
        false,
      );
      assert.equal(
        admits(policy, GITLAB_COM, { aud, sub: "project_path:acme/platform/api:ref_type:tag:ref:v1" }),
        false,
      );
    });

    it("writes a self-managed instance's keys and audience, or the audience given", async () => {
      const policy = await trustOf({ providerArn: SELF_MANAGED });
      const sub = "project_path:acme/web:ref_type:branch:ref:main";
      assert.equal(admits(policy, SELF_MANAGED, { aud: "https://gitlab.example.com", sub }), true);
      assert.equal(admits(policy, GITLAB_COM, { aud: "https://gitlab.com", sub }), false, "gitlab.com's tokens");
      mocks.resources.length = 0;
      const custom = await trustOf({ providerArn: SELF_MANAGED, audience: "aws-prod" });
      assert.equal(admits(custom, SELF_MANAGED, { aud: "aws-prod", sub }), true);
      assert.equal(admits(custom, SELF_MANAGED, { aud: "https://gitlab.example.com", sub }), false);
    });

    it("takes the ARN of an OidcProvider, and a default description", async () => {
      const gitlab = OidcProvider.gitLab("gitlab");
      const role = new GitLabCiRole("ci", { providerArn: gitlab.arn, project: "acme/web", branches: ["main"] });
      const policy = (await resolved(role.trustPolicy))!;
      assert.equal(JSON.parse(policy).Statement[0].Principal.Federated, GITLAB_COM);
      await mocks.settle();
      assert.equal(mocks.one(ROLE).inputs.description, "keyless role for GitLab CI of acme/web");
      assert.match((await resolved(role.roleArn))!, /:role\/ci-role-/);
      assert.ok((await resolved(role.roleName))!.startsWith("ci-role-"));
    });
  });

  describe("validation", () => {
    const make = (args: Partial<GitLabCiRoleArgs>) => () =>
      new GitLabCiRole("ci", { providerArn: GITLAB_COM, project: "acme/web", branches: ["main"], ...args });
    const refusals: [string, Partial<GitLabCiRoleArgs>, string, string][] = [
      ["a wildcard group", { project: "*/web" }, KeylessErrorCode.WildcardSubject, "project"],
      ["a wildcard project", { project: "acme/*" }, KeylessErrorCode.WildcardSubject, "project"],
      ["a project without group", { project: "web" }, KeylessErrorCode.InvalidArgument, "project"],
      ["a project with a space", { project: "acme/my web" }, KeylessErrorCode.InvalidArgument, "project"],
      ["no project", { project: undefined as never }, KeylessErrorCode.InvalidArgument, "project"],
      ["no scope", { branches: undefined }, KeylessErrorCode.InvalidArgument, "branches|gitTags"],
      ["two scopes", { gitTags: ["v1"] }, KeylessErrorCode.ConflictingArguments, "gitTags"],
      ["no branch", { branches: [] }, KeylessErrorCode.InvalidArgument, "branches"],
      ["a full ref", { branches: ["refs/heads/main"] }, KeylessErrorCode.InvalidArgument, "branches[0]"],
      ["a bad audience", { audience: "" }, KeylessErrorCode.InvalidArgument, "audience"],
      [
        "the provider of GitHub",
        { providerArn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" },
        KeylessErrorCode.IssuerMismatch,
        "providerArn",
      ],
      [
        "the provider of an EKS cluster",
        { providerArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC" },
        KeylessErrorCode.IssuerMismatch,
        "providerArn",
      ],
      [
        "a write on *",
        { statements: [{ actions: ["s3:PutObject"], resources: ["*"] }] },
        KeylessErrorCode.WriteOnAllResources,
        "statements[0].actions[0]",
      ],
    ];
    for (const [what, args, code, argument] of refusals) {
      it(`refuses ${what} before registering anything`, async () => {
        expectValidationError(make(args), code, argument);
        await mocks.settle();
        assert.deepEqual(mocks.resources, [], "no half component");
      });
    }

    it("refuses missing arguments, and a provider ARN known later that is another issuer's", async () => {
      expectValidationError(() => new GitLabCiRole("ci", undefined as never), KeylessErrorCode.InvalidArgument, "args");
      const errors = await deployFailures(mocks, () => {
        new GitLabCiRole("ci", {
          providerArn: pulumi.output("arn:aws:iam::123456789012:oidc-provider/api.pulumi.com/oidc"),
          project: "acme/web",
          branches: ["main"],
        });
      });
      expectFailure(errors, KeylessErrorCode.IssuerMismatch, "providerArn");
    });
  });
});
