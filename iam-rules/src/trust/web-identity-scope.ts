// Whether a role's trust lets a web identity it does not name assume it: an OIDC provider (GitHub Actions, GitLab,
// Pulumi Cloud, EKS IRSA, any other) trusted without a pin on who the token is for, or with a pin that a wildcard, a
// negated or absent-tolerant operator, a later list value or a duplicated JSON member leaves open; and EKS Pod Identity
// trusted without fixed session tags. Datadog Security Labs found such roles across the public cloud ("No keys
// attached", 2023); AWS now refuses some of them itself, and this says which.
import { isEvaluatedOperator, isNegatedOperator } from "./conditions";
import { evaluateTrust } from "./evaluate";
import { foreignTokenClaims, type PinnedValue } from "./foreign-tokens";
import {
  claimKey,
  isOidcProviderArn,
  issuerHostPath,
  type OidcIssuerKind,
  oidcIssuerKind,
  pinningClaims,
  subjectScope,
} from "./oidc-issuers";
import { principalIdentifiers, statementCoversAction, statementLabel } from "./statement";
import { exampleShape, formatSubject, subjectShape } from "./subject-format";
import { parseTrustPolicy } from "./trust-policy";
import type { TrustCondition, TrustPolicy, TrustStatement } from "./types";
import { webIdentityRequest } from "./web-identity-request";

/**
 * The stable codes of {@link webIdentityTrustFindings}. Tests and tooling match on them, never on the prose.
 */
export const WebIdentityFindingCode = {
  /** No condition fixes the token's audience (`<issuer>:aud`). */
  NoAudienceCondition: "NoAudienceCondition",
  /** No condition pins who the token is for: `<issuer>:sub` (or GitHub's `job_workflow_ref`). */
  NoSubjectCondition: "NoSubjectCondition",
  /** The first (or only) value of a pin leaves the owner, repository, project, namespace, ... open with a wildcard. */
  UnscopedValue: "UnscopedValue",
  /** A later value of a pin's list is unscoped; AWS's own check reads only the first value. */
  UnscopedValueInList: "UnscopedValueInList",
  /** The only condition on a claim is `ForAllValues:` or `…IfExists`, which holds when the token has no such claim. */
  AbsentClaimPasses: "AbsentClaimPasses",
  /** The only condition on a claim is negated (`StringNotEquals`, `StringNotLike`): every other value passes. */
  NegatedConditionOnly: "NegatedConditionOnly",
  /** A member is written twice in one JSON object of the statement: IAM keeps the last, silently dropping the first. */
  DuplicateMember: "DuplicateMember",
  /** EKS Pod Identity is trusted without a fixed namespace, service account or cluster session tag. */
  PodIdentityTagUnbounded: "PodIdentityTagUnbounded",
  /** IAM's evaluation admits a token made up for a repository, project or namespace that no pin names. */
  ForeignTokenAdmitted: "ForeignTokenAdmitted",
} as const;

/** One of the {@link WebIdentityFindingCode} values. */
export type WebIdentityFindingCode = (typeof WebIdentityFindingCode)[keyof typeof WebIdentityFindingCode];

/** One way a trust policy lets a web identity it does not name assume the role. */
export interface WebIdentityTrustFinding {
  /** What is wrong, see {@link WebIdentityFindingCode}. */
  readonly code: WebIdentityFindingCode;
  /** The statement, by its index in document order and its `Sid` when it has one. */
  readonly statement: { readonly index: number; readonly sid?: string };
  /**
   * The issuer the statement trusts, as IAM names it in condition keys (host and path:
   * `token.actions.githubusercontent.com`); `pods.eks.amazonaws.com` for EKS Pod Identity; `*` for a statement that
   * trusts every principal and names no issuer in its conditions.
   */
  readonly issuer: string;
  /** The issuer's kind, see {@link oidcIssuerKind}; `eks-pod-identity` for Pod Identity. */
  readonly issuerKind: OidcIssuerKind | "eks-pod-identity";
  /** The condition key (or, for {@link WebIdentityFindingCode.DuplicateMember}, the member) concerned, as written. */
  readonly key?: string;
  /** The condition operator as written (`StringLike`, `ForAllValues:StringEquals`), when one is concerned. */
  readonly operator?: string;
  /** The offending value, when there is one (for a made-up token, its `sub`). */
  readonly value?: string;
  /** The value's index in its condition's list. */
  readonly valueIndex?: number;
  /**
   * Whether AWS itself refuses this trust policy at `CreateRole` and `UpdateAssumeRolePolicy`: since 2025 IAM refuses a
   * trust in GitHub's issuer unless a `StringEquals`, `StringLike` or `StringEqualsIgnoreCase` condition on `sub` or
   * `job_workflow_ref` has a first value that is not `*` (it reads only the first value, and accepts `repo:*`).
   */
  readonly awsRefuses: boolean;
  /** One line naming the statement, the issuer, the offending value and the fix. Trust policies hold no secrets. */
  readonly message: string;
}

