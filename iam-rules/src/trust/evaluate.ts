// Whether a trust policy lets a principal assume the role, by IAM's evaluation logic for role trust policies:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
import { type ConditionOptions, conditionHolds, type RequestContext, requestContext } from "./conditions";
import { principalIdentifiers, statementCoversAction, statementLabel } from "./statement";
import { parseTrustPolicy } from "./trust-policy";
import type { AssumeRoleRequest, TrustDecision, TrustPolicy, TrustPrincipal, TrustStatement } from "./types";

const ACCOUNT_ID = /^\d{12}$/;

/** The partition and account of an IAM or STS ARN (`arn:aws:iam::111122223333:role/x` -> `aws`, `111122223333`). */
const partitionAndAccount = (arn: string): { partition: string; account: string } | undefined => {
  const m = /^arn:([^:]+):(?:iam|sts)::(\d{12}):/.exec(arn);
  return m === null ? undefined : { partition: m[1] ?? "", account: m[2] ?? "" };
};

/**
 * The role an assumed-role session or a role ARN stands for, as `partition/account/name`: a trust policy that names a
 * role admits the role and its sessions (role chaining), whatever the role's path (session ARNs carry no path; a
 * role name is unique in its account).
 */
function roleOf(arn: string): string | undefined {
  const m =
    /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(arn) ??
    /^arn:([^:]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m === null ? undefined : `${m[1]}/${m[2]}/${m[3]}`;
}

/**
 * Whether one `AWS` identifier of a Principal block names the requesting principal:
 * - `*`: every AWS principal.
 * - an account id, or its root ARN: every principal of the account ("Using the account ARN in the Principal element
 *   does not limit permissions to only the root user of the account"). A root ARN names its own partition only; a bare
 *   account id, which has none, names the account in any.
 * - a role ARN: the role and its assumed-role sessions.
 * - any other ARN (user, assumed-role session, federated user): exactly that principal, case-sensitively. A session
 *   ARN names one session, never the role's other sessions ("Principals must always name a specific session").
 */
function awsIdentifierMatches(identifier: string, arn: string): boolean {
  if (identifier === "*" || identifier === arn) return true;
  const asking = partitionAndAccount(arn);
  if (ACCOUNT_ID.test(identifier)) return asking?.account === identifier || arn === identifier;
  const root = /^arn:([^:]+):iam::(\d{12}):root$/.exec(identifier);
  if (root !== null) {
    return (asking?.partition === root[1] && asking?.account === root[2]) || arn === root[2];
  }
  const role = /^arn:[^:]+:iam::\d{12}:role\//.test(identifier) ? roleOf(identifier) : undefined;
  return role !== undefined && role === roleOf(arn);
}

/**
 * Whether a statement's `Principal` (or `NotPrincipal`) block names the requesting principal. `"*"` names every
 * principal. `{"AWS": "*"}` names every AWS principal (account, user, role, session) but no service and no identity
 * provider: AWS documents the two forms as equivalent only "for anonymous users", and some services read them
 * differently. Type names (`AWS`, `Service`, `Federated`) are read case-insensitively; `"Service": "*"` and
 * `"Federated": "*"` name every principal of their type. Service principals compare case-insensitively (they are DNS
 * names), identity providers exactly.
 */
function principalNamed(block: TrustStatement["principal"], principal: TrustPrincipal): boolean {
  if (block === undefined) return false;
  if (block === "*") return true;
  const ids = (type: string): readonly string[] => principalIdentifiers(block, type);
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
  options: ConditionOptions,
): boolean {
  const named =
    s.principal !== undefined ? principalNamed(s.principal, principal) : !principalNamed(s.notPrincipal, principal);
  if (!named) return false;
  if (!statementCoversAction(s, action)) return false;
  // Conditions are ANDed. One keyless cannot evaluate fails closed: it never lets an Allow through, always a Deny.
  return s.conditions.every((c) => conditionHolds(c, context, options) ?? s.effect === "Deny");
}

/**
 * Decides, as IAM does for a role's trust policy, whether `request` may assume the role: an explicit Deny wins, else
 * any Allow admits, else the request is implicitly denied. Principals (`Principal`, `NotPrincipal`; `"*"`, `AWS`
 * accounts, roles, users and sessions, `Service`, `Federated`), actions (`Action`, `NotAction`, wildcards, case
 * insensitive) and conditions (see {@link conditionHolds}) are all evaluated. The one trust evaluation of keyless: the
 * components, the policy pack, the audit and the test harness's STS front all ask it.
 *
 * Decided where AWS documents nothing (each held to a reference evaluator in keyless's tests):
 * - `{"AWS": "*"}` names every AWS principal, but no service and no identity provider; only `"*"` names those.
 * - Service principals compare case-insensitively, identity providers and AWS ARNs exactly; a session ARN names that
 *   session only, a role ARN the role and its sessions, an account id or root ARN every principal of the account.
 * - A condition operator keyless does not evaluate (IP address, binary, `NullIfExists`, unknown names) never lets an
 *   Allow apply and never keeps a Deny from applying.
 * - `NotPrincipal` excludes exactly the principals its block names; AWS's warning that it may check the session's
 *   account and role first is not modelled.
 *
 * Not modelled: session policies, permissions boundaries and SCPs (they bound what the session can do, not whether it
 * is issued), the caller's own identity policy for `sts:AssumeRole` across accounts, and the checks STS makes before
 * the trust policy (token signature, issuer, audience list, expiry).
 *
 * @param policy - the trust policy: JSON text (URL-encoded as IAM's API returns it, or not) or a parsed
 *   {@link TrustPolicy}
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
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
  // Policy variables exist from version 2012-10-17 on; older (or unversioned) policies hold `${...}` as text.
  const options = { policyVariables: parsed.version === "2012-10-17" };
  const applying = parsed.statements.filter((s) => statementApplies(s, request.principal, action, context, options));
  const denies = applying.filter((s) => s.effect === "Deny");
  if (denies.length > 0) {
    return {
      allowed: false,
      decision: "ExplicitDeny",
      statements: denies.map((s) => s.index),
      reason: `${action} is explicitly denied by ${denies.map(statementLabel).join(", ")}.`,
    };
  }
  const allows = applying.filter((s) => s.effect === "Allow");
  if (allows.length > 0) {
    return {
      allowed: true,
      decision: "Allow",
      statements: allows.map((s) => s.index),
      reason: `${action} is allowed by ${allows.map(statementLabel).join(", ")}.`,
    };
  }
  return {
    allowed: false,
    decision: "ImplicitDeny",
    statements: [],
    reason: `No statement allows ${action} for this principal with this request's conditions.`,
  };
}

/**
 * Whether the trust policy names `principal` for `action` in an Allow statement, whatever that statement's conditions
 * say, and no Deny without conditions refuses it: the question a static check can answer before the request exists.
 * A service's request carries context only the service knows (`aws:SourceAccount`, `aws:SourceArn` of the instance,
 * task or function), so a confused-deputy condition decides nothing here; {@link evaluateTrust} decides with the
 * request in hand.
 *
 * @param policy - the trust policy: JSON text or a parsed {@link TrustPolicy}
 * @param action - the STS action @default - as {@link evaluateTrust} picks it for the principal
 * @example
 * ```ts
 * trustNames(roleTrustText, { service: "ec2.amazonaws.com" }); // is the role usable in an instance profile?
 * ```
 */
export function trustNames(policy: string | object | TrustPolicy, principal: TrustPrincipal, action?: string): boolean {
  const parsed = isTrustPolicy(policy) ? policy : parseTrustPolicy(policy);
  const wanted = action ?? defaultAction(principal);
  const names = (s: TrustStatement): boolean =>
    statementApplies({ ...s, conditions: [] }, principal, wanted, requestContext({}), { policyVariables: false });
  const statements = parsed.statements.filter(names);
  return (
    statements.some((s) => s.effect === "Allow") &&
    !statements.some((s) => s.effect === "Deny" && s.conditions.length === 0)
  );
}

function isTrustPolicy(policy: unknown): policy is TrustPolicy {
  return (
    typeof policy === "object" &&
    policy !== null &&
    Array.isArray((policy as TrustPolicy).statements) &&
    Array.isArray((policy as TrustPolicy).duplicates)
  );
}
