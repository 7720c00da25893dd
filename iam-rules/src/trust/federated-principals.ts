// Which identity providers a role's trust relies on: what tells an IAM OIDC provider in use from one left behind.
import { principalIdentifiers } from "./statement";
import { parseTrustPolicy } from "./trust-policy";

/**
 * The identity providers a trust policy's Allow statements name as `Federated` principals, in document order, each
 * once: IAM OIDC and SAML provider ARNs (`arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com`),
 * `cognito-identity.amazonaws.com`, `*`. A provider named only in a Deny statement or a `NotPrincipal` is not trusted
 * through it and is not listed; nor is one a statement trusts only through `"Principal": "*"` (see
 * {@link webIdentityTrustFindings}, which reports such a statement).
 *
 * @param policy - the trust policy's JSON text as IAM holds it (URL-encoded or not), or an object read as its JSON
 * @returns the identifiers as written; compare ARNs exactly, as IAM does
 * @throws {@link TrustPolicyError} when the text is not a trust policy
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-federated-web-identity
 * @example
 * ```ts
 * trustedFederatedPrincipals(role.AssumeRolePolicyDocument);
 * // ["arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"]
 * ```
 */
export function trustedFederatedPrincipals(policy: string | object): string[] {
  const parsed = parseTrustPolicy(policy);
  const out = new Set<string>();
  for (const s of parsed.statements) {
    if (s.effect !== "Allow") continue;
    for (const id of principalIdentifiers(s.principal, "Federated")) out.add(id);
  }
  return [...out];
}
