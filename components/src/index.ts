/**
 * @keyless/aws: Pulumi components for keyless AWS compute. Workloads get temporary credentials from roles (instance
 * profiles, Lambda and ECS roles, roles for CI pipelines, Pulumi Cloud and EKS pods), never static keys.
 *
 * @example
 * ```ts
 * import { SecureInstance } from "@keyless/aws";
 *
 * new SecureInstance("web", { ami, instanceType: "t3.micro", subnetId,
 *   permissions: { statements: [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::assets/*"] }] } });
 * ```
 * @packageDocumentation
 */

export { componentProviderOptions, PACKAGE_NAME } from "./component-provider";
export * from "./ec2";
export * from "./ecs";
export * from "./errors";
export * from "./harden";
export * from "./iam";
export * from "./lambda";
export * from "./oidc";
export { KEYLESS_COMPONENT_TAG, KEYLESS_OWNERSHIP_TAGS, KEYLESS_STACK_TAG, ownershipTags } from "./tags";
