import * as path from "node:path";
import type { ComponentProviderOptions } from "@pulumi/pulumi/provider/experimental";
import { SecureInstance } from "./ec2/secure-instance";
import { SecureLaunchTemplate } from "./ec2/secure-launch-template";
import { EcsTaskRoles } from "./ecs/ecs-task-roles";
import { InstanceProfile } from "./iam/instance-profile";
import { WorkloadRole } from "./iam/workload-role";
import { LambdaExecutionRole } from "./lambda/lambda-execution-role";
import { EksPodIdentityRole } from "./oidc/eks-pod-identity-role";
import { EksServiceAccountRole } from "./oidc/eks-service-account-role";
import { GitHubActionsRole } from "./oidc/github-actions-role";
import { GitLabCiRole } from "./oidc/gitlab-ci-role";
import { OidcProvider } from "./oidc/oidc-provider";
import { PulumiCloudRole } from "./oidc/pulumi-cloud-role";

/**
 * The Pulumi package name other languages see: resource types are `keyless:index:<Component>`.
 */
export const PACKAGE_NAME = "keyless";

/**
 * Options for `componentProviderHost` from `@pulumi/pulumi/provider/experimental`: the package name, the package
 * directory (where package.json, tsconfig.json and src/ are; the schema is derived from the TypeScript sources) and the
 * component classes. The package name is set explicitly because the npm name `@keyless/aws` would otherwise make the
 * Pulumi package `aws`, clashing with the AWS provider.
 *
 * @example
 * ```ts
 * import { componentProviderHost } from "@pulumi/pulumi/provider/experimental";
 * componentProviderHost(componentProviderOptions());
 * ```
 */
export function componentProviderOptions(): ComponentProviderOptions {
  return {
    name: PACKAGE_NAME,
    dirname: path.join(__dirname, ".."),
    components: [
      WorkloadRole,
      InstanceProfile,
      SecureInstance,
      SecureLaunchTemplate,
      LambdaExecutionRole,
      EcsTaskRoles,
      OidcProvider,
      GitHubActionsRole,
      GitLabCiRole,
      PulumiCloudRole,
      EksServiceAccountRole,
      EksPodIdentityRole,
    ],
  };
}
