import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { KeylessErrorCode, KeylessValidationError } from "../errors";
import { shortHash } from "../private/hash";
import { isKnownNow } from "../private/inputs";
import { type UserTags, validateUserTags, withOwnershipTags } from "../tags";
import {
  type ManagedPolicyAttachment,
  type PolicyStatement,
  renderPolicyDocument,
  validateExceptionReason,
  validateManagedPolicy,
  validateStatement,
} from "./policy-statement";
import { servicePrincipal, trustPolicy, validateTrustConditions, type WorkloadService } from "./principals";

/**
 * The permissions and settings of a role, shared by every keyless component that creates one.
 *
 * @example
 * ```ts
 * const permissions: RolePermissionsArgs = {
 *   statements: [{ actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage"], resources: [queue.arn] }],
 *   managedPolicies: [{ arn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" }],
 * };
 * ```
 */
export interface RolePermissionsArgs {
  /**
   * Typed statements rendered into one inline policy (`<name>-policy`). Least privilege is enforced, see
   * `PolicyStatement`.
   * @default - No inline policy.
   */
  readonly statements?: PolicyStatement[];
  /**
   * Managed policies to attach, one `aws.iam.RolePolicyAttachment` each, named from a hash of the ARN so that
   * reordering the list changes nothing. AdministratorAccess, PowerUserAccess and IAMFullAccess are refused.
   * @default - No managed policy.
   */
  readonly managedPolicies?: ManagedPolicyAttachment[];
  /**
   * ARN of a managed policy that bounds the role's maximum permissions.
   * @default - No permissions boundary.
   * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
   */
  readonly permissionsBoundary?: pulumi.Input<string>;
  /**
   * Maximum session duration in seconds, 3600 to 43200.
   * @default 3600
   */
  readonly maxSessionDuration?: number;
  /**
   * IAM path: `/` or `/segment/.../`, at most 512 characters.
   * @default "/"
   */
  readonly path?: string;
  /**
   * Role description.
   * @default - "keyless workload role for <principal>".
   */
  readonly description?: pulumi.Input<string>;
  /**
   * Physical role name (1 to 64 of letters, digits and `+=,.@_-`). Leave unset so Pulumi auto-names the role and can
   * replace it without a name clash.
   * @default - Auto-named from the component name.
   */
  readonly roleName?: string;
  /**
   * Tags for the role. keyless adds `keyless:stack` and `keyless:component` (see `KEYLESS_STACK_TAG`), which these
   * may not set, and least-privilege exceptions add `keyless:least-privilege-exception/...` tags.
   * @default - No tags besides keyless's own.
   */
  readonly tags?: { [key: string]: pulumi.Input<string> };
}

/**
 * Arguments of {@link WorkloadRole}.
 *
 * @example
 * ```ts
 * const args: WorkloadRoleArgs = { service: "lambda", statements: [{ actions: ["dynamodb:GetItem"], resources: [table.arn] }] };
 * ```
 */
export interface WorkloadRoleArgs extends RolePermissionsArgs {
  /** The compute service that assumes the role; the trust policy is generated from it. */
  readonly service: WorkloadService;
  /**
   * Confused-deputy protection: only accept the service acting for this account (`aws:SourceAccount`). Offered for
   * `ecs-tasks`, where AWS documents it.
   * @default - No aws:SourceAccount condition.
   */
  readonly trustSourceAccount?: pulumi.Input<string>;
  /**
   * Confused-deputy protection: only accept the service acting for resources matching this ARN pattern
   * (`aws:SourceArn` with `ArnLike`), for example `arn:aws:ecs:eu-west-1:111122223333:*`. Offered for `ecs-tasks`.
   * @default - No aws:SourceArn condition.
   */
  readonly trustSourceArn?: pulumi.Input<string>;
}

const roleServices = new WeakMap<aws.iam.Role, WorkloadService>();

