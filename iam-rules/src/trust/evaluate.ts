// Whether a trust policy lets a principal assume the role, by IAM's evaluation logic for role trust policies:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
import { wildcardMatches } from "../wildcard";
import { conditionHolds, type RequestContext, requestContext } from "./conditions";
import { parseTrustPolicy } from "./trust-policy";
import type { AssumeRoleRequest, TrustDecision, TrustPolicy, TrustPrincipal, TrustStatement } from "./types";

const ACCOUNT_ID = /^\d{12}$/;

/** The account of an ARN (`arn:aws:iam::111122223333:role/x` -> `111122223333`). */
const accountOf = (arn: string): string | undefined => arn.split(":")[4];

/**
 * The role an assumed-role session or a role ARN stands for, as `account/name`: a trust policy that names a role
 * admits the sessions of that role (role chaining), whatever the role's path.
 */
function roleOf(arn: string): string | undefined {
  const m =
    /^arn:[^:]+:sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(arn) ??
    /^arn:[^:]+:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m === null ? undefined : `${m[1]}/${m[2]}`;
}

function awsIdentifierMatches(identifier: string, arn: string): boolean {
  if (identifier === "*") return true;
  // An account id or its root ARN stands for every principal of the account.
  const rootAccount = ACCOUNT_ID.test(identifier) ? identifier : /^arn:[^:]+:iam::(\d{12}):root$/.exec(identifier)?.[1];
  if (rootAccount !== undefined) return accountOf(arn) === rootAccount || arn === rootAccount;
  if (identifier === arn) return true;
  const role = roleOf(identifier);
  return role !== undefined && role === roleOf(arn);
}

/** Whether a statement's `Principal` (or `NotPrincipal`) block names the requesting principal. */
function principalNamed(block: TrustStatement["principal"], principal: TrustPrincipal): boolean {
  if (block === undefined) return false;
  if (block === "*") return true;
  const ids = (type: string): readonly string[] =>
    Object.entries(block).find(([t]) => t.toLowerCase() === type.toLowerCase())?.[1] ?? [];
  // `{"AWS": "*"}` is every principal, like `"*"`: IAM documents the two as the same, so it also names services and
  // web identities.
  if (ids("AWS").includes("*")) return true;
  if ("service" in principal) {
    return ids("Service").some((id) => id === "*" || id.toLowerCase() === principal.service.toLowerCase());
  }
  if ("federated" in principal) return ids("Federated").some((id) => id === "*" || id === principal.federated);
  return ids("AWS").some((id) => awsIdentifierMatches(id, principal.aws));
}

function defaultAction(principal: TrustPrincipal): string {
  if ("federated" in principal) {
    return /:saml-provider\//.test(principal.federated) ? "sts:AssumeRoleWithSAML" : "sts:AssumeRoleWithWebIdentity";
  }
  return "sts:AssumeRole";
}

function statementApplies(
  s: TrustStatement,
  principal: TrustPrincipal,
  action: string,
  context: RequestContext,
): boolean {
  const named =
    s.principal !== undefined ? principalNamed(s.principal, principal) : !principalNamed(s.notPrincipal, principal);
  if (!named) return false;
  const listed = (patterns: readonly string[] | undefined) => (patterns ?? []).some((p) => wildcardMatches(p, action));
  if (!(s.actions !== undefined ? listed(s.actions) : !listed(s.notActions))) return false;
  // Conditions are ANDed. One keyless cannot evaluate fails closed: it never lets an Allow through, always a Deny.
  return s.conditions.every((c) => conditionHolds(c, context) ?? s.effect === "Deny");
}

const label = (s: TrustStatement): string => (s.sid !== undefined ? `statement "${s.sid}"` : `statement ${s.index}`);

/**
 * Decides, as IAM does for a role's trust policy, whether `request` may assume the role: an explicit Deny wins, else
 * any Allow admits, else the request is implicitly denied. Principals (`Principal`, `NotPrincipal`; `"*"`, `AWS`
 * accounts, roles, users and sessions, `Service`, `Federated`), actions (`Action`, `NotAction`, wildcards, case
 * insensitive) and conditions (see {@link conditionHolds}) are all evaluated. The one trust evaluation of keyless: the
 * components, the policy pack, the audit and the test harness's STS front all ask it.
 *
 * Not modelled: session policies, permissions boundaries and SCPs (they bound what the session can do, not whether it
 * is issued), and the caller's own identity policy for `sts:AssumeRole` across accounts.
 *
 * @param policy - the trust policy: JSON text (URL-encoded as IAM's API returns it, or not) or a parsed
 *   {@link TrustPolicy}
 * @example
 * ```ts
 * evaluateTrust(role.AssumeRolePolicyDocument, { principal: { service: "ec2.amazonaws.com" } }).allowed; // true
 * evaluateTrust(doc, webIdentityRequest(providerArn, { sub: "repo:octo/app:ref:refs/heads/main", aud: "sts.amazonaws.com" }));
 * ```
 */
export function evaluateTrust(policy: string | object | TrustPolicy, request: AssumeRoleRequest): TrustDecision {
  const parsed = isTrustPolicy(policy) ? policy : parseTrustPolicy(policy);
  const action = request.action ?? defaultAction(request.principal);
  const context = requestContext(request.context);
  const applying = parsed.statements.filter((s) => statementApplies(s, request.principal, action, context));
  const denies = applying.filter((s) => s.effect === "Deny");
  if (denies.length > 0) {
    return {
      allowed: false,
      decision: "ExplicitDeny",
      statements: denies.map((s) => s.index),
      reason: `${action} is explicitly denied by ${denies.map(label).join(", ")}.`,
    };
  }
  const allows = applying.filter((s) => s.effect === "Allow");
  if (allows.length > 0) {
    return {
      allowed: true,
      decision: "Allow",
      statements: allows.map((s) => s.index),
      reason: `${action} is allowed by ${allows.map(label).join(", ")}.`,
    };
  }
  return {
    allowed: false,
    decision: "ImplicitDeny",
    statements: [],
    reason: `No statement allows ${action} for this principal with this request's conditions.`,
  };
}

function isTrustPolicy(policy: unknown): policy is TrustPolicy {
  return (
    typeof policy === "object" &&
    policy !== null &&
    Array.isArray((policy as TrustPolicy).statements) &&
    Array.isArray((policy as TrustPolicy).duplicates)
  );
}
