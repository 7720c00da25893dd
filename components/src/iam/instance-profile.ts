import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { KeylessErrorCode, KeylessValidationError } from "../errors";
import { shortHash } from "../private/hash";
import { withOwnershipTags } from "../tags";
import { servicePrincipal, trustsPrincipal, WorkloadService } from "./principals";
import { buildRole, type RolePermissionsArgs, serviceTrust, trustedServiceOf, validateRoleArgs } from "./workload-role";

/**
 * Arguments of {@link InstanceProfile}: either an existing `role` that trusts `ec2.amazonaws.com`, or the permissions
 * of a new EC2 role.
 *
 * @example
 * ```ts
 * const args: InstanceProfileArgs = { statements: [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::assets/*"] }] };
 * ```
 */
export interface InstanceProfileArgs extends RolePermissionsArgs {
  /**
   * An existing role to wrap, for example `new WorkloadRole(...).role`. It must trust `ec2.amazonaws.com`. Cannot be
   * combined with the role-creation arguments (`statements`, `managedPolicies`, `permissionsBoundary`,
   * `maxSessionDuration`, `description`, `roleName`); `path` and `tags` then apply to the profile only.
   * @default - A new role trusted by ec2.amazonaws.com is created from the other arguments.
   */
  readonly role?: aws.iam.Role;
}

const ROLE_CREATION_ARGS = [
  "statements",
  "managedPolicies",
  "permissionsBoundary",
  "maxSessionDuration",
  "description",
  "roleName",
] as const;

const EC2 = servicePrincipal(WorkloadService.Ec2);

/**
 * Validates the arguments of an {@link InstanceProfile}.
 * @internal
 */
export function validateInstanceProfileArgs(args: InstanceProfileArgs, prefix = ""): void {
  const a = args ?? {};
  if (a.role !== undefined) {
    const conflicting = ROLE_CREATION_ARGS.find((k) => a[k] !== undefined);
    if (conflicting !== undefined) {
      throw new KeylessValidationError(
        KeylessErrorCode.ConflictingArguments,
        `${prefix}${conflicting}`,
        `Only one of \`${prefix}role\` or \`${prefix}${conflicting}\` can be given: \`${prefix}${conflicting}\` configures a ` +
          `new role, \`${prefix}role\` wraps an existing one. Set the permissions on the existing role, or drop \`${prefix}role\`.`,
      );
    }
    const service = trustedServiceOf(a.role);
    if (service !== undefined && service !== WorkloadService.Ec2) {
      throw new KeylessValidationError(
        KeylessErrorCode.UntrustedRole,
        `${prefix}role`,
        `\`${prefix}role\` must trust ${EC2}: an instance profile only works with an EC2 role. Received a role for ` +
          `service "${service}". Create the role with \`service: "ec2"\`, or let the profile create it.`,
      );
    }
  }
  validateRoleArgs(a, prefix);
}

function profileNamePrefix(name: string): string {
  return name.replace(/[^\w+=,.@-]/g, "-").slice(0, 128 - 9);
}

/**
 * The instance profile name for a role: `<component name>-<8 hex of SHA-256(role unique id)>`. The unique id (IAM's
 * `RoleId`, `AROA...`) changes on every replacement, also when the name stays the same.
 * @internal
 */
export function profileName(componentName: string, roleUniqueId: string): string {
  return `${profileNamePrefix(componentName)}-${shortHash(roleUniqueId)}`;
}

/** @internal */
export interface BuiltProfile {
  readonly profile: aws.iam.InstanceProfile;
  readonly role: aws.iam.Role;
  readonly policy?: aws.iam.RolePolicy;
  readonly attachments: aws.iam.RolePolicyAttachment[];
}

/**
 * Registers the profile (and the role, when created) as children of `parent`. Arguments must already have passed
 * {@link validateInstanceProfileArgs}.
 * @internal
 */
export function buildProfile(
  parent: pulumi.Resource,
  name: string,
  args: InstanceProfileArgs,
  prefix = "",
): BuiltProfile {
  let role: aws.iam.Role;
  let policy: aws.iam.RolePolicy | undefined;
  let attachments: aws.iam.RolePolicyAttachment[] = [];
  // The role's name for the profile's `role` input, checked to trust EC2 when the role was not made by keyless.
  let roleName: pulumi.Output<string>;
  if (args.role !== undefined) {
    role = args.role;
    const known = trustedServiceOf(role) !== undefined;
    roleName = known
      ? role.name
      : pulumi.all([role.name, role.assumeRolePolicy]).apply(([n, document]) => {
          if (!trustsPrincipal(document, EC2)) {
            throw new KeylessValidationError(
              KeylessErrorCode.UntrustedRole,
              `${prefix}role`,
              `\`${prefix}role\` must trust ${EC2}: an instance profile only works with an EC2 role. Role ${JSON.stringify(n)} ` +
                `does not allow ${EC2} to call sts:AssumeRole. Use a WorkloadRole with \`service: "ec2"\`.`,
            );
          }
          return n;
        });
  } else {
    const built = buildRole(parent, name, args, serviceTrust({ service: WorkloadService.Ec2 }), prefix);
    role = built.role;
    policy = built.policy;
    attachments = built.attachments;
    roleName = role.name;
  }
  // Named from the role's unique id, not its name: a role replaced under the same name (a path change) gets a new
  // profile too, so the instance is re-associated rather than left with a profile whose role was swapped.
  const profile = new aws.iam.InstanceProfile(
    `${name}-profile`,
    {
      // Pulumi's unit-test mocks leave `uniqueId` (and an auto-name) unset unless the test computes them: the role's
      // name, else the component's, stands in there, so that a user's mocks test gets a profile instead of an error
      // thrown inside an apply (which hangs it).
      name: pulumi.all([roleName, role.uniqueId]).apply(([n, id]) => profileName(name, id ?? n ?? name)),
      role: roleName,
      path: args.path ?? "/",
      tags: withOwnershipTags(parent, args.tags, `${prefix}tags`),
    },
    { parent },
  );
  return policy === undefined ? { profile, role, attachments } : { profile, role, policy, attachments };
}