/**
 * The service a role created by a keyless component trusts, if it was created by one.
 * @internal
 */
export function trustedServiceOf(role: aws.iam.Role): WorkloadService | undefined {
  return roleServices.get(role);
}

function fail(code: KeylessErrorCode, argument: string, message: string): never {
  throw new KeylessValidationError(code, argument, message);
}

/** Whether the statements' own fields (not their resources) are known now. */
function statementsKnown(statements: unknown): statements is PolicyStatement[] {
  return Array.isArray(statements) && statements.every((s) => isKnownNow({ ...(s as object), resources: [] }));
}

function validateStatements(statements: readonly PolicyStatement[], prefix: string): void {
  const sids = new Set<string>();
  statements.forEach((s, i) => {
    validateStatement(s, `${prefix}statements[${i}]`, sids);
  });
}

/**
 * Validates role arguments. Throws {@link KeylessValidationError} on the first broken rule. `prefix` is prepended to
 * argument names (for nested arguments such as `permissions.`).
 * @internal
 */
export function validateRoleArgs(args: RolePermissionsArgs, prefix = ""): void {
  if (args.statements !== undefined && statementsKnown(args.statements)) {
    validateStatements(args.statements, prefix);
  }
  const managed = args.managedPolicies;
  if (managed !== undefined && !Array.isArray(managed)) {
    fail(
      KeylessErrorCode.InvalidArgument,
      `${prefix}managedPolicies`,
      `\`${prefix}managedPolicies\` must be a list whose length is known when the component is constructed (one attachment ` +
        `is registered per entry). Received a value only known at deploy time. Pass a literal list; its ARNs may be outputs.`,
    );
  }
  if (Array.isArray(managed)) {
    managed.forEach((m, i) => {
      if (typeof m.arn === "string") validateManagedPolicy(m, m.arn, `${prefix}managedPolicies[${i}]`);
      else if (m.leastPrivilegeException !== undefined) {
        validateExceptionReason(m.leastPrivilegeException, `${prefix}managedPolicies[${i}].leastPrivilegeException`);
      }
    });
  }
  validateUserTags(args.tags, `${prefix}tags`);
  const { maxSessionDuration, path, roleName } = args;
  if (
    maxSessionDuration !== undefined &&
    (!Number.isInteger(maxSessionDuration) || maxSessionDuration < 3600 || maxSessionDuration > 43200)
  ) {
    fail(
      KeylessErrorCode.InvalidArgument,
      `${prefix}maxSessionDuration`,
      `\`${prefix}maxSessionDuration\` must be a whole number of seconds from 3600 (1 hour) to 43200 (12 hours). ` +
        `Received ${maxSessionDuration}. Leave it unset for 1 hour.`,
    );
  }
  if (path !== undefined && (path.length > 512 || !/^\/(?:[\x21-\x7E]*\/)?$/.test(path) || path.includes("//"))) {
    fail(
      KeylessErrorCode.InvalidArgument,
      `${prefix}path`,
      `\`${prefix}path\` must be "/" or start and end with "/" (for example "/workloads/"), at most 512 characters. ` +
        `Received ${JSON.stringify(path)}.`,
    );
  }
  if (roleName !== undefined && !/^[\w+=,.@-]{1,64}$/.test(roleName)) {
    fail(
      KeylessErrorCode.InvalidArgument,
      `${prefix}roleName`,
      `\`${prefix}roleName\` must be 1 to 64 letters, digits or +=,.@_- characters. Received ${JSON.stringify(roleName)} ` +
        `(${roleName.length} characters). Shorten it, or leave it unset to let Pulumi name the role.`,
    );
  }
}

/**
 * Validates the arguments of a {@link WorkloadRole}.
 * @internal
 */
