// Every policy of the keyless-aws pack, without side effects: import this module to test or reuse the
// policies; dist/index.js (the pack's entry point) builds the PolicyPack from the same array.
import type { Policies } from "@pulumi/policy";
import { noIamAccessKeys } from "./policies/access-keys";
import { noStaticCredentialsInEnvironment } from "./policies/environment";
import { imdsv2Required } from "./policies/imds";
import { instanceProfileRequired } from "./policies/instance-profile";
import { leastPrivilege } from "./policies/least-privilege";
import { roleTrustMatchesUse } from "./policies/role-trust";
import { noStaticCredentialsInUserData } from "./policies/user-data";
import { webIdentityTrustScoped } from "./policies/web-identity-trust";

export { type NoIamAccessKeysArgs, noIamAccessKeys } from "./policies/access-keys";
export {
  environmentResourceTypes,
  type NoStaticCredentialsInEnvironmentArgs,
  noStaticCredentialsInEnvironment,
} from "./policies/environment";
export { type Imdsv2RequiredArgs, imdsv2Required } from "./policies/imds";
export { instanceProfileRequired } from "./policies/instance-profile";
export {
  forbiddenManagedPolicies,
  type LeastPrivilegeArgs,
  leastPrivilege,
  privilegeEscalationActions,
} from "./policies/least-privilege";
export { type RoleTrustMatchesUseArgs, roleTrustMatchesUse } from "./policies/role-trust";
export {
  type NoStaticCredentialsInUserDataArgs,
  noStaticCredentialsInUserData,
  userDataResourceTypes,
} from "./policies/user-data";
export { type WebIdentityTrustScopedArgs, webIdentityTrustScoped } from "./policies/web-identity-trust";
export type { UndecidableArgs } from "./private/unknown";

/** The pack's name, as PulumiPolicy.yaml and `pulumi preview --policy-pack` show it. */
export const policyPackName = "keyless-aws";

/** Every policy of the pack, in reporting order. */
export const policies: Policies = [
  noStaticCredentialsInUserData,
  noStaticCredentialsInEnvironment,
  noIamAccessKeys,
  imdsv2Required,
  instanceProfileRequired,
  roleTrustMatchesUse,
  webIdentityTrustScoped,
  leastPrivilege,
];