const WEB_IDENTITY_ACTION = "sts:AssumeRoleWithWebIdentity";
const GITHUB_ISSUER = "token.actions.githubusercontent.com";
const POD_IDENTITY = "pods.eks.amazonaws.com";
/** The operators AWS's own GitHub check accepts as a pin (read from its MalformedPolicyDocument message). */
const AWS_PIN_OPERATORS = ["stringequals", "stringlike", "stringequalsignorecase"];
const REFUSED_BY_AWS =
  " AWS itself also refuses this trust policy (CreateRole and UpdateAssumeRolePolicy fail with MalformedPolicyDocument).";

const lower = (s: string): string => s.toLowerCase();

/** Wildcards are wildcards only under the `…Like` operators and the ARN operators (ArnEquals matches as ArnLike). */
const wildcardsMatch = (c: TrustCondition): boolean => /like$/i.test(c.base) || /^arn/i.test(c.base);

/** A condition that requires the claim and compares it with its values: not negated, not Null, no absent pass. */
const pins = (c: TrustCondition): boolean =>
  c.set !== "ForAllValues" &&
  !c.ifExists &&
  !isNegatedOperator(c) &&
  lower(c.base) !== "null" &&
  isEvaluatedOperator(c);

const passesAbsent = (c: TrustCondition): boolean => c.set === "ForAllValues" || c.ifExists;

/** The issuer a web-identity statement trusts, and the provider ARN when the principal names one. */
interface TrustedIssuer {
  readonly issuer: string;
  readonly providerArn?: string;
}

/** Issuers named by a statement's condition keys (`<host/path>:<claim>`), for a statement that trusts everyone. */
function issuersInKeys(s: TrustStatement): string[] {
  const found = new Map<string, string>();
  for (const c of s.conditions) {
    const at = c.key.lastIndexOf(":");
    const prefix = at > 0 ? c.key.slice(0, at) : "";
    if (prefix.includes(".") && !found.has(lower(prefix))) found.set(lower(prefix), prefix);
  }
  return [...found.values()];
}

/** The web identities an Allow statement trusts: its OIDC providers, or for `"*"` the issuers its keys name. */
function trustedIssuers(s: TrustStatement): TrustedIssuer[] {
  if (s.effect !== "Allow" || s.principal === undefined || !statementCoversAction(s, WEB_IDENTITY_ACTION)) return [];
  const federated = principalIdentifiers(s.principal, "Federated");
  const out: TrustedIssuer[] = federated
    .filter(isOidcProviderArn)
    .map((arn) => ({ issuer: issuerHostPath(arn), providerArn: arn }));
  const everyone =
    s.principal === "*" || principalIdentifiers(s.principal, "AWS").includes("*") || federated.includes("*");
  if (everyone) {
    const named = issuersInKeys(s).filter((i) => !out.some((o) => lower(o.issuer) === lower(i)));
    out.push(...(named.length > 0 || out.length > 0 ? named : ["*"]).map((issuer) => ({ issuer })));
  }
  return out;
}