export function validateWorkloadRoleArgs(args: WorkloadRoleArgs, prefix = ""): void {
  if (args === undefined || args === null || typeof args !== "object") {
    fail(KeylessErrorCode.InvalidArgument, "args", "WorkloadRole needs arguments: at least `service`.");
  }
  servicePrincipal(args.service);
  validateTrustConditions(args.service, { sourceAccount: args.trustSourceAccount, sourceArn: args.trustSourceArn });
  validateRoleArgs(args, prefix);
}

function exceptionTags(args: RolePermissionsArgs): Record<string, string> {
  const tags: Record<string, string> = {};
  // Lists that arrive as one Output (component provider boundary) cannot be tagged: their exceptions are still honoured.
  const statements = Array.isArray(args.statements) ? args.statements : [];
  const managed = Array.isArray(args.managedPolicies) ? args.managedPolicies : [];
  statements.forEach((s, i) => {
    if (s.leastPrivilegeException !== undefined) {
      tags[`keyless:least-privilege-exception/${s.sid || `statement-${i}`}`] = s.leastPrivilegeException;
    }
  });
  managed.forEach((m, i) => {
    if (m.leastPrivilegeException !== undefined) {
      const label = typeof m.arn === "string" ? (m.arn.split("/").pop() ?? `policy-${i}`) : `policy-${i}`;
      tags[`keyless:least-privilege-exception/${label}`] = m.leastPrivilegeException;
    }
  });
  return tags;
}

/**
 * The name of a role's inline policy: `<name>-policy` in the characters IAM allows, at most 128. Inline policy names
 * are scoped to their role, so this is unique wherever the role is.
 * @internal
 */
export function inlinePolicyName(name: string): string {
  return `${name.replace(/[^\w+=,.@-]/g, "-").slice(0, 128 - 7)}-policy`;
}

/** @internal */
export interface BuiltRole {
  readonly role: aws.iam.Role;
  readonly policy?: aws.iam.RolePolicy;
  readonly attachments: aws.iam.RolePolicyAttachment[];
}

/**
 * Who may assume a role built by {@link buildRole}: the trust policy and what the role says of it.
 * @internal
 */
export interface RoleTrust {
  /** The trust (assume-role) policy JSON. */
  readonly assumeRolePolicy: pulumi.Input<string>;
  /** The description used when the caller gives none. */
  readonly defaultDescription: pulumi.Input<string>;
  /** The compute service the policy trusts, when it is one of {@link WorkloadService}. */
  readonly service?: WorkloadService;
}

/**
 * The trust of a role for one compute service, with its confused-deputy conditions.
 * @internal
 */
export function serviceTrust(
  args: Pick<WorkloadRoleArgs, "service" | "trustSourceAccount" | "trustSourceArn">,
): RoleTrust {
  return {
    assumeRolePolicy: trustPolicy(args.service, {
      sourceAccount: args.trustSourceAccount,
      sourceArn: args.trustSourceArn,
    }),
    defaultDescription: `keyless workload role for ${servicePrincipal(args.service)}`,
    service: args.service,
  };
}

/**
 * Registers the role (trusting whom `trust` says), its inline policy and its managed policy attachments as children
 * of `parent`. Arguments must already have passed {@link validateRoleArgs}.
 * @internal
 */
