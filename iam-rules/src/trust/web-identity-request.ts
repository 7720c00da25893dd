import { claimKey, issuerHostPath, oidcIssuerKind } from "./oidc-issuers";
import type { AssumeRoleRequest, ContextValue } from "./types";

/**
 * The claims of GitHub's token that STS puts in the request context beside `aud` and `sub` (AWS, January 2026), as
 * `token.actions.githubusercontent.com:<claim>`.
 */
const GITHUB_CONTEXT_CLAIMS = [
  "actor",
  "actor_id",
  "environment",
  "event_name",
  "job_workflow_ref",
  "ref",
  "ref_type",
  "repository",
  "repository_id",
  "repository_owner",
  "repository_owner_id",
  "workflow",
  "workflow_ref",
] as const;

const asContext = (v: unknown): ContextValue | undefined =>
  typeof v === "string"
    ? v
    : Array.isArray(v) && v.every((x) => typeof x === "string")
      ? (v as string[])
      : typeof v === "number" || typeof v === "boolean"
        ? String(v)
        : undefined;

/**
 * The request STS evaluates for `AssumeRoleWithWebIdentity` with a token from the IAM OIDC provider `providerArn`:
 * the principal is the provider, the action `sts:AssumeRoleWithWebIdentity`, and the token's `aud`, `sub` and `amr`
 * become `<issuer>:aud`, `<issuer>:sub` and `<issuer>:amr` (GitHub's issuer also carries its repository, ref,
 * environment and workflow claims). The token's signature, issuer, expiry and audience list are checked before trust
 * is evaluated, by whoever holds the token (the harness's STS front does).
 *
 * @example
 * ```ts
 * const request = webIdentityRequest("arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com", {
 *   sub: "repo:octo/app:ref:refs/heads/main",
 *   aud: "sts.amazonaws.com",
 * });
 * evaluateTrust(trustPolicyText, request).allowed;
 * ```
 */
export function webIdentityRequest(providerArn: string, claims: Readonly<Record<string, unknown>>): AssumeRoleRequest {
  const issuer = issuerHostPath(providerArn);
  const names = ["aud", "sub", "amr"];
  // GitHub's issuer exactly (or with an enterprise slug): a host that merely starts with its name is another issuer.
  if (oidcIssuerKind(issuer) === "github") names.push(...GITHUB_CONTEXT_CLAIMS);
  const context: Record<string, ContextValue> = {};
  for (const name of names) {
    const value = asContext(claims[name]);
    if (value !== undefined) context[claimKey(issuer, name)] = value;
  }
  return { principal: { federated: providerArn }, action: "sts:AssumeRoleWithWebIdentity", context };
}
