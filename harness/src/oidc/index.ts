export { type IamOidcProvider, iamDirectory, type WebIdentityDirectory } from "./directory";
export { type EksServiceAccountClaimsOptions, eksOidcIssuerUrl, eksServiceAccountClaims } from "./eks";
export { OidcHarnessError, type OidcHarnessErrorCode } from "./errors";
export { GITHUB_ACTIONS_ISSUER, type GitHubActionsClaimsOptions, githubActionsClaims } from "./github-actions";
export { type MintOptions, type OidcIssuer, type OidcIssuerOptions, startOidcIssuer, type TokenClaims } from "./issuer";
export type { StsRefusal } from "./sts-errors";
export { type StsFront, type StsFrontOptions, serveStsFront, type WebIdentityDecision } from "./sts-front";
export {
  callerIdentityThroughWebIdentity,
  type WebIdentityChainIdentity,
  type WebIdentityChainOptions,
} from "./web-identity-chain";