export function buildRole(
  parent: pulumi.Resource,
  name: string,
  args: RolePermissionsArgs,
  trust: RoleTrust,
  prefix = "",
): BuiltRole {
  const exceptions = exceptionTags(args);
  // Tags that arrive as one Output (component provider boundary) are merged once known.
  const given = args.tags as UserTags | undefined;
  const userTags: UserTags = pulumi.Output.isInstance(given)
    ? given.apply((t) => ({ ...(t ?? {}), ...exceptions }))
    : { ...(given ?? {}), ...exceptions };
  const role = new aws.iam.Role(
    `${name}-role`,
    {
      assumeRolePolicy: trust.assumeRolePolicy,
      description: args.description ?? trust.defaultDescription,
      path: args.path ?? "/",
      maxSessionDuration: args.maxSessionDuration ?? 3600,
      permissionsBoundary: args.permissionsBoundary,
      name: args.roleName,
      tags: withOwnershipTags(parent, userTags, `${prefix}tags`),
    },
    { parent },
  );
  if (trust.service !== undefined) roleServices.set(role, trust.service);

  let policy: aws.iam.RolePolicy | undefined;
  const statements = args.statements;
  if (statements !== undefined && (!Array.isArray(statements) || statements.length > 0)) {
    const document = pulumi.output(statements).apply((resolved) => {
      // Re-checked on resolved values: catches an Output resource that turns out to be "*".
      validateStatements(resolved as PolicyStatement[], prefix);
      return renderPolicyDocument(resolved);
    });
    // A fixed name, not an auto-name: PutRolePolicy overwrites a policy of the same name, so an update retried after
    // an interruption rewrites the one grant instead of adding a second one that no state tracks.
    policy = new aws.iam.RolePolicy(
      `${name}-policy`,
      { role: role.id, name: inlinePolicyName(name), policy: document },
      { parent },
    );
  }

  const attachments = (args.managedPolicies ?? []).map((m, i) => {
    const argument = `${prefix}managedPolicies[${i}]`;
    const childName = typeof m.arn === "string" ? `${name}-${shortHash(m.arn)}` : `${name}-managed-${i}`;
    const policyArn = pulumi.output(m.arn).apply((arn) => {
      validateManagedPolicy(m, arn, argument);
      return arn;
    });
    return new aws.iam.RolePolicyAttachment(childName, { role: role.name, policyArn }, { parent });
  });
  return policy === undefined ? { role, attachments } : { role, policy, attachments };
}

/**
 * An IAM role for one compute service, with a generated trust policy and least-privilege permissions.
 *
 * Children: `<name>-role` (`aws.iam.Role`), `<name>-policy` (`aws.iam.RolePolicy`, when `statements` are given) and
 * one `<name>-<hash of ARN>` (`aws.iam.RolePolicyAttachment`) per managed policy. All arguments are validated before
 * any child is registered.
 *
 * @example
 * ```ts
 * import { WorkloadRole } from "@keyless/aws";
 *
 * const role = new WorkloadRole("reports", {
 *   service: "ec2",
 *   statements: [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::reports/*"] }],
 * });
 * export const roleArn = role.roleArn;
 * ```
 */
export class WorkloadRole extends pulumi.ComponentResource {
  /** The IAM role. */
  public readonly role: aws.iam.Role;
  /** The inline policy holding `statements`, when there are any. */
  public readonly policy?: aws.iam.RolePolicy;
  /** One attachment per managed policy, in argument order. */
  public readonly policyAttachments: aws.iam.RolePolicyAttachment[];
  /** The role ARN. */
  public readonly roleArn: pulumi.Output<string>;
  /** The role name. */
  public readonly roleName: pulumi.Output<string>;
  /** The service principal the role trusts, for example `ec2.amazonaws.com`. */
  public readonly servicePrincipal: pulumi.Output<string>;

  /**
   * @param name - component name; children are named from it
   * @param args - the service and the permissions
   * @param opts - component options
   */
  constructor(name: string, args: WorkloadRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    validateWorkloadRoleArgs(args);
    super("keyless:aws:WorkloadRole", name, {}, opts);
    const built = buildRole(this, name, args, serviceTrust(args));
    this.role = built.role;
    if (built.policy !== undefined) this.policy = built.policy;
    this.policyAttachments = built.attachments;
    this.roleArn = built.role.arn;
    this.roleName = built.role.name;
    this.servicePrincipal = pulumi.output(servicePrincipal(args.service));
    this.registerOutputs({
      role: this.role,
      roleArn: this.roleArn,
      roleName: this.roleName,
      servicePrincipal: this.servicePrincipal,
    });
  }
}
