import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { SecureComputeArgs } from "../ec2/hardening";
import { buildProfile } from "../iam/instance-profile";

/**
 * The instance profile an EC2 component launches with: the given `instanceProfile`, or a new one (with its role)
 * built from `permissions` as children of `parent`.
 * @internal
 */
export function computeProfile(
  parent: pulumi.Resource,
  name: string,
  args: SecureComputeArgs,
): { profile: aws.iam.InstanceProfile; role?: aws.iam.Role } {
  if (args.instanceProfile !== undefined) return { profile: args.instanceProfile };
  const built = buildProfile(parent, name, args.permissions ?? {}, "permissions.");
  return { profile: built.profile, role: built.role };
}
