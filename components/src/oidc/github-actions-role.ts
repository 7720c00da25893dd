import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { KeylessErrorCode, KeylessValidationError } from "../errors";
import { validateExceptionReason } from "../iam/policy-statement";
import { type RolePermissionsArgs, validateRoleArgs } from "../iam/workload-role";
import { buildFederatedRole, federatedTrustPolicy, validateProviderArnNow } from "./federated-role";
import { STS_AUDIENCE } from "./issuer-url";
import type { ExpectedIssuer } from "./provider-arn";
import { refuseWildcard, requireString, requireStrings, validateAudience, validateRefNames } from "./subject-values";
import type { ClaimCondition } from "./web-identity-trust";
import { firstWriteGrant } from "./write-access";

/**
 * Why a role that pull-request workflows may assume needs write access. It lifts the refusal and is recorded on the
 * role as the tag `keyless:least-privilege-exception/write-from-pull-requests`.
 *
 * @example
 * ```ts
 * const exception: PullRequestWriteException = { reason: "posts preview results to the PR's S3 report bucket" };
 * ```
 */
export interface PullRequestWriteException {
  /** The reason: at most 256 characters of letters, digits, spaces and `_ . : / = + - @` (it becomes a tag value). */
  readonly reason: string;
}

/**
 * Arguments of `GitHubActionsRole`: the provider, the repository, exactly one scope (`branches`, `gitTags`,
 * `environments`, `pullRequests` or `reusableWorkflow`) and the role's permissions.
 *
 * @example
 * ```ts
 * const args: GitHubActionsRoleArgs = {
 *   providerArn: github.arn,
 *   repository: "acme/web",
 *   branches: ["main"],
 *   statements: [{ actions: ["s3:PutObject"], resources: ["arn:aws:s3:::acme-web-site/*"] }],
 * };
 * ```
 */
export interface GitHubActionsRoleArgs extends RolePermissionsArgs {
  /**
   * ARN of the IAM OIDC provider of GitHub Actions: `OidcProvider.gitHubActions(...).arn`, or the ARN of one that
   * exists (`arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com`).
   */
  readonly providerArn: pulumi.Input<string>;
  /**
   * The repository, `owner/repo`, as GitHub's default subject names it (`repo:owner/repo:...`). No wildcard: the
   * subject must name one owner and one repository. IAM compares case-sensitively: write it as GitHub does.
   * @default - Not trusted by name; give `immutableRepository`.
   */
  readonly repository?: string;
  /**
   * The repository with its immutable ids, `owner@<owner id>/repo@<repository id>`, as GitHub's immutable subjects
   * name it (the default for repositories created or renamed from 15 July 2026; ids never change or get reused, so a
   * renamed or recreated repository cannot take over the role). Give it with `repository` while migrating: the role
   * then accepts both subjects.
   * @default - Not trusted by id; give `repository`.
   * @see https://github.blog/changelog/2026-04-23-immutable-subject-claims-for-github-actions-oidc-tokens/
   */
  readonly immutableRepository?: string;
  /**
   * Scope: workflows running on these branches (`repo:<repo>:ref:refs/heads/<branch>`). Names, not refs (`main`);
   * `*` and `?` match within the name (`release/*`). A job that uses an environment gets the environment's subject
   * instead: scope it with `environments`.
   * @default - Another scope.
   */
  readonly branches?: string[];
  /**
   * Scope: workflows running for these git tags (`repo:<repo>:ref:refs/tags/<tag>`), for example `v*`.
   * @default - Another scope.
   */
  readonly gitTags?: string[];
  /**
   * Scope: jobs that use these deployment environments (`repo:<repo>:environment:<name>`). Protect the environments
   * (required reviewers, deployment branches): that is what restricts who runs there.
   * @default - Another scope.
   */
  readonly environments?: string[];
  /**
   * Scope: `pull_request` workflows (`repo:<repo>:pull_request`). Pull-request code is not reviewed yet: a role with
   * this scope must not grant write access unless `allowWriteFromPullRequests` gives the reason.
   * @default false
   */
  readonly pullRequests?: boolean;
  /**
   * Scope: jobs running this reusable workflow (`job_workflow_ref`), `owner/repo/.github/workflows/<file>@<ref>`,
   * called from `repository`. The ref is a full ref or a commit SHA (`@refs/heads/main`, `@refs/tags/v1`); `*` may
   * stand in the ref. Calls from `pull_request` workflows are refused.
   * @default - Another scope.
   * @see https://docs.github.com/en/actions/how-tos/secure-your-work/security-harden-deployments/oidc-with-reusable-workflows
   */
  readonly reusableWorkflow?: string;
  /**
   * The audience the workflow asks for.
   * @default "sts.amazonaws.com"
   */
  readonly audience?: string;
  /**
   * Lets a `pullRequests` role grant write access, with the reason. This weakens security: code nobody reviewed yet
   * gets those permissions.
   * @default - A `pullRequests` role that may write is refused.
   */
  readonly allowWriteFromPullRequests?: PullRequestWriteException;
}

