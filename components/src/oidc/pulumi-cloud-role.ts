import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { KeylessErrorCode, KeylessValidationError } from "../errors";
import { type RolePermissionsArgs, validateRoleArgs } from "../iam/workload-role";
import { buildFederatedRole, federatedTrustPolicy, validateProviderArnNow } from "./federated-role";
import { validatePulumiOrganization } from "./oidc-provider";
import type { ExpectedIssuer } from "./provider-arn";
import { refuseWildcard, requireStrings } from "./subject-values";
import type { ClaimCondition } from "./web-identity-trust";

/**
 * Arguments of `PulumiCloudRole`: the provider, the organization, exactly one scope (`environments` for ESC
 * `aws-login`, `stacks` for Deployments OIDC) and the role's permissions.
 *
 * @example
 * ```ts
 * const args: PulumiCloudRoleArgs = { providerArn: pulumiCloud.arn, organization: "acme", environments: ["web/prod"] };
 * ```
 */
export interface PulumiCloudRoleArgs extends RolePermissionsArgs {
  /** ARN of the IAM OIDC provider of Pulumi Cloud: `OidcProvider.pulumiCloud(...).arn`. */
  readonly providerArn: pulumi.Input<string>;
  /** The Pulumi organization (lowercase, as in `app.pulumi.com/<org>`). No wildcard. */
  readonly organization: string;
  /**
   * Scope: ESC environments whose `fn::open::aws-login` assumes the role, as `project/environment` (`*` and `?` may
   * stand in the environment part: `web/*`). Audience `aws:<org>`. The role accepts both the default subject
   * (`pulumi:environments:org:<org>:env:<project>/<environment>`) and the one ESC sends with
   * `subjectAttributes: [currentEnvironment.name]`
   * (`pulumi:environments:pulumi.organization.login:<org>:currentEnvironment.name:<project>/<environment>`), which
   * names the environment that defines the login even when a stack's configuration imports it. Environments of the
   * legacy `default` project (no project in the subject) are not supported: move them to a project.
   * @default - Another scope.
   * @see https://www.pulumi.com/docs/esc/guides/configuring-oidc/
   */
  readonly environments?: string[];
  /**
   * Scope: stacks whose Pulumi Deployments assume the role, as `project/stack` (`*` and `?` may stand in the stack
   * part). Audience `<org>`; subject `pulumi:deploy:org:<org>:project:<project>:stack:<stack>:operation:<op>:scope:write`.
   * @default - Another scope.
   * @see https://www.pulumi.com/docs/deployments/guides/oidc/
   */
  readonly stacks?: string[];
  /**
   * With `stacks`: the deployment operations that may assume the role, among `preview`, `update`, `refresh` and
   * `destroy` (a role for previews can then be read-only).
   * @default - Every operation.
   */
  readonly operations?: string[];
}

const NAME = /^[A-Za-z0-9_.*?-]{1,100}$/;
const OPERATIONS = ["preview", "update", "refresh", "destroy"];
const ISSUER: ExpectedIssuer = {
  kinds: ["pulumi"],
  name: "Pulumi Cloud (api.pulumi.com/oidc)",
  fix: "the `arn` of `OidcProvider.pulumiCloud(...)`",
};

function fail(code: KeylessErrorCode, argument: string, message: string): never {
  throw new KeylessValidationError(code, argument, message);
}

/** `project/name` pairs, the project fixed; `kind` is "environment" or "stack". */
function projectPairs(value: unknown, argument: string, kind: "environment" | "stack"): [string, string][] {
  const list = requireStrings(value, argument, `project/${kind}`);
  return list.map((entry) => {
    const arg = `${argument}[${(value as string[]).indexOf(entry)}]`;
    const parts = entry.split("/");
    const [project = "", name = ""] = parts;
    refuseWildcard(arg, "project", project, `Name the project; a wildcard may only stand in the ${kind} part.`);
    if (parts.length !== 2 || !NAME.test(project) || !NAME.test(name)) {
      fail(
        KeylessErrorCode.InvalidArgument,
        arg,
        `\`${arg}\` must be "<project>/<${kind}>" (letters, digits, "_", "-", "."), for example "web/prod". ` +
          `Received ${JSON.stringify(entry)}.` +
          (parts.length === 3 ? ` Leave out the organization: it is \`organization\`.` : "") +
          (parts.length === 1 && kind === "environment"
            ? " Environments of the legacy `default` project are not supported: move it to a project."
            : ""),
      );
    }
    return [project, name];
  });
}

/**
 * Validates the arguments of a `PulumiCloudRole` and returns its trust conditions.
 * @internal
 */