/** Whether AWS's own check refuses the statement: GitHub's provider without a usable `sub`/`job_workflow_ref` pin. */
function awsRefusesStatement(s: TrustStatement, trusted: TrustedIssuer): boolean {
  if (trusted.providerArn === undefined || lower(trusted.issuer) !== GITHUB_ISSUER) return false;
  const keys = pinningClaims("github").map((claim) => lower(claimKey(trusted.issuer, claim)));
  return !s.conditions.some(
    (c) =>
      keys.includes(lower(c.key)) &&
      AWS_PIN_OPERATORS.includes(lower(c.base)) &&
      c.values[0] !== undefined &&
      !/^\*+$/.test(c.values[0]),
  );
}

/** How a value scopes its claim: whether it does, and why not. */
interface ValueScope {
  readonly scoped: boolean;
  /** Why not, for the message: `the owner and repository are open`, ... */
  readonly why?: string;
  /** A value of the issuer's form that keeps what this one fixes and names the rest. */
  readonly fix?: string;
}

const joinAnd = (names: readonly string[]): string =>
  names.length <= 1 ? (names[0] ?? "") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;

function valueScope(kind: OidcIssuerKind, claim: string, c: TrustCondition, value: string): ValueScope {
  if (!wildcardsMatch(c) || !/[*?]/.test(value)) return { scoped: true };
  const example = exampleShape(kind, claim);
  if (claim === "aud") {
    return /[^*?]/.test(value) ? { scoped: true } : { scoped: false, why: "it matches every audience" };
  }
  if (/^[*?]*$/.test(value)) {
    return { scoped: false, why: `it matches every ${claim} of the issuer`, fix: formatSubject(example) };
  }
  const scope = subjectScope(kind, claim, value);
  if (!scope.wellFormed) {
    const names = subjectScope(kind, claim, formatSubject(example))
      .parts.map((p) => p.name)
      .join("/");
    return {
      scoped: false,
      why: `it is not of the form \`${formatSubject(example)}\` and its wildcard can match more than one ${names}`,
      fix: formatSubject(example),
    };
  }
  if (scope.scoped) return { scoped: true };
  const open = scope.parts.filter((p) => !p.fixed);
  const shape = subjectShape(kind, claim, value);
  const fix =
    shape === undefined
      ? formatSubject(example)
      : formatSubject(
          shape,
          scope.parts.map((p) => (p.fixed ? p.value : `<${p.name}>`)),
        );
  const names = joinAnd(open.map((p) => p.name));
  return { scoped: false, why: `the ${names} ${open.length > 1 ? "are" : "is"} open`, fix };
}

/** Where findings of one statement and issuer are collected. */
interface Context {
  readonly s: TrustStatement;
  readonly issuer: string;
  readonly kind: OidcIssuerKind;
  readonly awsRefuses: boolean;
  readonly out: WebIdentityTrustFinding[];
}

function add(
  ctx: Context,
  code: WebIdentityFindingCode,
  message: string,
  detail: Partial<Pick<WebIdentityTrustFinding, "key" | "operator" | "value" | "valueIndex" | "awsRefuses">> = {},
): void {
  const awsRefuses = detail.awsRefuses ?? false;
  ctx.out.push({
    code,
    statement: ctx.s.sid !== undefined ? { index: ctx.s.index, sid: ctx.s.sid } : { index: ctx.s.index },
    issuer: ctx.issuer,
    issuerKind: ctx.kind,
    ...detail,
    awsRefuses,
    message: `${statementLabel(ctx.s)} ${message}${awsRefuses ? REFUSED_BY_AWS : ""}`,
  });
}

/** Who could present a token of the issuer, for the messages. */
const ANYONE: Readonly<Record<OidcIssuerKind, string>> = {
  github: "any workflow of any repository on GitHub",
  gitlab: "any pipeline of any project on that GitLab",
  pulumi: "any Pulumi Cloud organization's deployments and environments",
  eks: "any service account of the cluster",
  generic: "any workload the issuer gives a token",
};

function audienceExample(kind: OidcIssuerKind): string {
  if (kind === "github" || kind === "eks") return "sts.amazonaws.com";
  return "<the aud of the workload's tokens>";
}

/**
 * The rules on the conditions of one claim group: the audience (`aud`) or the pin (`sub`, GitHub's
 * `job_workflow_ref`). One condition that requires the claim and whose values are all scoped scopes the group
 * (conditions are ANDed); otherwise each unscoped value is a finding.
 */
