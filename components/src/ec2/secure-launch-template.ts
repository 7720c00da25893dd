import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { KeylessErrorCode, KeylessValidationError } from "../errors";
import { validateInstanceProfileArgs } from "../iam/instance-profile";
import { computeProfile } from "../private/compute-profile";
import { withOwnershipTags } from "../tags";
import { metadataOptions, type SecureComputeArgs, validateComputeArgs } from "./hardening";
import { checkedBase64, checkedPlain, toBase64 } from "./user-data";

/**
 * Arguments of {@link SecureLaunchTemplate}.
 *
 * @example
 * ```ts
 * const args: SecureLaunchTemplateArgs = { imageId: "ami-0123456789abcdef0", instanceType: "t3.small" };
 * ```
 */
export interface SecureLaunchTemplateArgs extends SecureComputeArgs {
  /**
   * The AMI id.
   * @default - None: the launch request (for example an Auto Scaling group override) must give one.
   */
  readonly imageId?: pulumi.Input<string>;
  /**
   * The instance type.
   * @default - None: the launch request must give one.
   */
  readonly instanceType?: pulumi.Input<string>;
  /**
   * Device name of the AMI's root volume, which the encrypted block device mapping targets (`/dev/xvda` on Amazon
   * Linux, `/dev/sda1` on Ubuntu).
   * @default "/dev/xvda"
   */
  readonly rootDeviceName?: string;
}

/**
 * Validates the arguments of {@link SecureLaunchTemplate} and returns the base64 user data input.
 * @internal
 */
export function validateLaunchTemplateArgs(args: SecureLaunchTemplateArgs): pulumi.Input<string> | undefined {
  const a = args ?? {};
  validateComputeArgs(a);
  if (a.rootDeviceName !== undefined && !/^\/dev\/[a-z0-9]+$/.test(a.rootDeviceName)) {
    throw new KeylessValidationError(
      KeylessErrorCode.InvalidArgument,
      "rootDeviceName",
      `\`rootDeviceName\` must be a device path such as "/dev/xvda" or "/dev/sda1". Received ${JSON.stringify(a.rootDeviceName)}.`,
    );
  }
  if (a.permissions !== undefined) validateInstanceProfileArgs(a.permissions, "permissions.");
  if (a.userData !== undefined) return toBase64(checkedPlain(a.userData, "userData"));
  if (a.userDataBase64 !== undefined) return checkedBase64(a.userDataBase64, "userDataBase64");
  return undefined;
}

/**
 * An EC2 launch template with the same guarantees as `SecureInstance`: instance profile attached, IMDSv2 only
 * (`httpTokens: "required"`, hop limit 1, or 2 with `containerMetadataAccess`), instance metadata tags off unless
 * asked, encrypted root volume, and user data checked by the keyless credential scanner.
 *
 * AWS requires launch template user data to be base64 (plain text is refused with "Invalid BASE64 encoding"): give
 * plain text as `userData` and the component encodes it (UTF-8, then base64); give `userDataBase64` to pass
 * already-encoded (for example gzip) content through unchanged.
 *
 * Children: `<name>-template` (`aws.ec2.LaunchTemplate`) and, unless `instanceProfile` is given, the children of
 * `InstanceProfile`.
 *
 * @example
 * ```ts
 * import * as aws from "@pulumi/aws";
 * import { SecureLaunchTemplate } from "@keyless/aws";
 *
 * const lt = new SecureLaunchTemplate("workers", {
 *   imageId: "ami-0123456789abcdef0",
 *   instanceType: "t3.small",
 *   permissions: { statements: [{ actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage"], resources: [queue.arn] }] },
 *   userData: "#!/bin/bash\n/opt/worker/start\n",
 * });
 * new aws.autoscaling.Group("workers", {
 *   minSize: 1, maxSize: 3, vpcZoneIdentifiers: privateSubnetIds,
 *   launchTemplate: { id: lt.launchTemplateId, version: lt.latestVersion.apply(String) },
 * });
 * ```
 */
export class SecureLaunchTemplate extends pulumi.ComponentResource {
  /** The launch template. */
  public readonly launchTemplate: aws.ec2.LaunchTemplate;
  /** The instance profile it launches with (created or given). */
  public readonly instanceProfile: aws.iam.InstanceProfile;
  /** The created role, when no `instanceProfile` was given. */
  public readonly role?: aws.iam.Role;
  /** The launch template id. */
  public readonly launchTemplateId: pulumi.Output<string>;
  /** The latest version number. */
  public readonly latestVersion: pulumi.Output<number>;
  /** The instance profile ARN. */
  public readonly instanceProfileArn: pulumi.Output<string>;

  /**
   * @param name - component name; children are named from it
   * @param args - image, type, permissions and user data
   * @param opts - component options
   */
  constructor(name: string, args?: SecureLaunchTemplateArgs, opts?: pulumi.ComponentResourceOptions) {
    const a = args ?? {};
    const userData = validateLaunchTemplateArgs(a);
    super("keyless:aws:SecureLaunchTemplate", name, {}, opts);
    const { profile, role } = computeProfile(this, name, a);
    if (role !== undefined) this.role = role;
    this.instanceProfile = profile;
    const tags = withOwnershipTags(this, a.tags);
    this.launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-template`,
      {
        imageId: a.imageId,
        instanceType: a.instanceType,
        vpcSecurityGroupIds: a.vpcSecurityGroupIds,
        iamInstanceProfile: { arn: profile.arn },
        metadataOptions: metadataOptions(a),
        blockDeviceMappings: [
          {
            deviceName: a.rootDeviceName ?? "/dev/xvda",
            ebs: {
              encrypted: "true",
              volumeType: a.rootVolumeType ?? "gp3",
              volumeSize: a.rootVolumeSize,
              kmsKeyId: a.rootVolumeKmsKeyId,
              deleteOnTermination: "true",
            },
          },
        ],
        userData,
        updateDefaultVersion: true,
        tags,
        // Instances launched from the template (by an Auto Scaling group) carry the same tags, so one an interrupted
        // update leaves running is still found by its stack tag.
        tagSpecifications: [{ resourceType: "instance", tags }],
      },
      { parent: this },
    );
    this.launchTemplateId = this.launchTemplate.id;
    this.latestVersion = this.launchTemplate.latestVersion;
    this.instanceProfileArn = profile.arn;
    this.registerOutputs({
      launchTemplate: this.launchTemplate,
      instanceProfile: this.instanceProfile,
      launchTemplateId: this.launchTemplateId,
      latestVersion: this.latestVersion,
      instanceProfileArn: this.instanceProfileArn,
    });
  }
}