export function validatePulumiCloudRoleArgs(args: PulumiCloudRoleArgs): ClaimCondition[] {
  if (args === undefined || args === null || typeof args !== "object") {
    fail(
      KeylessErrorCode.InvalidArgument,
      "args",
      "PulumiCloudRole needs arguments: `providerArn`, `organization` and a scope.",
    );
  }
  validateProviderArnNow(args.providerArn, ISSUER);
  if (typeof args.organization === "string") {
    refuseWildcard("organization", "organization", args.organization, "Name your Pulumi organization.");
  }
  const org = validatePulumiOrganization(args.organization, "organization");
  const given = (["environments", "stacks"] as const).filter((s) => args[s] !== undefined);
  if (given.length !== 1) {
    fail(
      given.length === 0 ? KeylessErrorCode.InvalidArgument : KeylessErrorCode.ConflictingArguments,
      given.length === 0 ? "environments|stacks" : "stacks",
      `Exactly one scope must be given: \`environments\` (ESC aws-login) or \`stacks\` (Deployments). Received ` +
        `${given.length === 0 ? "none" : "both"}. Make one role per scope: their audiences differ.`,
    );
  }
  if (args.operations !== undefined && args.stacks === undefined) {
    fail(
      KeylessErrorCode.ConflictingArguments,
      "operations",
      "`operations` only applies with `stacks` (Deployments): ESC subjects carry no operation. Remove it.",
    );
  }
  validateRoleArgs(args);
  if (args.environments !== undefined) {
    const envs = projectPairs(args.environments, "environments", "environment").map(([p, e]) => `${p}/${e}`);
    return [
      { claim: "aud", values: [`aws:${org}`] },
      {
        claim: "sub",
        values: [
          ...envs.map((e) => `pulumi:environments:org:${org}:env:${e}`),
          ...envs.map((e) => `pulumi:environments:pulumi.organization.login:${org}:currentEnvironment.name:${e}`),
        ],
      },
    ];
  }
  const stacks = projectPairs(args.stacks, "stacks", "stack");
  let operations = ["*"];
  if (args.operations !== undefined) {
    operations = requireStrings(args.operations, "operations", "operation");
    operations.forEach((op) => {
      if (!OPERATIONS.includes(op)) {
        const arg = `operations[${(args.operations as string[]).indexOf(op)}]`;
        fail(
          KeylessErrorCode.InvalidArgument,
          arg,
          `\`${arg}\` must be one of ${OPERATIONS.map((o) => `"${o}"`).join(", ")}. Received ${JSON.stringify(op)}.`,
        );
      }
    });
  }
  return [
    { claim: "aud", values: [org] },
    {
      claim: "sub",
      values: stacks.flatMap(([p, s]) =>
        operations.map((op) => `pulumi:deploy:org:${org}:project:${p}:stack:${s}:operation:${op}:scope:write`),
      ),
    },
  ];
}

/**
 * An IAM role that Pulumi Cloud assumes for one organization: ESC environments that open `fn::open::aws-login` with
 * `oidc` (scope `environments`), or Pulumi Deployments of given stacks (scope `stacks`, Deployments OIDC). The trust
 * policy pins `aud` (`aws:<org>` for ESC, `<org>` for Deployments) and `sub` to the organization and projects
 * (`StringEquals`; `StringLike` only where an environment, stack or operation is a wildcard).
 *
 * Children: `<name>-role`, `<name>-policy` (with `statements`), one attachment per managed policy. All arguments are
 * validated before any child is registered.
 *
 * @see https://www.pulumi.com/docs/esc/guides/configuring-oidc/aws/
 * @see https://www.pulumi.com/docs/deployments/guides/oidc/aws/
 * @example
 * ```ts
 * import { OidcProvider, PulumiCloudRole } from "@keyless/aws";
 *
 * const pulumiCloud = OidcProvider.pulumiCloud("pulumi", { organization: "acme" });
 * const esc = new PulumiCloudRole("esc-prod", {
 *   providerArn: pulumiCloud.arn,
 *   organization: "acme",
 *   environments: ["web/prod"],
 *   statements: [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::acme-config/*"] }],
 * });
 * export const roleArn = esc.roleArn; // the environment's aws-login oidc.roleArn
 * ```
 */
export class PulumiCloudRole extends pulumi.ComponentResource {
  /** The IAM role. */
  public readonly role: aws.iam.Role;
  /** The inline policy holding `statements`, when there are any. */
  public readonly policy?: aws.iam.RolePolicy;
  /** One attachment per managed policy, in argument order. */
  public readonly policyAttachments: aws.iam.RolePolicyAttachment[];
  /** The role ARN, for ESC's `oidc.roleArn` or the stack's Deployments OIDC role. */
  public readonly roleArn: pulumi.Output<string>;
  /** The role name. */
  public readonly roleName: pulumi.Output<string>;
  /** The trust policy JSON the role was given. */
  public readonly trustPolicy: pulumi.Output<string>;

  /**
   * @param name - component name; children are named from it
   * @param args - the provider, the organization, one scope and the permissions
   * @param opts - component options
   */
  constructor(name: string, args: PulumiCloudRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    const conditions = validatePulumiCloudRoleArgs(args);
    super("keyless:aws:PulumiCloudRole", name, {}, opts);
    this.trustPolicy = federatedTrustPolicy(args.providerArn, ISSUER, () => conditions);
    const what = args.environments !== undefined ? "ESC environments" : "Deployments";
    const built = buildFederatedRole(
      this,
      name,
      args,
      this.trustPolicy,
      `keyless role for Pulumi Cloud ${what} of ${args.organization}`,
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