function checkClaims(ctx: Context, claims: readonly string[]): void {
  const audience = claims[0] === "aud";
  const keys = claims.map((c) => claimKey(ctx.issuer, c));
  const conditions = ctx.s.conditions.filter((c) => keys.some((k) => lower(k) === lower(c.key)));
  const claimOf = (c: TrustCondition): string => claims[keys.findIndex((k) => lower(k) === lower(c.key))] ?? "sub";
  const refuses = audience ? false : ctx.awsRefuses;
  const keysText = keys.map((k) => `\`${k}\``).join(" or ");
  const fix = audience
    ? `add \`"StringEquals": {"${keys[0]}": "${audienceExample(ctx.kind)}"}\``
    : `add \`"StringLike": {"${keys[0]}": "${formatSubject(exampleShape(ctx.kind, claims[0] ?? "sub"))}"}\``;
  const effective = conditions.filter(pins);
  if (effective.length === 0) {
    const absent = conditions.filter(passesAbsent);
    const negated = conditions.filter((c) => isNegatedOperator(c) && !passesAbsent(c));
    for (const c of absent) {
      add(
        ctx,
        WebIdentityFindingCode.AbsentClaimPasses,
        `trusts ${ctx.issuer} and conditions \`${c.key}\` only with \`${c.operator}\`, which holds for a token ` +
          `without that claim (${c.set === "ForAllValues" ? "ForAllValues: is true for an absent or empty key" : "…IfExists passes when the key is absent"}): ` +
          `write \`${c.base}\` without ${c.set === "ForAllValues" ? "`ForAllValues:`" : "`IfExists`"}.`,
        { key: c.key, operator: c.operator, value: c.values[0], valueIndex: 0, awsRefuses: refuses },
      );
    }
    for (const c of negated) {
      add(
        ctx,
        WebIdentityFindingCode.NegatedConditionOnly,
        `trusts ${ctx.issuer} and conditions \`${c.key}\` only with \`"${c.operator}": ${JSON.stringify(c.values.length === 1 ? c.values[0] : c.values)}\`: a ` +
          `negated operator admits every other value, and a token without the claim. Pin it instead: ${fix}.`,
        { key: c.key, operator: c.operator, value: c.values[0], valueIndex: 0, awsRefuses: refuses },
      );
    }
    if (absent.length === 0 && negated.length === 0) {
      const only =
        conditions.length > 0 ? ` (only \`${[...new Set(conditions.map((c) => c.operator))].join("`, `")}\`)` : "";
      add(
        ctx,
        audience ? WebIdentityFindingCode.NoAudienceCondition : WebIdentityFindingCode.NoSubjectCondition,
        audience
          ? `trusts ${ctx.issuer} without a condition that fixes ${keysText}${only}: ${fix}.`
          : `trusts ${ctx.issuer} without a condition that pins ${keysText}${only}, so ${ANYONE[ctx.kind]} can ` +
              `assume the role: ${fix}.`,
        { awsRefuses: refuses, ...(conditions[0] !== undefined ? { key: conditions[0].key } : {}) },
      );
    }
    return;
  }
  const scopes = effective.map((c) => c.values.map((v) => valueScope(ctx.kind, claimOf(c), c, v)));
  if (scopes.some((values) => values.every((v) => v.scoped))) return;
  effective.forEach((c, ci) => {
    c.values.forEach((value, i) => {
      const scope = scopes[ci]?.[i];
      if (scope === undefined || scope.scoped) return;
      const valueFix = audience
        ? `name the audience: ${fix}`
        : `name it: \`${scope.fix ?? formatSubject(exampleShape(ctx.kind, claimOf(c)))}\``;
      const detail = { key: c.key, operator: c.operator, value, valueIndex: i, awsRefuses: refuses };
      if (i === 0) {
        add(
          ctx,
          WebIdentityFindingCode.UnscopedValue,
          `trusts ${ctx.issuer} with \`"${c.operator}": {"${c.key}": "${value}"}\`, which does not name one ` +
            `workload: ${scope.why}. ${valueFix[0]?.toUpperCase()}${valueFix.slice(1)}.`,
          detail,
        );
      } else {
        add(
          ctx,
          WebIdentityFindingCode.UnscopedValueInList,
          `trusts ${ctx.issuer} with a \`"${c.operator}": {"${c.key}": [...]}\` list whose value ${i}, \`${value}\`, does not name ` +
            `one workload: ${scope.why}. IAM admits a token that matches any value of the list (AWS's own check reads ` +
            `only the first); remove it or ${valueFix}.`,
          detail,
        );
      }
    });
  });
}

