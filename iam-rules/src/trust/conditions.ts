// One condition of a statement against the request context, by IAM's documented rules:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
import { wildcardMatches } from "../wildcard";
import type { ContextValue, TrustCondition } from "./types";

/** The request context with keys lower-cased (IAM compares key names case-insensitively) and values as lists. */
export type RequestContext = ReadonlyMap<string, readonly string[]>;

/** Normalises a request context: lower-case keys, booleans as `"true"`/`"false"`, single values as one-item lists. */
export function requestContext(context: Readonly<Record<string, ContextValue>> = {}): RequestContext {
  const out = new Map<string, string[]>();
  for (const [key, value] of Object.entries(context)) {
    const values = typeof value === "boolean" ? [String(value)] : typeof value === "string" ? [value] : [...value];
    out.set(key.toLowerCase(), values);
  }
  return out;
}

/** `true`/`false` as IAM decides; `undefined` when the operator is one keyless does not evaluate. */
export type ConditionResult = boolean | undefined;

type Matcher = (requestValue: string, policyValue: PolicyValue) => boolean;

const number = (s: string): number | undefined => (/^-?\d+(\.\d+)?$/.test(s.trim()) ? Number(s) : undefined);
const date = (s: string): number | undefined => {
  if (/^\d+$/.test(s.trim())) return Number(s) * 1000; // epoch seconds
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
};
const compare =
  (read: (s: string) => number | undefined, test: (a: number, b: number) => boolean): Matcher =>
  (r, p) => {
    const a = read(r);
    const b = read(p.text);
    return a === undefined || b === undefined ? false : test(a, b);
  };

/**
 * A policy value after its policy variables are replaced: the text, and which characters a variable put there. Those
 * are literal: a `*` or `?` that `${*}`, `${?}` or a request value brings in is no wildcard.
 */
interface PolicyValue {
  readonly text: string;
  readonly literal: readonly boolean[];
}

/**
 * The pattern and request text to give {@link wildcardMatches} so that a literal `*` or `?` of the policy value
 * matches only itself: both become stand-in characters that neither string contains. `undefined` if none is free.
 */
function withLiteralWildcards(
  policy: PolicyValue,
  requestValue: string,
): { pattern: string; text: string } | undefined {
  if (!policy.literal.some((l, i) => l && (policy.text[i] === "*" || policy.text[i] === "?"))) {
    return { pattern: policy.text, text: requestValue };
  }
  const used = new Set((policy.text + requestValue).split(""));
  const free: string[] = [];
  for (let code = 0xe000; code <= 0xffff && free.length < 2; code++) {
    if (!used.has(String.fromCharCode(code))) free.push(String.fromCharCode(code));
  }
  const [star, question] = free;
  if (star === undefined || question === undefined) return undefined;
  const encode = (c: string): string => (c === "*" ? star : c === "?" ? question : c);
  const pattern = policy.text
    .split("")
    .map((c, i) => (policy.literal[i] ? encode(c) : c))
    .join("");
  return { pattern, text: requestValue.split("").map(encode).join("") };
}

/** `StringLike`: the whole value with wildcards, case-sensitively. */
function like(requestValue: string, policy: PolicyValue): boolean {
  const encoded = withLiteralWildcards(policy, requestValue);
  return encoded !== undefined && wildcardMatches(encoded.pattern, encoded.text, { caseSensitive: true });
}

/**
 * `ArnLike`/`ArnEquals`: the six colon-separated fields are each compared with wildcards, case-sensitively. A value
 * that is not six fields (`*`, a bare name) matches no ARN.
 */
function arnLike(requestValue: string, policy: PolicyValue): boolean {
  const encoded = withLiteralWildcards(policy, requestValue);
  if (encoded === undefined) return false;
  const split = (arn: string): string[] | undefined => {
    const parts = arn.split(":");
    return parts.length < 6 ? undefined : [...parts.slice(0, 5), parts.slice(5).join(":")];
  };
  const r = split(encoded.text);
  const p = split(encoded.pattern);
  if (r === undefined || p === undefined) return false;
  return p.every((field, i) => wildcardMatches(field, r[i] ?? "", { caseSensitive: true }));
}