const SCOPES = ["branches", "gitTags", "environments", "pullRequests", "reusableWorkflow"] as const;
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$/;
const WORKFLOW = /^([^/]+)\/([^/]+)\/(\.github\/workflows\/[^@]+\.ya?ml)@(.+)$/;
const ISSUER: ExpectedIssuer = {
  kinds: ["github"],
  name: "GitHub Actions (token.actions.githubusercontent.com)",
  fix: "the `arn` of `OidcProvider.gitHubActions(...)`",
};
const EXCEPTION_TAG = "keyless:least-privilege-exception/write-from-pull-requests";

function fail(code: KeylessErrorCode, argument: string, message: string): never {
  throw new KeylessValidationError(code, argument, message);
}

/** The subject prefixes (`repo:owner/repo`) of the repository forms given. */
function repositoryPrefixes(args: GitHubActionsRoleArgs): string[] {
  const prefixes: string[] = [];
  let names: string | undefined;
  if (args.repository !== undefined) {
    const repository = requireString(args.repository, "repository", '"owner/repo"');
    refuseWildcard("repository", "owner and repository", repository, 'Name the repository, for example "acme/web".');
    const [owner, repo, extra] = repository.split("/");
    if (extra !== undefined || !OWNER.test(owner ?? "") || !REPO.test(repo ?? "")) {
      fail(
        KeylessErrorCode.InvalidArgument,
        "repository",
        `\`repository\` must be "owner/repo" (for example "acme/web"). Received ${JSON.stringify(repository)}.` +
          (repository.includes("@") ? " For the form with ids, use `immutableRepository`." : ""),
      );
    }
    names = repository.toLowerCase();
    prefixes.push(`repo:${repository}`);
  }
  if (args.immutableRepository !== undefined) {
    const immutable = requireString(args.immutableRepository, "immutableRepository", '"owner@<id>/repo@<id>"');
    refuseWildcard(
      "immutableRepository",
      "owner and repository",
      immutable,
      'Name the repository and its ids, for example "acme@1234567/web@89012345".',
    );
    const m = /^([^@/]+)@(\d+)\/([^@/]+)@(\d+)$/.exec(immutable);
    if (m === null || !OWNER.test(m[1] ?? "") || !REPO.test(m[3] ?? "")) {
      fail(
        KeylessErrorCode.InvalidArgument,
        "immutableRepository",
        `\`immutableRepository\` must be "owner@<owner id>/repo@<repository id>" (for example ` +
          `"acme@1234567/web@89012345"; GitHub's REST API gives the ids as \`owner.id\` and \`id\` of the ` +
          `repository). Received ${JSON.stringify(immutable)}.`,
      );
    }
    const same = `${m[1]}/${m[3]}`.toLowerCase();
    if (names !== undefined && names !== same) {
      fail(
        KeylessErrorCode.ConflictingArguments,
        "immutableRepository",
        `\`immutableRepository\` must name the same repository as \`repository\`. Received ` +
          `${JSON.stringify(immutable)} beside ${JSON.stringify(args.repository)}. Give the ids of that repository, ` +
          `or make one role per repository.`,
      );
    }
    prefixes.push(`repo:${immutable}`);
  }
  if (prefixes.length === 0) {
    fail(
      KeylessErrorCode.InvalidArgument,
      "repository",
      '`repository` ("owner/repo") or `immutableRepository` ("owner@<id>/repo@<id>") must be given: the role ' +
        "trusts the workflows of one repository. Received neither.",
    );
  }
  return prefixes;
}

/** The one scope given; throws unless exactly one is. */
function scopeOf(args: GitHubActionsRoleArgs): (typeof SCOPES)[number] {
  const given = SCOPES.filter((s) => (s === "pullRequests" ? args[s] === true : args[s] !== undefined));
  if (args.pullRequests !== undefined && typeof args.pullRequests !== "boolean") {
    fail(KeylessErrorCode.InvalidArgument, "pullRequests", "`pullRequests` must be true or false.");
  }
  if (given.length === 0) {
    fail(
      KeylessErrorCode.InvalidArgument,
      SCOPES.join("|"),
      `One scope must be given: \`branches\`, \`gitTags\`, \`environments\`, \`pullRequests: true\` or ` +
        `\`reusableWorkflow\`. Received none. Without one the role would trust every workflow of the repository, ` +
        `pull requests included.`,
    );
  }
  if (given.length > 1) {
    fail(
      KeylessErrorCode.ConflictingArguments,
      given[1] as string,
      `Exactly one scope must be given; received \`${given.join("` and `")}\`. Make one role per scope, each with ` +
        `the permissions that scope needs.`,
    );
  }
  return given[0] as (typeof SCOPES)[number];
}

