import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { KeylessErrorCode, KeylessValidationError } from "../errors";
import { validateInstanceProfileArgs } from "../iam/instance-profile";
import { computeProfile } from "../private/compute-profile";
import { withOwnershipTags } from "../tags";
import { metadataOptions, type SecureComputeArgs, validateComputeArgs } from "./hardening";
import { checkedBase64, checkedPlain } from "./user-data";

/**
 * Arguments of {@link SecureInstance}.
 *
 * @example
 * ```ts
 * const args: SecureInstanceArgs = { ami: "ami-0123456789abcdef0", instanceType: "t3.micro", subnetId: "subnet-0abc" };
 * ```
 */
export interface SecureInstanceArgs extends SecureComputeArgs {
  /** The AMI id. */
  readonly ami: pulumi.Input<string>;
  /** The instance type, for example `t3.micro`. */
  readonly instanceType: pulumi.Input<string>;
  /**
   * The subnet to launch in.
   * @default - The default subnet of the default VPC (AWS behaviour).
   */
  readonly subnetId?: pulumi.Input<string>;
  /**
   * Give the instance a public IPv4 address. This weakens security: the instance becomes reachable from the
   * internet wherever its security groups allow. Prefer a private subnet with SSM Session Manager.
   * @default false
   */
  readonly associatePublicIpAddress?: boolean;
  /**
   * Replace the instance (instead of stop/start) when user data changes. Passed through to `aws.ec2.Instance`.
   * @default false
   */
  readonly userDataReplaceOnChange?: boolean;
}

function fail(argument: string, message: string): never {
  throw new KeylessValidationError(KeylessErrorCode.InvalidArgument, argument, message);
}

/**
 * Validates the arguments of {@link SecureInstance} and returns the checked user data inputs.
 * @internal
 */
export function validateInstanceArgs(args: SecureInstanceArgs): {
  userData?: pulumi.Input<string>;
  userDataBase64?: pulumi.Input<string>;
} {
  if (args === undefined || args === null || typeof args !== "object") {
    fail("args", "SecureInstance needs arguments: at least `ami` and `instanceType`.");
  }
  for (const key of ["ami", "instanceType"] as const) {
    const v = args[key];
    if (v === undefined || v === null || v === "") {
      fail(key, `\`${key}\` is required. Received ${JSON.stringify(v)}.`);
    }
  }
  for (const flag of ["associatePublicIpAddress", "userDataReplaceOnChange"] as const) {
    const v = args[flag];
    if (v !== undefined && typeof v !== "boolean") {
      fail(flag, `\`${flag}\` must be true or false. Received ${JSON.stringify(v)}.`);
    }
  }
  validateComputeArgs(args);
  if (args.permissions !== undefined) validateInstanceProfileArgs(args.permissions, "permissions.");
  const out: { userData?: pulumi.Input<string>; userDataBase64?: pulumi.Input<string> } = {};
  if (args.userData !== undefined) out.userData = checkedPlain(args.userData, "userData");
  if (args.userDataBase64 !== undefined) out.userDataBase64 = checkedBase64(args.userDataBase64, "userDataBase64");
  return out;
}

/**
 * An EC2 instance that gets its AWS credentials only from its instance profile, over IMDSv2.
 *
 * - metadata options: `httpTokens: "required"` (IMDSv2 only), `httpEndpoint: "enabled"`, hop limit 1 (2 with
 *   `containerMetadataAccess`), `instanceMetadataTags: "disabled"` unless asked;
 * - root volume encrypted (gp3 by default), no public IP unless asked;
 * - user data checked by the keyless credential scanner: a value known at construction before anything is
 *   registered, an Output inside its apply so the instance never receives it. `userData` is raw text (AWS does not
 *   compress it), `userDataBase64` is base64 and may carry gzip; `userDataReplaceOnChange` passes through.
 *
 * Children: `<name>-instance` (`aws.ec2.Instance`) and, unless `instanceProfile` is given, the children of
 * `InstanceProfile` (`<name>-profile`, `<name>-role`, ...). A role change yields a new profile name, so the
 * instance is re-associated with a new profile and picks up the new credentials at once.
 *
 * @example
 * ```ts
 * import { SecureInstance } from "@keyless/aws";
 *
 * const web = new SecureInstance("web", {
 *   ami: "ami-0123456789abcdef0",
 *   instanceType: "t3.micro",
 *   subnetId: privateSubnet.id,
 *   permissions: { statements: [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::assets/*"] }] },
 *   userData: "#!/bin/bash\ndnf install -y nginx && systemctl enable --now nginx\n",
 * });
 * export const instanceId = web.instanceId;
 * ```
 */
export class SecureInstance extends pulumi.ComponentResource {
  /** The instance. */
  public readonly instance: aws.ec2.Instance;
  /** The attached instance profile (created or given). */
  public readonly instanceProfile: aws.iam.InstanceProfile;
  /** The created role, when no `instanceProfile` was given. */
  public readonly role?: aws.iam.Role;
  /** The instance id. */
  public readonly instanceId: pulumi.Output<string>;
  /** The instance ARN. */
  public readonly instanceArn: pulumi.Output<string>;
  /** The private IPv4 address. */
  public readonly privateIp: pulumi.Output<string>;
  /** The attached instance profile's name. */
  public readonly instanceProfileName: pulumi.Output<string>;

  /**
   * @param name - component name; children are named from it
   * @param args - AMI, type, network, permissions and user data
   * @param opts - component options
   */
  constructor(name: string, args: SecureInstanceArgs, opts?: pulumi.ComponentResourceOptions) {
    const userData = validateInstanceArgs(args);
    super("keyless:aws:SecureInstance", name, {}, opts);
    const { profile, role } = computeProfile(this, name, args);
    if (role !== undefined) this.role = role;
    this.instanceProfile = profile;
    this.instance = new aws.ec2.Instance(
      `${name}-instance`,
      {
        ami: args.ami,
        instanceType: args.instanceType,
        subnetId: args.subnetId,
        vpcSecurityGroupIds: args.vpcSecurityGroupIds,
        iamInstanceProfile: profile.name,
        associatePublicIpAddress: args.associatePublicIpAddress ?? false,
        metadataOptions: metadataOptions(args),
        rootBlockDevice: {
          encrypted: true,
          volumeType: args.rootVolumeType ?? "gp3",
          volumeSize: args.rootVolumeSize,
          kmsKeyId: args.rootVolumeKmsKeyId,
          deleteOnTermination: true,
        },
        userData: userData.userData,
        userDataBase64: userData.userDataBase64,
        userDataReplaceOnChange: args.userDataReplaceOnChange,
        tags: withOwnershipTags(this, args.tags),
      },
      { parent: this },
    );
    this.instanceId = this.instance.id;
    this.instanceArn = this.instance.arn;
    this.privateIp = this.instance.privateIp;
    this.instanceProfileName = profile.name;
    this.registerOutputs({
      instance: this.instance,
      instanceProfile: this.instanceProfile,
      instanceId: this.instanceId,
      instanceArn: this.instanceArn,
      privateIp: this.privateIp,
      instanceProfileName: this.instanceProfileName,
    });
  }
}