/**
 * An EC2 instance profile whose lifecycle follows its role.
 *
 * AWS lets you swap the role inside an instance profile, but an instance keeps receiving the old role's credentials
 * from the instance metadata service (IMDS) after such a swap, observed for up to an hour (and credentials of a role
 * removed from a profile keep working for up to 6 hours). Associating a different profile with the instance refreshes
 * the credentials at once. So the profile's name is derived from the role's identity,
 * `<component name>-<8 hex of SHA-256(role unique id)>` (IAM's `RoleId`, which every replacement changes, also one
 * under the same name): the same role always gives the same profile name, and a different or replaced role gives a
 * different name, which makes Pulumi replace the profile instead of updating it. A role with a new name is replaced
 * create before delete (Pulumi's default): the new profile is created, the instance is re-associated with it, and the
 * old profile is deleted afterwards. A role replaced under the same name (an explicit `roleName` whose `path`
 * changes) must be deleted before its successor exists, and the engine then deletes the old profile first as well;
 * the instance is still re-associated with the new profile, never left with a role swapped inside its profile.
 *
 * Upgrading from a version that named the profile from the role's name replaces each profile once (the instance is
 * re-associated in place).
 *
 * A just-created profile may be refused by RunInstances for a few seconds ("Invalid IAM Instance Profile name") on
 * real AWS; the AWS provider retries that.
 *
 * Children: `<name>-profile` (`aws.iam.InstanceProfile`), and, when no `role` is given, the role children of
 * `WorkloadRole` (`<name>-role`, `<name>-policy`, `<name>-<hash>`).
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2_instance-profiles.html
 * @example
 * ```ts
 * import { InstanceProfile, WorkloadRole } from "@keyless/aws";
 *
 * const role = new WorkloadRole("web", { service: "ec2" });
 * const profile = new InstanceProfile("web", { role: role.role });
 * // or in one step:
 * const profile2 = new InstanceProfile("worker", {
 *   statements: [{ actions: ["sqs:ReceiveMessage"], resources: [queue.arn] }],
 * });
 * export const profileName = profile.instanceProfileName;
 * ```
 */
export class InstanceProfile extends pulumi.ComponentResource {
  /** The instance profile. */
  public readonly instanceProfile: aws.iam.InstanceProfile;
  /** The role in the profile (created or given). */
  public readonly role: aws.iam.Role;
  /** The inline policy of a created role, when `statements` were given. */
  public readonly policy?: aws.iam.RolePolicy;
  /** Managed policy attachments of a created role. */
  public readonly policyAttachments: aws.iam.RolePolicyAttachment[];
  /** The profile name, derived from the role's unique id. */
  public readonly instanceProfileName: pulumi.Output<string>;
  /** The profile ARN. */
  public readonly instanceProfileArn: pulumi.Output<string>;
  /** The role ARN. */
  public readonly roleArn: pulumi.Output<string>;
  /** The role name. */
  public readonly roleName: pulumi.Output<string>;

  /**
   * @param name - component name; children are named from it
   * @param args - an existing EC2 role, or the permissions of a new one
   * @param opts - component options
   */
  constructor(name: string, args: InstanceProfileArgs, opts?: pulumi.ComponentResourceOptions) {
    validateInstanceProfileArgs(args);
    super("keyless:aws:InstanceProfile", name, {}, opts);
    const built = buildProfile(this, name, args ?? {});
    this.instanceProfile = built.profile;
    this.role = built.role;
    if (built.policy !== undefined) this.policy = built.policy;
    this.policyAttachments = built.attachments;
    this.instanceProfileName = built.profile.name;
    this.instanceProfileArn = built.profile.arn;
    this.roleArn = built.role.arn;
    this.roleName = built.role.name;
    this.registerOutputs({
      instanceProfile: this.instanceProfile,
      role: this.role,
      instanceProfileName: this.instanceProfileName,
      instanceProfileArn: this.instanceProfileArn,
      roleArn: this.roleArn,
      roleName: this.roleName,
    });
  }
}
