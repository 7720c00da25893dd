// A reference trust evaluator for tests: IAM's documented evaluation logic for a role trust policy, written the slow,
// obvious way and independently of @keyless/iam-rules (regular expressions for wildcards, one truth table per operator
// family, no shared code), so that property tests can hold the real evaluator to it.
//
// Sources (IAM User Guide): "Policy evaluation logic", "IAM JSON policy elements: Condition operators", "Conditions
// with multiple context keys or values", "Single-valued vs. multivalued context keys", "AWS JSON policy elements:
// Principal" and "NotPrincipal", "IAM policy elements: Variables and tags". Where those are silent, the reference makes
// the decisions listed in iam-rules/README.md ("Trust evaluation"), each marked DECISION below.

/** A request as the tests build it; mirrors iam-rules' `AssumeRoleRequest` without importing it. */
export interface ReferenceRequest {
  readonly principal: { readonly service: string } | { readonly aws: string } | { readonly federated: string };
  readonly action?: string;
  readonly context?: Readonly<Record<string, string | boolean | readonly string[]>>;
}

export interface ReferenceDecision {
  readonly decision: "Allow" | "ExplicitDeny" | "ImplicitDeny";
  /** Statements (document order) that applied with the decisive effect. */
  readonly statements: readonly number[];
}

// ---------------------------------------------------------------------------------------------------------------
// Wildcards: a policy value is a list of characters, each either written by the policy (where `*` and `?` are
// wildcards) or put there by a policy variable (always literal). Matching builds a regular expression.

interface Char {
  readonly c: string;
  readonly literal: boolean;
}

const escapeRegExp = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");

function wildcardRegExp(chars: readonly Char[], flags: string): RegExp {
  let body = "";
  for (const { c, literal } of chars) {
    if (!literal && c === "*") body += "[^]*";
    else if (!literal && c === "?") body += "[^]";
    else body += escapeRegExp(c);
  }
  return new RegExp(`^${body}$`, flags);
}

const plain = (s: string): Char[] => [...s].map((c) => ({ c, literal: false }));
const text = (chars: readonly Char[]): string => chars.map((x) => x.c).join("");

// ---------------------------------------------------------------------------------------------------------------
// Policy variables ("Variables and tags": `${key}`, `${key, 'default'}`, and `${*}`, `${?}`, `${$}` for the literal
// characters). Only with "Version": "2012-10-17"; otherwise the text is literal.

/** The values of a context key, case-insensitively by name; `undefined` when the request does not have it. */
function lookup(context: ReferenceRequest["context"], key: string): readonly string[] | undefined {
  for (const [name, value] of Object.entries(context ?? {})) {
    if (name.toLowerCase() !== key.toLowerCase()) continue;
    if (typeof value === "boolean") return [value ? "true" : "false"];
    if (typeof value === "string") return [value];
    return value.length === 0 ? undefined : [...value];
  }
  return undefined;
}

