// Every policy of the keyless-aws pack, without side effects: import this module to test or reuse the
// policies; dist/index.js (the pack's entry point) builds the PolicyPack from the same array.
import type { Policies, Policy } from "@pulumi/policy";
import { noIamAccessKeys as accessKeys } from "./policies/access-keys";
import { noStaticCredentialsInEnvironment as environment } from "./policies/environment";
import { exemptionsInUse as inUse } from "./policies/exemptions-in-use";
import { imdsv2Required as imds } from "./policies/imds";
import { instanceProfileRequired as instanceProfile } from "./policies/instance-profile";
import { leastPrivilege as privilege } from "./policies/least-privilege";
import { roleTrustMatchesUse as roleTrust } from "./policies/role-trust";
import { noStaticCredentialsInUserData as userData } from "./policies/user-data";
import { webIdentityTrustScoped as webIdentity } from "./policies/web-identity-trust";
import { withControls } from "./private/catalog";
import { type WithExemptionsOptions, withExemptions } from "./private/exemptions";

export type { NoIamAccessKeysArgs } from "./policies/access-keys";
export { environmentResourceTypes, type NoStaticCredentialsInEnvironmentArgs } from "./policies/environment";
export type { Imdsv2RequiredArgs } from "./policies/imds";
export {
  forbiddenManagedPolicies,
  type LeastPrivilegeArgs,
  privilegeEscalationActions,
} from "./policies/least-privilege";
export type { RoleTrustMatchesUseArgs } from "./policies/role-trust";
export { type NoStaticCredentialsInUserDataArgs, userDataResourceTypes } from "./policies/user-data";
export type { WebIdentityTrustScopedArgs } from "./policies/web-identity-trust";
export { POLICY_DOCS_URL } from "./private/catalog";
export { type ExemptableArgs, type WithExemptionsOptions, withExemptions } from "./private/exemptions";
export type { UndecidableArgs } from "./private/unknown";

/** The pack's name, as PulumiPolicy.yaml and `pulumi preview --policy-pack` show it. */
export const policyPackName = "keyless-aws";

/** A policy as the pack runs it: with its controls, README `url` and exemptions. */
const keyless = <P extends Policy>(p: P, options?: WithExemptionsOptions): P =>
  withControls(withExemptions(p, options));

/**
 * Every policy of the pack, in reporting order, judged against the given clock; `exemptions-in-use` comes last, so
 * that it lists what the others lifted.
 *
 * @example
 * ```ts
 * const atNewYear = keylessPolicies({ now: () => new Date("2027-01-01T00:00:00Z") });
 * ```
 */
export function keylessPolicies(options?: WithExemptionsOptions): Policies {
  return [
    keyless(userData, options),
    keyless(environment, options),
    keyless(accessKeys, options),
    keyless(imds, options),
    keyless(instanceProfile, options),
    keyless(roleTrust, options),
    keyless(webIdentity, options),
    keyless(privilege, options),
    withControls(inUse),
  ];
}

/** Every policy of the pack, in reporting order (see {@link keylessPolicies}). */
export const policies: Policies = keylessPolicies();

const byName = <P extends Policy>(name: string): P => policies.find((p) => p.name === name) as P;

/** Static AWS credentials must not be in EC2 user data (see the README). */
export const noStaticCredentialsInUserData = byName<typeof userData>(userData.name);
/** Static AWS credentials must not be in environment variables. */
export const noStaticCredentialsInEnvironment = byName<typeof environment>(environment.name);
/** IAM access keys must not be created. */
export const noIamAccessKeys = byName<typeof accessKeys>(accessKeys.name);
/** Instances and launch templates must require IMDSv2. */
export const imdsv2Required = byName<typeof imds>(imds.name);
/** Instances should have an instance profile. */
export const instanceProfileRequired = byName<typeof instanceProfile>(instanceProfile.name);
/** A role must trust the service that uses it. */
export const roleTrustMatchesUse = byName<typeof roleTrust>(roleTrust.name);
/** Roles must trust web identities only scoped. */
export const webIdentityTrustScoped = byName<typeof webIdentity>(webIdentity.name);
/** Roles reachable from compute must be least privilege. */
export const leastPrivilege = byName<typeof privilege>(privilege.name);
/** Lists the exemptions in use (advisory). */
export const exemptionsInUse = byName<typeof inUse>(inUse.name);
