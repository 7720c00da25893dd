import { issuerHostPath } from "@keyless/iam-rules";
import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { KeylessErrorCode, KeylessValidationError } from "../errors";
import { type RolePermissionsArgs, validateRoleArgs } from "../iam/workload-role";
import { buildFederatedRole, federatedTrustPolicy, validateProviderArnNow } from "./federated-role";
import type { ExpectedIssuer } from "./provider-arn";
import { refuseWildcard, requireString, validateAudience, validateRefNames } from "./subject-values";
import type { ClaimCondition } from "./web-identity-trust";

/**
 * Arguments of `GitLabCiRole`: the provider, the project, exactly one scope (`branches` or `gitTags`) and the role's
 * permissions.
 *
 * @example
 * ```ts
 * const args: GitLabCiRoleArgs = { providerArn: gitlab.arn, project: "acme/platform/web", branches: ["main"] };
 * ```
 */
export interface GitLabCiRoleArgs extends RolePermissionsArgs {
  /**
   * ARN of the IAM OIDC provider of the GitLab instance: `OidcProvider.gitLab(...).arn`, or the ARN of one that exists
   * (`arn:aws:iam::<account>:oidc-provider/gitlab.com`).
   */
  readonly providerArn: pulumi.Input<string>;
  /**
   * The project's full path, `group/project` or `group/subgroup/.../project`, as the `project_path` claim gives it.
   * No wildcard: the subject must name every group and the project.
   */
  readonly project: string;
  /**
   * Scope: pipelines for these branches (`project_path:<project>:ref_type:branch:ref:<branch>`). `*` and `?` match
   * within the name. Protect the branches in GitLab: anyone who can push to a matching branch gets the role.
   * @default - Another scope.
   */
  readonly branches?: string[];
  /**
   * Scope: pipelines for these git tags (`project_path:<project>:ref_type:tag:ref:<tag>`), for example `v*`.
   * @default - Another scope.
   */
  readonly gitTags?: string[];
  /**
   * The audience the jobs ask for in `id_tokens` (`aud:`). The provider must list it too.
   * @default - The instance URL, `https://<issuer host>` (GitLab's AWS guide uses it).
   * @see https://docs.gitlab.com/ci/secrets/id_token_authentication/
   */
  readonly audience?: string;
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const ISSUER: ExpectedIssuer = {
  kinds: ["gitlab", "generic"],
  name: "a GitLab instance (gitlab.com or your own)",
  fix: "the `arn` of `OidcProvider.gitLab(...)`",
};

function fail(code: KeylessErrorCode, argument: string, message: string): never {
  throw new KeylessValidationError(code, argument, message);
}

/**
 * Validates the arguments of a `GitLabCiRole` and returns the subject values.
 * @internal
 */
export function validateGitLabCiRoleArgs(args: GitLabCiRoleArgs): string[] {
  if (args === undefined || args === null || typeof args !== "object") {
    fail(
      KeylessErrorCode.InvalidArgument,
      "args",
      "GitLabCiRole needs arguments: `providerArn`, `project` and a scope.",
    );
  }
  validateProviderArnNow(args.providerArn, ISSUER);
  const project = requireString(args.project, "project", '"group/project"');
  refuseWildcard("project", "group and project", project, 'Name the project\'s full path, for example "acme/web".');
  const segments = project.split("/");
  if (segments.length < 2 || !segments.every((s) => SEGMENT.test(s))) {
    fail(
      KeylessErrorCode.InvalidArgument,
      "project",
      `\`project\` must be the project's full path, "group/project" or "group/subgroup/project" (letters, digits, ` +
        `"_", "-", "."). Received ${JSON.stringify(project)}.`,
    );
  }
  if (args.audience !== undefined) validateAudience(args.audience, "audience");
  const given = (["branches", "gitTags"] as const).filter((s) => args[s] !== undefined);
  if (given.length !== 1) {
    fail(
      given.length === 0 ? KeylessErrorCode.InvalidArgument : KeylessErrorCode.ConflictingArguments,
      given.length === 0 ? "branches|gitTags" : "gitTags",
      `Exactly one scope must be given, \`branches\` or \`gitTags\`. Received ` +
        `${given.length === 0 ? "none" : "both"}. Make one role per scope.`,
    );
  }
  validateRoleArgs(args);
  const prefix = `project_path:${project}`;
  return args.branches !== undefined
    ? validateRefNames(args.branches, "branches", "branch").map((b) => `${prefix}:ref_type:branch:ref:${b}`)
    : validateRefNames(args.gitTags, "gitTags", "tag").map((t) => `${prefix}:ref_type:tag:ref:${t}`);
}

/**
 * An IAM role that GitLab CI/CD jobs of one project assume with an ID token (`id_tokens` and
 * `aws sts assume-role-with-web-identity`), scoped to branches or tags. The trust policy pins `aud` and `sub`
 * (`project_path:<group>/<project>:ref_type:<branch|tag>:ref:<name>`; `StringEquals`, `StringLike` only where a name
 * holds a wildcard). Works with gitlab.com and self-managed instances.
 *
 * Children: `<name>-role`, `<name>-policy` (with `statements`), one attachment per managed policy. All arguments are
 * validated before any child is registered.
 *
 * @see https://docs.gitlab.com/ci/cloud_services/aws/
 * @example
 * ```ts
 * import { GitLabCiRole, OidcProvider } from "@keyless/aws";
 *
 * const gitlab = OidcProvider.gitLab("gitlab");
 * const deploy = new GitLabCiRole("deploy", {
 *   providerArn: gitlab.arn,
 *   project: "acme/web",
 *   branches: ["main"],
 *   statements: [{ actions: ["s3:PutObject"], resources: ["arn:aws:s3:::acme-web-site/*"] }],
 * });
 * ```
 */
export class GitLabCiRole extends pulumi.ComponentResource {
  /** The IAM role. */
  public readonly role: aws.iam.Role;
  /** The inline policy holding `statements`, when there are any. */
  public readonly policy?: aws.iam.RolePolicy;
  /** One attachment per managed policy, in argument order. */
  public readonly policyAttachments: aws.iam.RolePolicyAttachment[];
  /** The role ARN, for the job's `ROLE_ARN`. */
  public readonly roleArn: pulumi.Output<string>;
  /** The role name. */
  public readonly roleName: pulumi.Output<string>;
  /** The trust policy JSON the role was given. */
  public readonly trustPolicy: pulumi.Output<string>;

  /**
   * @param name - component name; children are named from it
   * @param args - the provider, the project, one scope and the permissions
   * @param opts - component options
   */
  constructor(name: string, args: GitLabCiRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    const subjects = validateGitLabCiRoleArgs(args);
    super("keyless:aws:GitLabCiRole", name, {}, opts);
    const conditions = (arn: string): ClaimCondition[] => [
      { claim: "aud", values: [args.audience ?? `https://${issuerHostPath(arn)}`] },
      { claim: "sub", values: subjects },
    ];
    this.trustPolicy = federatedTrustPolicy(args.providerArn, ISSUER, conditions);
    const built = buildFederatedRole(
      this,
      name,
      args,
      this.trustPolicy,
      `keyless role for GitLab CI of ${args.project}`,
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