/**
 * The last line: tokens made up for the issuer from workloads no pin names, evaluated as IAM would. One admitted is a
 * finding, whatever the rules on the text said.
 */
function probe(ctx: Context, policy: TrustPolicy, trusted: TrustedIssuer): void {
  if (trusted.issuer === "*") return;
  const providerArn = trusted.providerArn ?? `arn:aws:iam::111122223333:oidc-provider/${trusted.issuer}`;
  const keyClaim = new Map(pinningClaims(ctx.kind).map((c) => [lower(claimKey(trusted.issuer, c)), c]));
  const pinned: PinnedValue[] = ctx.s.conditions
    .filter((c) => keyClaim.has(lower(c.key)) && !isNegatedOperator(c))
    .flatMap((c) => c.values.map((value) => ({ claim: keyClaim.get(lower(c.key)) ?? "sub", value })));
  const audienceKey = lower(claimKey(trusted.issuer, "aud"));
  const audiences = ctx.s.conditions.filter((c) => lower(c.key) === audienceKey && pins(c)).flatMap((c) => c.values);
  const aud = (audiences[0] ?? audienceExample(ctx.kind)).replace(/[*?]/g, "x");
  // evaluateTrust reads `{"AWS": "*"}` as every AWS principal and no identity provider (README, "Trust evaluation");
  // AWS's docs call it the same as `"*"`. A check errs towards the finding, so here it stands for `"*"`.
  const openAws = (st: TrustStatement): boolean =>
    st.principal !== undefined && st.principal !== "*" && principalIdentifiers(st.principal, "AWS").includes("*");
  const probed: TrustPolicy = {
    ...policy,
    statements: policy.statements.map((st) => (openAws(st) ? { ...st, principal: "*" as const } : st)),
  };
  for (const claims of foreignTokenClaims(ctx.kind, pinned)) {
    const decision = evaluateTrust(probed, webIdentityRequest(providerArn, { ...claims, aud }));
    if (decision.allowed && decision.statements.includes(ctx.s.index)) {
      add(
        ctx,
        WebIdentityFindingCode.ForeignTokenAdmitted,
        `admits a token from ${trusted.issuer} for a workload no pin names (made up for this check: \`sub\` ` +
          `\`${claims["sub"]}\`): pin \`${claimKey(trusted.issuer, "sub")}\` to fixed names, ` +
          `for example \`${formatSubject(exampleShape(ctx.kind, "sub"))}\`, without policy variables.`,
        { key: claimKey(trusted.issuer, "sub"), value: claims["sub"], awsRefuses: ctx.awsRefuses },
      );
      return;
    }
  }
}

/** The Pod Identity session tags a trust must fix, and the keys that also bound them. */
const POD_IDENTITY_TAGS: readonly { readonly tag: string; readonly what: string; readonly also: readonly string[] }[] =
  [
    { tag: "kubernetes-namespace", what: "namespace", also: [] },
    { tag: "kubernetes-service-account", what: "service account", also: [] },
    { tag: "eks-cluster-arn", what: "cluster", also: ["aws:RequestTag/eks-cluster-name", "aws:SourceArn"] },
  ];

