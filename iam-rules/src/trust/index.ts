export {
  type ConditionResult,
  conditionHolds,
  isEvaluatedOperator,
  isNegatedOperator,
  requestContext,
} from "./conditions";
export { evaluateTrust, trustNames } from "./evaluate";
export { trustedFederatedPrincipals } from "./federated-principals";
export {
  claimKey,
  issuerHostPath,
  type OidcIssuerKind,
  oidcIssuerKind,
  pinningClaims,
  type SubjectPart,
  type SubjectScope,
  subjectScope,
} from "./oidc-issuers";
export { principalIdentifiers, statementCoversAction, statementLabel } from "./statement";
export { parseTrustPolicy, TrustPolicyError } from "./trust-policy";
export type * from "./types";
export { webIdentityRequest } from "./web-identity-request";
export {
  WebIdentityFindingCode,
  type WebIdentityTrustFinding,
  webIdentityTrustFindings,
} from "./web-identity-scope";