function workflowRef(value: unknown): string {
  const workflow = requireString(value, "reusableWorkflow", '"owner/repo/.github/workflows/<file>@<ref>"');
  const m = WORKFLOW.exec(workflow);
  if (m === null) {
    fail(
      KeylessErrorCode.InvalidArgument,
      "reusableWorkflow",
      `\`reusableWorkflow\` must be "owner/repo/.github/workflows/<file>.yml@<ref>", as GitHub's job_workflow_ref ` +
        `gives it (for example "acme/workflows/.github/workflows/deploy.yml@refs/heads/main"). Received ` +
        `${JSON.stringify(workflow)}.`,
    );
  }
  const [, owner = "", repo = "", file = "", ref = ""] = m;
  refuseWildcard("reusableWorkflow", "owner and repository", `${owner}/${repo}`, "Name the workflow's repository.");
  refuseWildcard(
    "reusableWorkflow",
    "workflow file",
    file,
    "Name the workflow file; a wildcard may only stand in the ref.",
  );
  if (!OWNER.test(owner) || !REPO.test(repo)) {
    fail(
      KeylessErrorCode.InvalidArgument,
      "reusableWorkflow",
      `\`reusableWorkflow\` must start with the workflow's "owner/repo". Received ${JSON.stringify(workflow)}.`,
    );
  }
  if (!/^refs\/(heads|tags)\/.+$/.test(ref) && !/^[0-9a-f]{40}$/.test(ref)) {
    fail(
      KeylessErrorCode.InvalidArgument,
      "reusableWorkflow",
      `\`reusableWorkflow\` must end with a full ref or a commit SHA, as job_workflow_ref carries it: ` +
        `"@refs/heads/<branch>", "@refs/tags/<tag>" or "@<40 hex characters>". Received "@${ref}". ` +
        `Use "@refs/heads/${ref}" for a branch.`,
    );
  }
  return workflow;
}

/** The conditions of the role's trust policy, from validated arguments. */
function claimConditions(args: GitHubActionsRoleArgs, prefixes: readonly string[]): ClaimCondition[] {
  const audience = args.audience ?? STS_AUDIENCE;
  const scope = scopeOf(args);
  const each = (suffixes: readonly string[]) => prefixes.flatMap((p) => suffixes.map((s) => `${p}:${s}`));
  const aud: ClaimCondition = { claim: "aud", values: [audience] };
  switch (scope) {
    case "branches":
      return [
        aud,
        {
          claim: "sub",
          values: each(validateRefNames(args.branches, "branches", "branch").map((b) => `ref:refs/heads/${b}`)),
        },
      ];
    case "gitTags":
      return [
        aud,
        {
          claim: "sub",
          values: each(validateRefNames(args.gitTags, "gitTags", "tag").map((t) => `ref:refs/tags/${t}`)),
        },
      ];
    case "environments": {
      const names = requireStrings(args.environments, "environments", "environment name");
      names.forEach((n) => {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: environment names are printable
        if (n.length > 255 || /[\x00-\x1f\x7f]/.test(n)) {
          fail(
            KeylessErrorCode.InvalidArgument,
            `environments[${(args.environments as string[]).indexOf(n)}]`,
            `\`environments[${(args.environments as string[]).indexOf(n)}]\` must be an environment name of at most ` +
              `255 printable characters. Received ${JSON.stringify(n)}.`,
          );
        }
      });
      return [aud, { claim: "sub", values: each(names.map((n) => `environment:${n}`)) }];
    }
    case "pullRequests":
      return [aud, { claim: "sub", values: each(["pull_request"]) }];
    case "reusableWorkflow": {
      const workflow = workflowRef(args.reusableWorkflow);
      // Any caller event of the repository, but not pull requests: their code is not reviewed yet.
      return [
        aud,
        { claim: "job_workflow_ref", values: [workflow] },
        { claim: "sub", values: each(["*"]) },
        { claim: "sub", values: each(["pull_request"]), negate: true },
      ];
    }
  }
}

/**
 * Validates the arguments of a `GitHubActionsRole` and returns its trust conditions' builder inputs.
 * @internal
 */