function checkPodIdentity(s: TrustStatement, out: WebIdentityTrustFinding[]): void {
  const ctx: Context = { s, issuer: POD_IDENTITY, kind: "generic", awsRefuses: false, out };
  for (const { tag, what, also } of POD_IDENTITY_TAGS) {
    const key = `aws:RequestTag/${tag}`;
    const keys = [key, ...also].map(lower);
    const conditions = s.conditions.filter((c) => keys.includes(lower(c.key)));
    const fixed = (c: TrustCondition): boolean =>
      pins(c) && c.values.length > 0 && c.values.every((v) => !(wildcardsMatch(c) && /[*?]/.test(v)));
    if (conditions.some(fixed)) continue;
    const loose = conditions.find(pins) ?? conditions[0];
    const offending =
      loose === undefined
        ? undefined
        : (loose.values.find((v) => wildcardsMatch(loose) && /[*?]/.test(v)) ?? undefined);
    const found = loose === undefined ? "" : ` (it has only \`${loose.operator}\` \`${loose.values.join(", ")}\`)`;
    out.push({
      code: WebIdentityFindingCode.PodIdentityTagUnbounded,
      statement: s.sid !== undefined ? { index: s.index, sid: s.sid } : { index: s.index },
      issuer: POD_IDENTITY,
      issuerKind: "eks-pod-identity",
      key,
      ...(loose !== undefined ? { operator: loose.operator } : {}),
      ...(offending !== undefined ? { value: offending, valueIndex: loose?.values.indexOf(offending) ?? 0 } : {}),
      awsRefuses: false,
      message:
        `${statementLabel(ctx.s)} trusts EKS Pod Identity (${POD_IDENTITY}) without a condition that fixes \`${key}\`${found}, ` +
        `so a pod identity association for any ${what} can hand out the role: add ` +
        `\`"StringEquals": {"${key}": "<${what}>"}\`.`,
    });
  }
}

/** Whether an Allow statement trusts EKS Pod Identity. */
const trustsPodIdentity = (s: TrustStatement): boolean =>
  s.effect === "Allow" &&
  principalIdentifiers(s.principal, "Service").some((id) => lower(id) === POD_IDENTITY) &&
  statementCoversAction(s, "sts:AssumeRole");

/**
 * Members the text writes twice inside a statement: under `Statement[i]`, or under `Statement` when the policy's one
 * statement is written as an object rather than a list.
 */
function checkDuplicates(s: TrustStatement, policy: TrustPolicy, ctx: Context): void {
  const roots = [`Statement[${s.index}]`, ...(policy.statements.length === 1 ? ["Statement"] : [])];
  const inside = (path: string): boolean => roots.some((r) => path === r || path.startsWith(`${r}.`));
  for (const d of policy.duplicates) {
    if (!inside(d.path)) continue;
    add(
      ctx,
      WebIdentityFindingCode.DuplicateMember,
      `writes \`${d.member}\` twice in \`${d.path}\`: IAM, like JSON.parse, keeps only the last one, so the first is ` +
        `silently dropped and what a reviewer reads is not what IAM evaluates. Merge them into one \`${d.member}\`.`,
      { key: d.member },
    );
  }
}

