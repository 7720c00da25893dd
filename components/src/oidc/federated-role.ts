// What the web-identity role components share: the provider ARN checked against the issuer, the trust policy rendered
// from it, and the role registered with the permissions of `RolePermissionsArgs`.
import * as pulumi from "@pulumi/pulumi";
import { type BuiltRole, buildRole, type RolePermissionsArgs } from "../iam/workload-role";
import { isKnownNow } from "../private/inputs";
import { type ExpectedIssuer, validateProviderArn } from "./provider-arn";
import { type ClaimCondition, webIdentityTrustPolicy } from "./web-identity-trust";

/**
 * Checks `providerArn` now when it is known (or missing); an Output is checked by {@link federatedTrustPolicy}.
 * @internal
 */
export function validateProviderArnNow(providerArn: pulumi.Input<string> | undefined, expected: ExpectedIssuer): void {
  if (providerArn === undefined || isKnownNow(providerArn)) validateProviderArn(providerArn, "providerArn", expected);
}

/**
 * The trust policy for tokens of the provider `providerArn`, whose conditions `conditions` writes from the ARN (the
 * condition keys name the issuer). The ARN is checked when it resolves, so a wrong one fails the role's
 * `assumeRolePolicy` and the role is never created; check it at construction with {@link validateProviderArnNow}.
 * @internal
 */
export function federatedTrustPolicy(
  providerArn: pulumi.Input<string>,
  expected: ExpectedIssuer,
  conditions: (providerArn: string) => readonly ClaimCondition[],
): pulumi.Output<string> {
  return pulumi.output(providerArn).apply((arn) => {
    validateProviderArn(arn, "providerArn", expected);
    return webIdentityTrustPolicy(arn, conditions(arn));
  });
}

/**
 * Registers the role of a web-identity component with its trust policy; `extraTags` (exception reasons) are added to
 * the caller's tags.
 * @internal
 */
export function buildFederatedRole(
  parent: pulumi.Resource,
  name: string,
  args: RolePermissionsArgs,
  assumeRolePolicy: pulumi.Input<string>,
  defaultDescription: string,
  extraTags: Readonly<Record<string, string>> = {},
): BuiltRole {
  const tags = Object.keys(extraTags).length > 0 ? { ...(args.tags ?? {}), ...extraTags } : args.tags;
  return buildRole(parent, name, { ...args, tags }, { assumeRolePolicy, defaultDescription });
}
