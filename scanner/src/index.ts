export {
  CIS_AWS_VERSION,
  controlTags,
  findingKindControls,
  findingKindPolicies,
  type KeylessPolicyName,
  keylessPolicyNames,
  mergeControls,
  type PolicyControls,
  policyControls,
} from "./controls";
export { type FindingLevel, formatFinding, kindLabel, kindLevel } from "./format";
export {
  accessKeyIdRule,
  type CredentialKind,
  type KeyIdPrefix,
  keyIdPlaceholder,
  keyIdPrefixes,
  oidcProviderUnusedRule,
  type Rule,
  rules,
  secretAccessKeyRule,
  secretPlaceholder,
  sessionTokenPrefixes,
  sessionTokenRule,
  undecodableLayerRule,
  webIdentityTrustRule,
} from "./rules";
export {
  DEFAULT_FINGERPRINT_KEY,
  DEFAULT_MAX_DECODED_BYTES,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_FINDINGS,
  scan,
} from "./scan";
export type { Finding, FindingKind, IamFindingDetail, ScanOptions } from "./types";