const equal: Matcher = (r, p) => r === p.text;
const equalIgnoringCase: Matcher = (r, p) => r.toLowerCase() === p.text.toLowerCase();

/**
 * The positive matcher of each base operator, whether the operator is its negation, and whether its values may hold
 * policy variables (string, ARN and Bool operators; the docs name no others).
 */
const OPERATORS: Readonly<Record<string, { match: Matcher; negated: boolean; variables: boolean }>> = {
  stringequals: { match: equal, negated: false, variables: true },
  stringnotequals: { match: equal, negated: true, variables: true },
  stringequalsignorecase: { match: equalIgnoringCase, negated: false, variables: true },
  stringnotequalsignorecase: { match: equalIgnoringCase, negated: true, variables: true },
  stringlike: { match: like, negated: false, variables: true },
  stringnotlike: { match: like, negated: true, variables: true },
  // `true`, `True` and `TRUE` are one boolean.
  bool: { match: equalIgnoringCase, negated: false, variables: true },
  arnequals: { match: arnLike, negated: false, variables: true },
  arnlike: { match: arnLike, negated: false, variables: true },
  arnnotequals: { match: arnLike, negated: true, variables: true },
  arnnotlike: { match: arnLike, negated: true, variables: true },
  numericequals: { match: compare(number, (a, b) => a === b), negated: false, variables: false },
  numericnotequals: { match: compare(number, (a, b) => a === b), negated: true, variables: false },
  numericlessthan: { match: compare(number, (a, b) => a < b), negated: false, variables: false },
  numericlessthanequals: { match: compare(number, (a, b) => a <= b), negated: false, variables: false },
  numericgreaterthan: { match: compare(number, (a, b) => a > b), negated: false, variables: false },
  numericgreaterthanequals: { match: compare(number, (a, b) => a >= b), negated: false, variables: false },
  dateequals: { match: compare(date, (a, b) => a === b), negated: false, variables: false },
  datenotequals: { match: compare(date, (a, b) => a === b), negated: true, variables: false },
  datelessthan: { match: compare(date, (a, b) => a < b), negated: false, variables: false },
  datelessthanequals: { match: compare(date, (a, b) => a <= b), negated: false, variables: false },
  dategreaterthan: { match: compare(date, (a, b) => a > b), negated: false, variables: false },
  dategreaterthanequals: { match: compare(date, (a, b) => a >= b), negated: false, variables: false },
};

/** Whether keyless evaluates this operator (IpAddress, Binary and unknown operators it does not). */
export function isEvaluatedOperator(condition: TrustCondition): boolean {
  return condition.base.toLowerCase() === "null" || OPERATORS[condition.base.toLowerCase()] !== undefined;
}

/** Whether the operator is a negated one (StringNotEquals, ArnNotLike, ...): it holds when the key is absent. */
export function isNegatedOperator(condition: TrustCondition): boolean {
  return OPERATORS[condition.base.toLowerCase()]?.negated ?? false;
}

const literalText = (text: string): PolicyValue => ({ text, literal: text.split("").map(() => false) });

/**
 * Replaces policy variables (`${aws:username}`, `${key, 'default'}`) and the escapes `${*}`, `${?}`, `${$}` with their
 * values, marking what they put in as literal. `undefined` when a variable has no value and no default: a key that is
 * absent, or multivalued (such a key cannot be a variable), or text inside `${}` that names no key.
 */
function substitute(value: string, context: RequestContext): PolicyValue | undefined {
  let text = "";
  const literal: boolean[] = [];
  const add = (s: string, isLiteral: boolean): void => {
    text += s;
    for (let i = 0; i < s.length; i++) literal.push(isLiteral);
  };
  let rest = value;
  for (let start = rest.indexOf("${"); start >= 0; start = rest.indexOf("${")) {
    const end = rest.indexOf("}", start);
    if (end < 0) break;
    add(rest.slice(0, start), false);
    const inner = rest.slice(start + 2, end);
    rest = rest.slice(end + 1);
    if (inner === "*" || inner === "?" || inner === "$") {
      add(inner, true);
      continue;
    }
    const m = /^\s*([^,\s]+)\s*(?:,\s*'([^']*)'\s*)?$/.exec(inner);
    if (m === null) return undefined;
    const found = context.get((m[1] ?? "").toLowerCase());
    const resolved = found !== undefined && found.length === 1 ? found[0] : m[2];
    if (resolved === undefined) return undefined;
    add(resolved, true);
  }
  add(rest, false);
  return { text, literal };
}

