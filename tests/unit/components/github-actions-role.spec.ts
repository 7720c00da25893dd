import * as assert from "node:assert/strict";
import { GitHubActionsRole, type GitHubActionsRoleArgs, KeylessErrorCode, OidcProvider } from "@keyless/aws";
import { evaluateTrust, webIdentityRequest } from "@keyless/iam-rules";
import * as pulumi from "@pulumi/pulumi";
import { deployFailures, expectFailure, expectValidationError, ownedBy, resolved, useMocks } from "../../support/mocks";

const ROLE = "aws:iam/role:Role";
const POLICY = "aws:iam/rolePolicy:RolePolicy";
const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
const PROVIDER_ARN = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
const READ = { actions: ["s3:GetObject"], resources: ["arn:aws:s3:::acme-reports/*"] };
const WRITE = { actions: ["s3:PutObject"], resources: ["arn:aws:s3:::acme-site/*"] };

/** Whether GitHub's token with these claims may assume the role, by the one trust evaluation of @keyless/iam-rules. */
function admits(trustPolicy: string, claims: Record<string, string>): boolean {
  return evaluateTrust(trustPolicy, webIdentityRequest(PROVIDER_ARN, { aud: "sts.amazonaws.com", ...claims })).allowed;
}

describe("GitHubActionsRole", () => {
  const mocks = useMocks();

  async function trustOf(args: Partial<GitHubActionsRoleArgs>): Promise<string> {
    const role = new GitHubActionsRole("ci", { providerArn: PROVIDER_ARN, repository: "acme/web", ...args });
    const policy = (await resolved(role.trustPolicy))!;
    await mocks.settle();
    assert.equal(mocks.one(ROLE, "ci-role").inputs.assumeRolePolicy, policy, "the role gets the rendered policy");
    return policy;
  }

  describe("trust policy", () => {
    it("pins aud and a branch's subject with StringEquals, and admits only that repository's branch", async () => {
      // GIVEN / WHEN
      const policy = await trustOf({ branches: ["main"] });
      // THEN
      assert.deepEqual(JSON.parse(policy), {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: PROVIDER_ARN },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": "repo:acme/web:ref:refs/heads/main",
              },
            },
          },
        ],
      });
      assert.equal(admits(policy, { sub: "repo:acme/web:ref:refs/heads/main" }), true, "right repo and branch");
      assert.equal(admits(policy, { sub: "repo:acme/other:ref:refs/heads/main" }), false, "other repository");
      assert.equal(admits(policy, { sub: "repo:evil/web:ref:refs/heads/main" }), false, "other owner");
      assert.equal(admits(policy, { sub: "repo:acme/web:ref:refs/heads/dev" }), false, "other branch");
      assert.equal(admits(policy, { sub: "repo:acme/web:pull_request" }), false, "a pull request");
      assert.equal(admits(policy, { sub: "repo:acme/web:ref:refs/tags/main" }), false, "a tag of that name");
      assert.equal(
        admits(policy, { sub: "repo:acme/web:ref:refs/heads/main", aud: "https://github.com/acme" }),
        false,
        "another audience",
      );
    });

    it("uses StringLike only when a branch holds a wildcard, which stays inside the branch", async () => {
      const policy = await trustOf({ branches: ["main", "release/*"] });
      const condition = JSON.parse(policy).Statement[0].Condition;
      assert.deepEqual(condition, {
        StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
        StringLike: {
          "token.actions.githubusercontent.com:sub": [
            "repo:acme/web:ref:refs/heads/main",
            "repo:acme/web:ref:refs/heads/release/*",
          ],
        },
      });
      assert.equal(admits(policy, { sub: "repo:acme/web:ref:refs/heads/release/1.2" }), true);
      assert.equal(admits(policy, { sub: "repo:acme/web:ref:refs/heads/main" }), true);
      assert.equal(admits(policy, { sub: "repo:acme/web:ref:refs/heads/feature" }), false);
      assert.equal(admits(policy, { sub: "repo:acme/webx:ref:refs/heads/release/1" }), false);
    });

    it("scopes to git tags", async () => {
      const policy = await trustOf({ gitTags: ["v*"] });
      assert.equal(admits(policy, { sub: "repo:acme/web:ref:refs/tags/v1.0.0" }), true);
      assert.equal(admits(policy, { sub: "repo:acme/web:ref:refs/heads/v1.0.0" }), false, "a branch of that name");
      assert.equal(admits(policy, { sub: "repo:acme/web:ref:refs/tags/latest" }), false);
    });

    it("scopes to environments", async () => {
      const policy = await trustOf({ environments: ["production"] });
      assert.match(policy, /"StringEquals"/);
      assert.equal(admits(policy, { sub: "repo:acme/web:environment:production" }), true);
      assert.equal(admits(policy, { sub: "repo:acme/web:environment:staging" }), false);
      assert.equal(admits(policy, { sub: "repo:acme/web:ref:refs/heads/main" }), false);
    });

    it("scopes to pull requests, read-only", async () => {
      const policy = await trustOf({ pullRequests: true, statements: [READ] });
      assert.equal(admits(policy, { sub: "repo:acme/web:pull_request" }), true);
      assert.equal(admits(policy, { sub: "repo:acme/other:pull_request" }), false);
      assert.equal(admits(policy, { sub: "repo:acme/web:ref:refs/heads/main" }), false);
    });

    it("scopes to a reusable workflow called from the repository, pull requests excluded", async () => {
      const workflow = "acme/workflows/.github/workflows/deploy.yml@refs/heads/main";
      const policy = await trustOf({ reusableWorkflow: workflow });
      assert.deepEqual(JSON.parse(policy).Statement[0].Condition, {
        StringEquals: {
          "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
          "token.actions.githubusercontent.com:job_workflow_ref": workflow,
        },
        StringLike: { "token.actions.githubusercontent.com:sub": "repo:acme/web:*" },
        StringNotEquals: { "token.actions.githubusercontent.com:sub": "repo:acme/web:pull_request" },
      });
      const main = { sub: "repo:acme/web:ref:refs/heads/main", job_workflow_ref: workflow };
      assert.equal(admits(policy, main), true);
      assert.equal(admits(policy, { ...main, sub: "repo:acme/web:environment:prod" }), true);
      assert.equal(admits(policy, { ...main, sub: "repo:acme/web:pull_request" }), false, "a pull request");
      assert.equal(admits(policy, { ...main, sub: "repo:evil/web:ref:refs/heads/main" }), false, "another caller");
      assert.equal(
        admits(policy, { ...main, job_workflow_ref: "acme/workflows/.github/workflows/deploy.yml@refs/heads/dev" }),
        false,
        "the workflow at another ref",
      );
      assert.equal(admits(policy, { sub: main.sub }), false, "no job_workflow_ref: not a reusable workflow run");
    });

    it("uses StringLike for a reusable workflow whose ref holds a wildcard", async () => {
      const policy = await trustOf({ reusableWorkflow: "acme/workflows/.github/workflows/deploy.yml@refs/tags/v*" });
      const condition = JSON.parse(policy).Statement[0].Condition;
      assert.equal(
        condition.StringLike["token.actions.githubusercontent.com:job_workflow_ref"],
        "acme/workflows/.github/workflows/deploy.yml@refs/tags/v*",
      );
      const claims = { sub: "repo:acme/web:ref:refs/heads/main" };
      const ref = (r: string) => `acme/workflows/.github/workflows/deploy.yml@${r}`;
      assert.equal(admits(policy, { ...claims, job_workflow_ref: ref("refs/tags/v2") }), true);
      assert.equal(admits(policy, { ...claims, job_workflow_ref: ref("refs/heads/main") }), false);
    });

    it("accepts the immutable repository form, alone or beside the name: each gives its subject", async () => {
      const immutable = "acme@1234/web@5678";
      const alone = await trustOf({ repository: undefined, immutableRepository: immutable, branches: ["main"] });
      assert.equal(admits(alone, { sub: "repo:acme@1234/web@5678:ref:refs/heads/main" }), true);
      assert.equal(admits(alone, { sub: "repo:acme/web:ref:refs/heads/main" }), false, "the name alone");
      assert.equal(admits(alone, { sub: "repo:acme@1234/web@9999:ref:refs/heads/main" }), false, "a recreated repo");
      mocks.resources.length = 0;
      const both = await trustOf({ immutableRepository: immutable, branches: ["main", "dev"] });
      assert.deepEqual(
        JSON.parse(both).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"],
        [
          "repo:acme/web:ref:refs/heads/main",
          "repo:acme/web:ref:refs/heads/dev",
          "repo:acme@1234/web@5678:ref:refs/heads/main",
          "repo:acme@1234/web@5678:ref:refs/heads/dev",
        ],
      );
      assert.equal(admits(both, { sub: "repo:acme/web:ref:refs/heads/dev" }), true);
      assert.equal(admits(both, { sub: "repo:acme@1234/web@5678:ref:refs/heads/main" }), true);
    });

    it("takes another audience", async () => {
      const policy = await trustOf({ branches: ["main"], audience: "https://github.com/acme" });
      const sub = "repo:acme/web:ref:refs/heads/main";
      assert.equal(admits(policy, { sub, aud: "https://github.com/acme" }), true);
      assert.equal(admits(policy, { sub }), false);
    });

    it("writes the condition keys of the provider's issuer (a GitHub Enterprise slug)", async () => {
      const arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com/acme-corp";
      const policy = await trustOf({ providerArn: arn, branches: ["main"] });
      assert.ok(
        "token.actions.githubusercontent.com/acme-corp:sub" in JSON.parse(policy).Statement[0].Condition.StringEquals,
      );
      const request = webIdentityRequest(arn, { aud: "sts.amazonaws.com", sub: "repo:acme/web:ref:refs/heads/main" });
      assert.equal(evaluateTrust(policy, request).allowed, true);
    });

    it("takes the ARN of an OidcProvider", async () => {
      const github = OidcProvider.gitHubActions("github");
      const role = new GitHubActionsRole("ci", { providerArn: github.arn, repository: "acme/web", branches: ["main"] });
      const policy = (await resolved(role.trustPolicy))!;
      assert.equal(JSON.parse(policy).Statement[0].Principal.Federated, PROVIDER_ARN);
      assert.equal(admits(policy, { sub: "repo:acme/web:ref:refs/heads/main" }), true);
    });
  });

  describe("children and outputs", () => {
    it("registers role, policy and attachments under the component, with a default description", async () => {
      const role = new GitHubActionsRole("ci", {
        providerArn: PROVIDER_ARN,
        repository: "acme/web",
        branches: ["main"],
        statements: [WRITE],
        managedPolicies: [{ arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }],
        maxSessionDuration: 7200,
        path: "/ci/",
        tags: { team: "web" },
      });
      assert.match((await resolved(role.roleArn))!, /^arn:aws:iam::123456789012:role\/ci\/ci-role-/);
      assert.ok((await resolved(role.roleName))!.startsWith("ci-role-"));
      await mocks.settle();
      assert.deepEqual(mocks.summary(), [
        "aws:iam/role:Role::ci-role",
        "aws:iam/rolePolicy:RolePolicy::ci-policy",
        `aws:iam/rolePolicyAttachment:RolePolicyAttachment::${mocks.one(ATTACHMENT).name}`,
        "keyless:aws:GitHubActionsRole::ci",
      ]);
      const inputs = mocks.one(ROLE).inputs;
      assert.equal(inputs.description, "keyless role for GitHub Actions of acme/web");
      assert.equal(inputs.maxSessionDuration, 7200);
      assert.deepEqual(inputs.tags, { team: "web", ...ownedBy("keyless:aws:GitHubActionsRole::ci") });
      assert.equal(JSON.parse(mocks.one(POLICY).inputs.policy).Statement[0].Action, "s3:PutObject");
      for (const child of [role.role, role.policy!, role.policyAttachments[0]!]) {
        assert.match((await resolved(child.urn))!, /keyless:aws:GitHubActionsRole\$aws:iam/);
      }
    });

    it("applies the least-privilege rules of WorkloadRole", () => {
      expectValidationError(
        () =>
          new GitHubActionsRole("ci", {
            providerArn: PROVIDER_ARN,
            repository: "acme/web",
            branches: ["main"],
            statements: [{ actions: ["s3:PutObject"], resources: ["*"] }],
          }),
        KeylessErrorCode.WriteOnAllResources,
        "statements[0].actions[0]",
      );
      expectValidationError(
        () =>
          new GitHubActionsRole("ci", {
            providerArn: PROVIDER_ARN,
            repository: "acme/web",
            branches: ["main"],
            managedPolicies: [{ arn: "arn:aws:iam::aws:policy/AdministratorAccess" }],
          }),
        KeylessErrorCode.PrivilegedManagedPolicy,
        "managedPolicies[0].arn",
      );
      assert.deepEqual(mocks.resources, []);
    });
  });

  describe("pull requests and write access", () => {
    const pr = (extra: Partial<GitHubActionsRoleArgs>) => () =>
      new GitHubActionsRole("pr", { providerArn: PROVIDER_ARN, repository: "acme/web", pullRequests: true, ...extra });

    it("refuses a write action, naming it and its access level", () => {
      const err = expectValidationError(
        pr({ statements: [READ, { ...WRITE, actions: ["s3:GetObject", "s3:PutObject"] }] }),
        KeylessErrorCode.WriteFromPullRequests,
        "statements[1].actions[1]",
      );
      assert.match(err.message, /"s3:PutObject" \(access level "Write"\)/);
      assert.match(err.message, /allowWriteFromPullRequests/);
      assert.deepEqual(mocks.resources, []);
    });

    it("counts a wildcard action that includes a write, tagging or permissions action", () => {
      const err = expectValidationError(
        pr({
          statements: [
            {
              actions: ["s3:Put*"],
              resources: ["arn:aws:s3:::acme-site/*"],
              leastPrivilegeException: "pattern kept for the test",
            },
          ],
        }),
        KeylessErrorCode.WriteFromPullRequests,
        "statements[0].actions[0]",
      );
      assert.match(err.message, /which includes s3:put/i);
      expectValidationError(
        pr({ statements: [{ actions: ["s3:PutObjectTagging"], resources: ["arn:aws:s3:::acme-site/*"] }] }),
        KeylessErrorCode.WriteFromPullRequests,
      );
      expectValidationError(
        pr({ statements: [{ actions: ["iam:PutRolePolicy"], resources: ["arn:aws:iam::123456789012:role/x"] }] }),
        KeylessErrorCode.WriteFromPullRequests,
      );
    });

    it("counts unknown actions and * as writes", () => {
      const reason = "action newer than the data set";
      expectValidationError(
        pr({
          statements: [
            { actions: ["s3:BrandNewAction"], resources: ["arn:aws:s3:::b"], leastPrivilegeException: reason },
          ],
        }),
        KeylessErrorCode.WriteFromPullRequests,
        "statements[0].actions[0]",
      );
      expectValidationError(
        pr({ statements: [{ actions: ["*"], resources: ["arn:aws:s3:::b"], leastPrivilegeException: reason }] }),
        KeylessErrorCode.WriteFromPullRequests,
        "statements[0].actions[0]",
      );
    });

    it("ignores Deny statements and accepts reads, lists and the read-only managed policies", async () => {
      new GitHubActionsRole("pr", {
        providerArn: PROVIDER_ARN,
        repository: "acme/web",
        pullRequests: true,
        statements: [
          READ,
          { actions: ["s3:ListBucket"], resources: ["arn:aws:s3:::acme-reports"] },
          { effect: "Deny", actions: ["s3:DeleteObject"], resources: ["*"] },
        ],
        managedPolicies: [
          { arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
          { arn: "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess" },
          { arn: "arn:aws:iam::aws:policy/SecurityAudit" },
        ],
      });
      await mocks.settle();
      assert.equal(mocks.ofType(ATTACHMENT).length, 3);
    });

    it("counts any other managed policy as a write: customer managed, other AWS ones, and ARNs known later", () => {
      for (const arn of [
        "arn:aws:iam::123456789012:policy/ReadOnlyAccess",
        "arn:aws:iam::aws:policy/AmazonS3FullAccess",
      ]) {
        const err = expectValidationError(
          pr({ managedPolicies: [{ arn }] }),
          KeylessErrorCode.WriteFromPullRequests,
          "managedPolicies[0].arn",
        );
        assert.match(err.message, /not one of AWS's read-only managed policies/);
      }
      expectValidationError(
        pr({ managedPolicies: [{ arn: pulumi.output("arn:aws:iam::aws:policy/ReadOnlyAccess") }] }),
        KeylessErrorCode.WriteFromPullRequests,
        "managedPolicies[0].arn",
      );
      expectValidationError(
        pr({ statements: pulumi.output([READ]) as never }),
        KeylessErrorCode.WriteFromPullRequests,
        "statements",
      );
      expectValidationError(
        pr({ managedPolicies: pulumi.output([]) as never }),
        KeylessErrorCode.InvalidArgument,
        "managedPolicies",
      );
    });

    it("allows write with a reason, recorded as a tag", async () => {
      const reason = "posts preview reports to the PR bucket";
      pr({ statements: [WRITE], allowWriteFromPullRequests: { reason } })();
      await mocks.settle();
      assert.deepEqual(mocks.one(ROLE).inputs.tags, {
        "keyless:least-privilege-exception/write-from-pull-requests": reason,
        ...ownedBy("keyless:aws:GitHubActionsRole::pr"),
      });
    });

    it("refuses the opt-out without a reason, or with another scope", () => {
      expectValidationError(
        pr({ statements: [WRITE], allowWriteFromPullRequests: {} as never }),
        KeylessErrorCode.InvalidArgument,
        "allowWriteFromPullRequests.reason",
      );
      expectValidationError(
        pr({ statements: [WRITE], allowWriteFromPullRequests: { reason: "   " } }),
        KeylessErrorCode.InvalidArgument,
        "allowWriteFromPullRequests.reason",
      );
      expectValidationError(
        () =>
          new GitHubActionsRole("ci", {
            providerArn: PROVIDER_ARN,
            repository: "acme/web",
            branches: ["main"],
            allowWriteFromPullRequests: { reason: "not needed" },
          }),
        KeylessErrorCode.ConflictingArguments,
        "allowWriteFromPullRequests",
      );
    });

    it("lets other scopes write", async () => {
      new GitHubActionsRole("ci", {
        providerArn: PROVIDER_ARN,
        repository: "acme/web",
        branches: ["main"],
        statements: [WRITE],
      });
      await mocks.settle();
      assert.equal(mocks.ofType(POLICY).length, 1);
    });
  });

  describe("validation", () => {
    const make = (args: Partial<GitHubActionsRoleArgs>) => () =>
      new GitHubActionsRole("ci", { providerArn: PROVIDER_ARN, repository: "acme/web", branches: ["main"], ...args });
    const refusals: [string, Partial<GitHubActionsRoleArgs>, string, string, RegExp?][] = [
      ["a wildcard owner", { repository: "*/web" }, KeylessErrorCode.WildcardSubject, "repository"],
      ["a wildcard repository", { repository: "acme/*" }, KeylessErrorCode.WildcardSubject, "repository"],
      ["a ? in the repository", { repository: "acme/we?" }, KeylessErrorCode.WildcardSubject, "repository"],
      [
        "a wildcard in the immutable form",
        { immutableRepository: "acme@1234/*" },
        KeylessErrorCode.WildcardSubject,
        "immutableRepository",
      ],
      ["a repository without owner", { repository: "web" }, KeylessErrorCode.InvalidArgument, "repository"],
      ["a repository path", { repository: "acme/web/x" }, KeylessErrorCode.InvalidArgument, "repository"],
      [
        "the immutable form given as repository",
        { repository: "acme@1/web@2" },
        KeylessErrorCode.InvalidArgument,
        "repository",
        /use `immutableRepository`/,
      ],
      ["a bad owner name", { repository: "-acme/web" }, KeylessErrorCode.InvalidArgument, "repository"],
      [
        "an Output repository",
        { repository: pulumi.output("acme/web") as never },
        KeylessErrorCode.InvalidArgument,
        "repository",
      ],
      [
        "an immutable form without ids",
        { immutableRepository: "acme/web" },
        KeylessErrorCode.InvalidArgument,
        "immutableRepository",
      ],
      [
        "two repositories",
        { immutableRepository: "acme@1/other@2" },
        KeylessErrorCode.ConflictingArguments,
        "immutableRepository",
      ],
      ["no repository", { repository: undefined }, KeylessErrorCode.InvalidArgument, "repository"],
      [
        "no scope",
        { branches: undefined },
        KeylessErrorCode.InvalidArgument,
        "branches|gitTags|environments|pullRequests|reusableWorkflow",
        /pull requests included/,
      ],
      [
        "pullRequests: false as the only scope",
        { branches: undefined, pullRequests: false },
        KeylessErrorCode.InvalidArgument,
        "branches|gitTags|environments|pullRequests|reusableWorkflow",
      ],
      ["two scopes", { gitTags: ["v1"] }, KeylessErrorCode.ConflictingArguments, "gitTags"],
      ["branches and pull requests", { pullRequests: true }, KeylessErrorCode.ConflictingArguments, "pullRequests"],
      [
        "a non-boolean pullRequests",
        { branches: undefined, pullRequests: "yes" as never },
        KeylessErrorCode.InvalidArgument,
        "pullRequests",
      ],
      ["no branch", { branches: [] }, KeylessErrorCode.InvalidArgument, "branches"],
      ["an empty branch", { branches: ["main", ""] }, KeylessErrorCode.InvalidArgument, "branches[1]"],
      ["a full ref", { branches: ["refs/heads/main"] }, KeylessErrorCode.InvalidArgument, "branches[0]", /Use "main"/],
      ["a branch with a space", { branches: ["my branch"] }, KeylessErrorCode.InvalidArgument, "branches[0]"],
      ["a branch with a colon", { branches: ["a:b"] }, KeylessErrorCode.InvalidArgument, "branches[0]"],
      ["a bad tag", { branches: undefined, gitTags: ["v1~2"] }, KeylessErrorCode.InvalidArgument, "gitTags[0]"],
      ["no environment", { branches: undefined, environments: [] }, KeylessErrorCode.InvalidArgument, "environments"],
      [
        "an environment with a control character",
        { branches: undefined, environments: ["prod\n"] },
        KeylessErrorCode.InvalidArgument,
        "environments[0]",
      ],
      [
        "a reusable workflow in a wildcard repository",
        { branches: undefined, reusableWorkflow: "acme/*/.github/workflows/deploy.yml@refs/heads/main" },
        KeylessErrorCode.WildcardSubject,
        "reusableWorkflow",
      ],
      [
        "a wildcard workflow file",
        { branches: undefined, reusableWorkflow: "acme/workflows/.github/workflows/*.yml@refs/heads/main" },
        KeylessErrorCode.WildcardSubject,
        "reusableWorkflow",
      ],
      [
        "a reusable workflow outside .github/workflows",
        { branches: undefined, reusableWorkflow: "acme/workflows/deploy.yml@refs/heads/main" },
        KeylessErrorCode.InvalidArgument,
        "reusableWorkflow",
      ],
      [
        "a reusable workflow at a short ref",
        { branches: undefined, reusableWorkflow: "acme/workflows/.github/workflows/deploy.yml@main" },
        KeylessErrorCode.InvalidArgument,
        "reusableWorkflow",
        /Use "@refs\/heads\/main"/,
      ],
      [
        "a reusable workflow with a bad owner",
        { branches: undefined, reusableWorkflow: "ac_me/workflows/.github/workflows/deploy.yml@refs/heads/main" },
        KeylessErrorCode.InvalidArgument,
        "reusableWorkflow",
      ],
      ["a wildcard audience", { audience: "sts.*" }, KeylessErrorCode.InvalidArgument, "audience"],
      ["a bad role path", { path: "ci" }, KeylessErrorCode.InvalidArgument, "path"],
      [
        "a provider ARN of another issuer",
        { providerArn: "arn:aws:iam::123456789012:oidc-provider/gitlab.com" },
        KeylessErrorCode.IssuerMismatch,
        "providerArn",
        /provider of GitLab, "gitlab.com"/,
      ],
      [
        "a provider ARN that is not one",
        { providerArn: "arn:aws:iam::123456789012:role/x" },
        KeylessErrorCode.InvalidArgument,
        "providerArn",
      ],
      ["no provider ARN", { providerArn: undefined as never }, KeylessErrorCode.InvalidArgument, "providerArn"],
    ];
    for (const [what, args, code, argument, message] of refusals) {
      it(`refuses ${what} before registering anything`, async () => {
        const err = expectValidationError(make(args), code, argument);
        if (message !== undefined) assert.match(err.message, message);
        assert.match(err.message, new RegExp(argument.split("|")[0]!.replace(/[[\]]/g, "\\$&")));
        await mocks.settle();
        assert.deepEqual(mocks.resources, [], "no half component");
      });
    }

    it("refuses missing arguments", () => {
      expectValidationError(
        () => new GitHubActionsRole("ci", undefined as never),
        KeylessErrorCode.InvalidArgument,
        "args",
      );
    });

    it("checks a provider ARN only known at deploy time before the role gets its trust policy", async () => {
      const errors = await deployFailures(mocks, () => {
        new GitHubActionsRole("ci", {
          providerArn: pulumi.output("arn:aws:iam::123456789012:oidc-provider/api.pulumi.com/oidc"),
          repository: "acme/web",
          branches: ["main"],
        });
      });
      const err = expectFailure(errors, KeylessErrorCode.IssuerMismatch, "providerArn");
      assert.match(err.message, /OidcProvider.gitHubActions/);
    });
  });
});
