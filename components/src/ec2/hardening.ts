import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { KeylessErrorCode, KeylessValidationError } from "../errors";
import type { RolePermissionsArgs } from "../iam/workload-role";
import { validateUserTags } from "../tags";

/**
 * Arguments shared by {@link SecureInstance} and {@link SecureLaunchTemplate}: the role, the user data, and the
 * instance metadata and disk settings, secure by default.
 *
 * @example
 * ```ts
 * const shared: SecureComputeArgs = {
 *   permissions: { statements: [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::assets/*"] }] },
 *   userData: "#!/bin/bash\nsystemctl start app\n",
 * };
 * ```
 */
export interface SecureComputeArgs {
  /**
   * An existing instance profile to attach, for example `new InstanceProfile(...).instanceProfile`. Cannot be
   * combined with `permissions`.
   * @default - A new instance profile (and EC2 role) is created from `permissions`.
   */
  readonly instanceProfile?: aws.iam.InstanceProfile;
  /**
   * The permissions of the EC2 role the component creates (see `InstanceProfile` for the naming that follows the
   * role). Cannot be combined with `instanceProfile`.
   * @default - A role with no permissions.
   */
  readonly permissions?: RolePermissionsArgs;
  /**
   * User data as plain text. Checked by the keyless credential scanner: a value known at construction is checked
   * before anything is registered; a value known only at deploy time (an Output) is checked inside its apply, so the
   * resource never receives it. On a launch template the component base64-encodes it (AWS refuses plain text there).
   * Cannot be combined with `userDataBase64`.
   * @default - No user data.
   */
  readonly userData?: pulumi.Input<string>;
  /**
   * User data already base64-encoded, possibly gzip-compressed inside. Scanned through its base64 and gzip layers.
   * Cannot be combined with `userData`.
   * @default - No user data.
   */
  readonly userDataBase64?: pulumi.Input<string>;
  /**
   * Raise the IMDSv2 response hop limit from 1 to 2 so that containers on the host (bridge networking) can reach the
   * instance metadata service. This weakens isolation: every container then gets the instance role's credentials.
   * @default false
   * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html
   */
  readonly containerMetadataAccess?: boolean;
  /**
   * Expose the instance tags through the instance metadata service.
   * @default false
   */
  readonly instanceMetadataTags?: boolean;
  /**
   * Root volume size in GiB.
   * @default - The AMI's size.
   */
  readonly rootVolumeSize?: number;
  /**
   * Root volume type.
   * @default "gp3"
   */
  readonly rootVolumeType?: string;
  /**
   * KMS key for the root volume encryption.
   * @default - The account's default EBS key (the root volume is always encrypted).
   */
  readonly rootVolumeKmsKeyId?: pulumi.Input<string>;
  /**
   * Security groups.
   * @default - The VPC's default security group (AWS behaviour).
   */
  readonly vpcSecurityGroupIds?: pulumi.Input<string>[];
  /**
   * Tags for the instance or launch template (and the instances it launches). keyless adds `keyless:stack` and
   * `keyless:component` (see `KEYLESS_STACK_TAG`), which these may not set.
   * @default - Only keyless's own tags.
   */
  readonly tags?: { [key: string]: pulumi.Input<string> };
}

function fail(code: KeylessErrorCode, argument: string, message: string): never {
  throw new KeylessValidationError(code, argument, message);
}

/**
 * Validates the shared arguments, except user data and permissions, which have their own checks.
 * @internal
 */
export function validateComputeArgs(args: SecureComputeArgs): void {
  if (args.instanceProfile !== undefined && args.permissions !== undefined) {
    fail(
      KeylessErrorCode.ConflictingArguments,
      "permissions",
      "Only one of `instanceProfile` or `permissions` can be given: `permissions` creates a new role and profile. " +
        "Put the permissions on the existing profile's role, or drop `instanceProfile`.",
    );
  }
  if (args.userData !== undefined && args.userDataBase64 !== undefined) {
    fail(
      KeylessErrorCode.ConflictingArguments,
      "userDataBase64",
      "Only one of `userData` or `userDataBase64` can be given. Use `userData` for plain text, `userDataBase64` for " +
        "base64 (for example gzip-compressed) content.",
    );
  }
  for (const flag of ["containerMetadataAccess", "instanceMetadataTags"] as const) {
    const v = args[flag];
    if (v !== undefined && typeof v !== "boolean") {
      fail(KeylessErrorCode.InvalidArgument, flag, `\`${flag}\` must be true or false. Received ${JSON.stringify(v)}.`);
    }
  }
  validateUserTags(args.tags, "tags");
  const size = args.rootVolumeSize;
  if (size !== undefined && (!Number.isInteger(size) || size < 1 || size > 65536)) {
    fail(
      KeylessErrorCode.InvalidArgument,
      "rootVolumeSize",
      `\`rootVolumeSize\` must be a whole number of GiB from 1 to 65536. Received ${size}.`,
    );
  }
}

/**
 * IMDSv2-only metadata options: tokens required, endpoint enabled, hop limit 1 (2 with `containerMetadataAccess`),
 * instance tags off unless asked.
 * @internal
 */
export function metadataOptions(args: SecureComputeArgs): {
  httpTokens: string;
  httpEndpoint: string;
  httpPutResponseHopLimit: number;
  instanceMetadataTags: string;
} {
  return {
    httpTokens: "required",
    httpEndpoint: "enabled",
    httpPutResponseHopLimit: args.containerMetadataAccess === true ? 2 : 1,
    instanceMetadataTags: args.instanceMetadataTags === true ? "enabled" : "disabled",
  };
}