/** How {@link conditionHolds} reads policy values. */
export interface ConditionOptions {
  /**
   * Whether `${...}` in string, ARN and Bool values are policy variables. IAM substitutes them only in policies with
   * `"Version": "2012-10-17"`; in older ones they are literal text.
   * @default true
   */
  readonly policyVariables?: boolean;
}

/**
 * Whether one condition (one operator, one key, its values) holds for the request.
 *
 * - Several values of one key are ORed; for a negated operator, NORed: no value may match.
 * - A key absent from the request fails a positive operator and passes a negated one; `…IfExists` passes when the key
 *   is absent; `Null: "true"` holds exactly when it is absent, `Null: "false"` when it is present (other `Null` values
 *   match nothing). A key with an empty list of values is absent.
 * - `ForAnyValue:` holds when some request value matches (false when the key is absent or empty); `ForAllValues:` when
 *   every request value matches (true when the key is absent or empty: the trap that makes it unfit for a pin).
 *   With a negated operator "matches" means "matches none of the policy values". Under a set operator a key whose
 *   values are all empty strings is empty, as the IAM User Guide says of "an empty data set (for example, an empty
 *   string)".
 * - A multivalued request key under a single-valued operator is read as `ForAnyValue:` (some request value matches
 *   some policy value); a negated single-valued operator holds when no request value matches any policy value. AWS
 *   documents neither and advises against the form.
 * - Condition values compare case-sensitively except under the `…IgnoreCase` operators and `Bool`.
 * - Policy variables resolve from the request; what they bring in is literal (a `*` from `${*}` or from a request
 *   value is no wildcard). A variable that cannot be resolved makes the condition false whatever the operator (IAM:
 *   it "causes the statement to be invalid"), once values are compared: an absent key decides first.
 *
 * @returns `undefined` for an operator keyless does not evaluate (IP address, binary, `NullIfExists`, unknown names).
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 * @example
 * ```ts
 * const [pin] = parseTrustPolicy(text).statements[0].conditions;
 * conditionHolds(pin, requestContext({ "token.actions.githubusercontent.com:sub": "repo:octo/app:ref:refs/heads/main" }));
 * ```
 */
export function conditionHolds(
  condition: TrustCondition,
  context: RequestContext,
  options: ConditionOptions = {},
): ConditionResult {
  const present = context.get(condition.key.toLowerCase());
  if (condition.base.toLowerCase() === "null") {
    const absent = present === undefined || present.length === 0;
    return condition.values.some(
      (v) => (v.toLowerCase() === "true" && absent) || (v.toLowerCase() === "false" && !absent),
    );
  }
  const operator = OPERATORS[condition.base.toLowerCase()];
  if (operator === undefined) return undefined;
  const empty =
    present === undefined || present.length === 0 || (condition.set !== undefined && present.every((v) => v === ""));
  if (empty) {
    if (condition.ifExists) return true;
    if (condition.set === "ForAllValues") return true;
    if (condition.set === "ForAnyValue") return false;
    return operator.negated;
  }
  const substituting = operator.variables && (options.policyVariables ?? true);
  const policyValues: PolicyValue[] = [];
  for (const value of condition.values) {
    const resolved = substituting ? substitute(value, context) : literalText(value);
    if (resolved === undefined) return false;
    policyValues.push(resolved);
  }
  // "matches" for one request value: some policy value matches it (a negated operator inverts this per value).
  const matches = (requestValue: string): boolean => policyValues.some((p) => operator.match(requestValue, p));
  const accepted = (requestValue: string): boolean =>
    operator.negated ? !matches(requestValue) : matches(requestValue);
  if (condition.set === "ForAllValues") return present.every(accepted);
  if (condition.set === "ForAnyValue") return present.some(accepted);
  return operator.negated ? !present.some(matches) : present.some(matches);
}