export function validateGitHubActionsRoleArgs(args: GitHubActionsRoleArgs): ClaimCondition[] {
  if (args === undefined || args === null || typeof args !== "object") {
    fail(
      KeylessErrorCode.InvalidArgument,
      "args",
      "GitHubActionsRole needs arguments: `providerArn`, `repository` and a scope.",
    );
  }
  validateProviderArnNow(args.providerArn, ISSUER);
  const prefixes = repositoryPrefixes(args);
  if (args.audience !== undefined) validateAudience(args.audience, "audience");
  const conditions = claimConditions(args, prefixes);
  validateRoleArgs(args);
  const exception = args.allowWriteFromPullRequests;
  if (exception !== undefined) {
    if (args.pullRequests !== true) {
      fail(
        KeylessErrorCode.ConflictingArguments,
        "allowWriteFromPullRequests",
        "`allowWriteFromPullRequests` only applies with `pullRequests: true`; other scopes may write. Remove it.",
      );
    }
    const reason = requireString(exception?.reason, "allowWriteFromPullRequests.reason", "the reason write is needed");
    validateExceptionReason(reason, "allowWriteFromPullRequests.reason");
  }
  if (args.pullRequests === true && exception === undefined) {
    const write = firstWriteGrant(args);
    if (write !== undefined) {
      fail(
        KeylessErrorCode.WriteFromPullRequests,
        write.argument,
        `\`${write.argument}\` must not grant write access to a role that pull requests assume: their code is not ` +
          `reviewed yet. It grants ${write.what}. Grant read-only actions (or ReadOnlyAccess, ViewOnlyAccess, ` +
          `SecurityAudit), make a separate role for branches or environments that deploy, or set ` +
          `\`allowWriteFromPullRequests: { reason: "..." }\`.`,
      );
    }
  }
  return conditions;
}

/**
 * An IAM role that GitHub Actions workflows of one repository assume with their OIDC token
 * (`aws-actions/configure-aws-credentials` with `role-to-assume`), scoped to branches, tags, environments, pull
 * requests or a reusable workflow. The trust policy pins `aud` to `sts.amazonaws.com` and `sub` to the repository and
 * scope (`StringEquals`; `StringLike` only where a branch, tag or environment holds a wildcard). Roles for pull requests
 * may not write unless `allowWriteFromPullRequests` says why.
 *
 * Children: `<name>-role`, `<name>-policy` (with `statements`), one `<name>-<hash>` attachment per managed policy. All
 * arguments are validated before any child is registered; a `providerArn` Output is checked when it resolves.
 *
 * Assumes GitHub's default subject template: an organization or repository that customised its OIDC subject claims
 * issues other subjects, which this role does not match.
 *
 * @see https://docs.github.com/en/actions/concepts/security/openid-connect
 * @example
 * ```ts
 * import { GitHubActionsRole, OidcProvider } from "@keyless/aws";
 *
 * const github = OidcProvider.gitHubActions("github");
 * const deploy = new GitHubActionsRole("deploy", {
 *   providerArn: github.arn,
 *   repository: "acme/web",
 *   branches: ["main"],
 *   statements: [{ actions: ["s3:PutObject"], resources: ["arn:aws:s3:::acme-web-site/*"] }],
 * });
 * export const roleArn = deploy.roleArn; // the workflow's role-to-assume
 * ```
 */
export class GitHubActionsRole extends pulumi.ComponentResource {
  /** The IAM role. */
  public readonly role: aws.iam.Role;
  /** The inline policy holding `statements`, when there are any. */
  public readonly policy?: aws.iam.RolePolicy;
  /** One attachment per managed policy, in argument order. */
  public readonly policyAttachments: aws.iam.RolePolicyAttachment[];
  /** The role ARN, for the workflow's `role-to-assume`. */
  public readonly roleArn: pulumi.Output<string>;
  /** The role name. */
  public readonly roleName: pulumi.Output<string>;
  /** The trust policy JSON the role was given. */
  public readonly trustPolicy: pulumi.Output<string>;

  /**
   * @param name - component name; children are named from it
   * @param args - the provider, the repository, one scope and the permissions
   * @param opts - component options
   */
  constructor(name: string, args: GitHubActionsRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    const conditions = validateGitHubActionsRoleArgs(args);
    super("keyless:aws:GitHubActionsRole", name, {}, opts);
    this.trustPolicy = federatedTrustPolicy(args.providerArn, ISSUER, () => conditions);
    const repository = args.repository ?? args.immutableRepository;
    const reason = args.allowWriteFromPullRequests?.reason;
    const built = buildFederatedRole(
      this,
      name,
      args,
      this.trustPolicy,
      `keyless role for GitHub Actions of ${repository}`,
      reason === undefined ? {} : { [EXCEPTION_TAG]: reason },
    );
    this.role = built.role;
    if (built.policy !== undefined) this.policy = built.policy;
    this.policyAttachments = built.attachments;
    this.roleArn = built.role.arn;
    this.roleName = built.role.name;
    this.registerOutputs({
      role: this.role,
      roleArn: this.roleArn,
      roleName: this.roleName,
      trustPolicy: this.trustPolicy,
    });
  }
}