/** The policy value with its variables replaced; `undefined` when a variable cannot be resolved. */
function resolveVariables(value: string, context: ReferenceRequest["context"]): Char[] | undefined {
  const out: Char[] = [];
  let rest = value;
  while (rest.length > 0) {
    const start = rest.indexOf("${");
    const end = start < 0 ? -1 : rest.indexOf("}", start);
    if (start < 0 || end < 0) {
      out.push(...plain(rest));
      break;
    }
    out.push(...plain(rest.slice(0, start)));
    const inner = rest.slice(start + 2, end);
    rest = rest.slice(end + 1);
    if (inner === "*" || inner === "?" || inner === "$") {
      out.push({ c: inner, literal: true });
      continue;
    }
    // `key` or `key, 'default'`; DECISION: a multivalued key is no variable (the docs say it cannot be one), so it
    // resolves like an absent one.
    const parts = /^\s*([^\s,]+)\s*(?:,\s*'([^']*)'\s*)?$/.exec(inner);
    if (parts === null) return undefined;
    const values = lookup(context, parts[1] as string);
    const resolved = values?.length === 1 ? values[0] : parts[2];
    if (resolved === undefined) return undefined;
    out.push(...[...resolved].map((c) => ({ c, literal: true })));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Operators: one row per base operator. `test(request, policy)` is the positive comparison of one request value with
// one policy value; `negated` marks the "Not" operators, whose several values are NORed.

interface Family {
  readonly negated: boolean;
  readonly variables: boolean;
  readonly test: (request: string, policy: readonly Char[]) => boolean;
}

const exact = (r: string, p: readonly Char[]) => r === text(p);
const ignoringCase = (r: string, p: readonly Char[]) =>
  new RegExp(`^${[...text(p)].map(escapeRegExp).join("")}$`, "i").test(r);
const like = (r: string, p: readonly Char[]) => wildcardRegExp(p, "").test(r);

/** "Each of the six colon-delimited components of the ARN is checked separately", case-sensitively, with wildcards. */
function arn(r: string, p: readonly Char[]): boolean {
  const requestFields = r.split(":");
  const policyFields: Char[][] = [[]];
  for (const ch of p) {
    if (ch.c === ":") policyFields.push([]);
    else policyFields[policyFields.length - 1]?.push(ch);
  }
  // DECISION: a value that is not six fields (for example `*`) matches no ARN.
  if (requestFields.length < 6 || policyFields.length < 6) return false;
  const requestSix = [...requestFields.slice(0, 5), requestFields.slice(5).join(":")];
  const policySix = [
    ...policyFields.slice(0, 5),
    policyFields.slice(5).flatMap((f, i) => (i === 0 ? f : [{ c: ":", literal: false }, ...f])),
  ];
  return policySix.every((field, i) => wildcardRegExp(field, "").test(requestSix[i] as string));
}

const FAMILIES: Readonly<Record<string, Family>> = {
  StringEquals: { negated: false, variables: true, test: exact },
  StringNotEquals: { negated: true, variables: true, test: exact },
  StringEqualsIgnoreCase: { negated: false, variables: true, test: ignoringCase },
  StringNotEqualsIgnoreCase: { negated: true, variables: true, test: ignoringCase },
  StringLike: { negated: false, variables: true, test: like },
  StringNotLike: { negated: true, variables: true, test: like },
  // DECISION: Bool compares its "true"/"false" without regard to case.
  Bool: { negated: false, variables: true, test: ignoringCase },
  ArnEquals: { negated: false, variables: true, test: arn },
  ArnLike: { negated: false, variables: true, test: arn },
  ArnNotEquals: { negated: true, variables: true, test: arn },
  ArnNotLike: { negated: true, variables: true, test: arn },
};

interface Operator {
  readonly family?: Family;
  readonly isNull: boolean;
  readonly set?: "any" | "all";
  readonly ifExists: boolean;
}

/** Reads an operator name. DECISION: names are read case-insensitively; `NullIfExists` is no operator. */
function readOperator(name: string): Operator {
  const m = /^(?:(ForAnyValue|ForAllValues):)?(.*?)(IfExists)?$/i.exec(name) as RegExpExecArray;
  const set = m[1] === undefined ? undefined : m[1].toLowerCase() === "foranyvalue" ? "any" : "all";
  const base = m[2] as string;
  const ifExists = m[3] !== undefined;
  const isNull = base.toLowerCase() === "null" && !ifExists;
  const family = Object.entries(FAMILIES).find(([n]) => n.toLowerCase() === base.toLowerCase())?.[1];
  return { ...(family === undefined ? {} : { family }), isNull, ...(set === undefined ? {} : { set }), ifExists };
}

/**
 * One condition (operator, key, policy values) against the request: `true`, `false`, or `"unknown"` for an operator
 * the reference does not evaluate.
 */
export function referenceCondition(
  operatorName: string,
  key: string,
  policyValues: readonly string[],
  request: Pick<ReferenceRequest, "context">,
  variables = true,
): boolean | "unknown" {
  const op = readOperator(operatorName);
  const values = lookup(request.context, key);

  // Null: `true` means the key is absent, `false` that it is present. DECISION: other values match nothing.
  if (op.isNull) {
    return policyValues.some((v) => {
      const wanted = v.toLowerCase();
      return (wanted === "true" && values === undefined) || (wanted === "false" && values !== undefined);
    });
  }
  const family = op.family;
  if (family === undefined) return "unknown";

  // DECISION (docs: "an empty data set (for example, an empty string)"): under a set operator, a key whose values
  // are all empty strings counts as having no values.
  const empty = values === undefined || (op.set !== undefined && values.every((v) => v === ""));

  // Missing key. Table (docs: "Condition operators", "Single-valued vs. multivalued context keys"):
  //   ...IfExists            -> true
  //   ForAllValues:          -> true   (the trap)
  //   ForAnyValue:           -> false
  //   plain, positive        -> false
  //   plain, negated         -> true
  if (empty) {
    if (op.ifExists) return true;
    if (op.set === "all") return true;
    if (op.set === "any") return false;
    return family.negated;
  }

  // DECISION: an unresolvable variable makes the condition false ("causes the statement to be invalid").
  const resolved: Char[][] = [];
  for (const v of policyValues) {
    const r = variables && family.variables ? resolveVariables(v, request.context) : plain(v);
    if (r === undefined) return false;
    resolved.push(r);
  }
  // Several policy values: OR for a positive operator, NOR for a negated one.
  const hit = (requestValue: string): boolean => resolved.some((p) => family.test(requestValue, p));
  const present = values as readonly string[];
  // Key present. Table:
  //   set          positive                  negated
  //   ForAnyValue  some value hits           some value hits nothing
  //   ForAllValues every value hits          every value hits nothing
  //   plain        some value hits (DECISION for a multivalued key: as ForAnyValue)   no value hits
  if (op.set === "any") return present.some((r) => (family.negated ? !hit(r) : hit(r)));
  if (op.set === "all") return present.every((r) => (family.negated ? !hit(r) : hit(r)));
  return family.negated ? !present.some(hit) : present.some(hit);
}

// ---------------------------------------------------------------------------------------------------------------
// Principals ("Principal", "NotPrincipal").

interface AwsIdentity {
  readonly partition?: string;
  readonly account: string;
  readonly kind: "root" | "role" | "session" | "other";
  /** Role name for a role or a session. */
  readonly role?: string;
}

function awsIdentity(arnText: string): AwsIdentity | undefined {
  if (/^\d{12}$/.test(arnText)) return { account: arnText, kind: "root" };
  const m = /^arn:([^:]+):(iam|sts)::(\d{12}):(.*)$/.exec(arnText);
  if (m === null) return undefined;
  const [, partition, service, account, resource] = m as unknown as [string, string, string, string, string];
  if (service === "iam" && resource === "root") return { partition, account, kind: "root" };
  const role = /^role\/(?:.*\/)?([^/]+)$/.exec(resource);
  if (service === "iam" && role !== null) return { partition, account, kind: "role", role: role[1] as string };
  const session = /^assumed-role\/([^/]+)\/[^/]+$/.exec(resource);
  if (service === "sts" && session !== null) return { partition, account, kind: "session", role: session[1] as string };
  return { partition, account, kind: "other" };
}

/** Whether one `AWS` identifier names the requesting AWS principal. */
function namesAws(identifier: string, requestArn: string): boolean {
  if (identifier === "*") return true;
  if (identifier === requestArn) return true;
  const named = awsIdentity(identifier);
  const asking = awsIdentity(requestArn);
  if (named === undefined || asking === undefined || named.account !== asking.account) return false;
  // DECISION: an ARN names principals of its own partition only; a bare account id has none and names any.
  if (named.partition !== undefined && asking.partition !== undefined && named.partition !== asking.partition) {
    return false;
  }
  // "The account ARN and the shortened account ID behave the same way. Both delegate permissions to the account."
  if (named.kind === "root") return true;
  // A role names its sessions (role chaining) and itself, whatever the path. A session names only that session,
  // which the exact comparison above decided ("Principals must always name a specific session").
  if (named.kind === "role") return (asking.kind === "role" || asking.kind === "session") && asking.role === named.role;
  return false;
}

type PrincipalBlock = "*" | Readonly<Record<string, string | readonly string[]>>;

function names(block: PrincipalBlock, principal: ReferenceRequest["principal"]): boolean {
  if (block === "*") return true;
  // DECISION: principal type names are read case-insensitively.
  const ids = (type: string): string[] =>
    Object.entries(block)
      .filter(([t]) => t.toLowerCase() === type.toLowerCase())
      .flatMap(([, v]) => (typeof v === "string" ? [v] : [...v]));
  if ("aws" in principal) return ids("AWS").some((id) => namesAws(id, principal.aws));
  // DECISION: `{"AWS": "*"}` is every AWS principal but no service and no identity provider; `"Service": "*"` and
  // `"Federated": "*"` name every principal of their type; service names compare case-insensitively, providers exactly.
  if ("service" in principal) {
    return ids("Service").some((id) => id === "*" || id.toLowerCase() === principal.service.toLowerCase());
  }
  return ids("Federated").some((id) => id === "*" || id === principal.federated);
}

// ---------------------------------------------------------------------------------------------------------------
// Statements and the decision ("Policy evaluation logic": an explicit Deny wins, then an Allow, else implicit deny).

const listOf = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

function actionListed(patterns: readonly string[], action: string): boolean {
  // Action names compare case-insensitively, with wildcards.
  return patterns.some((p) => wildcardRegExp(plain(p), "i").test(action));
}

function defaultAction(principal: ReferenceRequest["principal"]): string {
  if (!("federated" in principal)) return "sts:AssumeRole";
  return principal.federated.includes(":saml-provider/") ? "sts:AssumeRoleWithSAML" : "sts:AssumeRoleWithWebIdentity";
}

/** Evaluates a trust policy (a parsed JSON object or its text) as IAM documents it. */
export function referenceEvaluate(policy: unknown, request: ReferenceRequest): ReferenceDecision {
  const doc = (typeof policy === "string" ? JSON.parse(policy) : policy) as Record<string, unknown>;
  const statements = Array.isArray(doc["Statement"]) ? doc["Statement"] : [doc["Statement"]];
  const variables = doc["Version"] === "2012-10-17";
  const action = request.action ?? defaultAction(request.principal);
  const applies = (s: Record<string, unknown>): boolean => {
    const who =
      s["Principal"] !== undefined
        ? names(s["Principal"] as PrincipalBlock, request.principal)
        : !names(s["NotPrincipal"] as PrincipalBlock, request.principal);
    const what =
      s["Action"] !== undefined
        ? actionListed(listOf(s["Action"]), action)
        : !actionListed(listOf(s["NotAction"]), action);
    if (!who || !what) return false;
    const block = (s["Condition"] ?? {}) as Record<string, Record<string, unknown>>;
    for (const [operator, keys] of Object.entries(block)) {
      for (const [key, raw] of Object.entries(keys)) {
        const values = (Array.isArray(raw) ? raw : [raw]).map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
        const result = referenceCondition(operator, key, values, request, variables);
        // DECISION: an operator that is not evaluated never lets an Allow apply and never keeps a Deny from applying.
        if (result === "unknown" ? s["Effect"] !== "Deny" : !result) return false;
      }
    }
    return true;
  };
  const matched = statements.map((s, i) => ({ i, effect: (s as Record<string, unknown>)["Effect"], on: applies(s) }));
  const denies = matched.filter((m) => m.on && m.effect === "Deny").map((m) => m.i);
  if (denies.length > 0) return { decision: "ExplicitDeny", statements: denies };
  const allows = matched.filter((m) => m.on && m.effect === "Allow").map((m) => m.i);
  if (allows.length > 0) return { decision: "Allow", statements: allows };
  return { decision: "ImplicitDeny", statements: [] };
}
