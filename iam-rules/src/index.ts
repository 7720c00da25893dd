// The IAM rules keyless's components and policy pack share, so that both judge every action and resource alike.
export {
  type ActionClassification,
  type ActionInfo,
  classifyAction,
  isPermissionsManagement,
  isWrite,
} from "./actions";
export * from "./exemptions";
export { forbiddenManagedPolicies, forbiddenManagedPolicy } from "./managed-policies";
export { KEYLESS_COMPONENT_TAG, KEYLESS_OWNERSHIP_TAGS, KEYLESS_STACK_TAG, tagValue } from "./ownership-tags";
export {
  escalatingOnUnboundedResourceOnly,
  privilegeEscalationActions,
  privilegeEscalations,
} from "./privilege-escalation";
export { readOnlyManagedPolicies, readOnlyManagedPolicy } from "./read-only-managed-policies";
export { isUnboundedResource, type UnboundedWrite, unboundedWrites } from "./resource-scope";
export * from "./trust";
export { wildcardMatches } from "./wildcard";