/**
 * Every way a role's trust policy lets a web identity it does not name assume the role. For each Allow statement
 * that trusts an IAM OIDC provider (`Federated: arn:…:oidc-provider/<issuer>`, or `"*"`/`{"AWS": "*"}` with
 * `sts:AssumeRoleWithWebIdentity`, the issuers then read from the condition keys), issuer by issuer:
 *
 * - no condition fixing `<issuer>:aud` ({@link WebIdentityFindingCode.NoAudienceCondition}), or pinning
 *   `<issuer>:sub` (GitHub: or `job_workflow_ref`) ({@link WebIdentityFindingCode.NoSubjectCondition});
 * - a pin value that leaves the owner, repository, group, project, organisation, namespace or service account open
 *   (see {@link subjectScope}), is only wildcards, or has a wildcard and not the issuer's form: in the first value
 *   ({@link WebIdentityFindingCode.UnscopedValue}) or a later one ({@link WebIdentityFindingCode.UnscopedValueInList});
 *   wildcards count only under `…Like` and ARN operators (under `StringEquals` a `*` is a literal star);
 * - `ForAllValues:` or `…IfExists` as the only condition on a claim ({@link WebIdentityFindingCode.AbsentClaimPasses}),
 *   or only negated ones ({@link WebIdentityFindingCode.NegatedConditionOnly});
 * - a member written twice in the statement's JSON ({@link WebIdentityFindingCode.DuplicateMember});
 * - and when none of these fired, tokens made up for workloads no pin names, evaluated with {@link evaluateTrust}:
 *   one admitted is {@link WebIdentityFindingCode.ForeignTokenAdmitted}.
 *
 * An Allow statement trusting EKS Pod Identity (`Service: pods.eks.amazonaws.com`) must fix the session tags
 * `aws:RequestTag/kubernetes-namespace`, `aws:RequestTag/kubernetes-service-account` and
 * `aws:RequestTag/eks-cluster-arn` (or `eks-cluster-name`, or `aws:SourceArn`)
 * ({@link WebIdentityFindingCode.PodIdentityTagUnbounded}).
 *
 * One condition that requires a claim with only scoped values scopes it (IAM ANDs conditions). Deny statements are
 * not credited: a policy that opens a pin in an Allow and closes it with a Deny is still reported. Cognito identity
 * pools (`cognito-identity.amazonaws.com`) and SAML providers are not web identities in this sense and are not read.
 *
 * @param policy - the trust policy's JSON text as IAM holds it (read the text, not a parsed object, so that members
 *   written twice are seen); an object is read as its JSON
 * @returns the findings in statement order; none for a policy that trusts no web identity or trusts it scoped
 * @throws {@link TrustPolicyError} when the text is not a trust policy
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html#idp_oidc_Create_GitHub
 * @see https://securitylabs.datadoghq.com/articles/exploring-github-to-aws-keyless-authentication-flaws/
 * @example
 * ```ts
 * webIdentityTrustFindings(JSON.stringify({
 *   Version: "2012-10-17",
 *   Statement: [{
 *     Effect: "Allow",
 *     Principal: { Federated: "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com" },
 *     Action: "sts:AssumeRoleWithWebIdentity",
 *     Condition: {
 *       StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
 *       StringLike: { "token.actions.githubusercontent.com:sub": "repo:*" },
 *     },
 *   }],
 * }))[0]?.code; // "UnscopedValue": the owner and repository are open (AWS accepts it: awsRefuses false)
 * ```
 */
export function webIdentityTrustFindings(policy: string | object): WebIdentityTrustFinding[] {
  const parsed = parseTrustPolicy(policy);
  const out: WebIdentityTrustFinding[] = [];
  for (const s of parsed.statements) {
    const trusted = trustedIssuers(s);
    const pod = trustsPodIdentity(s);
    if (trusted.length === 0 && !pod) continue;
    const first = trusted[0];
    checkDuplicates(s, parsed, {
      s,
      issuer: pod ? POD_IDENTITY : (first?.issuer ?? "*"),
      kind: pod || first === undefined ? "generic" : issuerKind(s, first.issuer),
      awsRefuses: false,
      out,
    });
    if (pod) checkPodIdentity(s, out);
    for (const t of trusted) {
      const kind = issuerKind(s, t.issuer);
      const ctx: Context = { s, issuer: t.issuer, kind, awsRefuses: awsRefusesStatement(s, t), out };
      const before = out.length;
      if (t.issuer === "*") {
        add(
          ctx,
          WebIdentityFindingCode.NoSubjectCondition,
          "trusts every principal with sts:AssumeRoleWithWebIdentity and no condition names an issuer, so any web " +
            'identity of any OIDC provider of the account can assume the role: trust the provider (`"Federated": ' +
            '"arn:aws:iam::<account>:oidc-provider/<issuer>"`) and pin its `aud` and `sub`.',
        );
        continue;
      }
      checkClaims(ctx, ["aud"]);
      checkClaims(ctx, pinningClaims(kind));
      if (out.length === before && !out.some((f) => f.statement.index === s.index)) probe(ctx, parsed, t);
    }
  }
  return out;
}

function issuerKind(s: TrustStatement, issuer: string): OidcIssuerKind {
  const subKey = lower(claimKey(issuer, "sub"));
  return oidcIssuerKind(
    issuer,
    s.conditions.filter((c) => lower(c.key) === subKey).flatMap((c) => c.values),
  );
}
