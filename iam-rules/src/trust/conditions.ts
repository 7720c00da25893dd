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

type Matcher = (requestValue: string, policyValue: string) => boolean | undefined;

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
    const b = read(p);
    return a === undefined || b === undefined ? false : test(a, b);
  };

/** ARNs match field by field: the six colon-separated fields are each compared with wildcards, case-sensitively. */
function arnLike(requestValue: string, policyValue: string): boolean {
  const split = (arn: string): string[] => {
    const parts = arn.split(":");
    return [...parts.slice(0, 5), parts.slice(5).join(":")];
  };
  const r = split(requestValue);
  const p = split(policyValue);
  if (requestValue.split(":").length < 6 || policyValue.split(":").length < 6) return false;
  return p.every((field, i) => wildcardMatches(field, r[i] ?? "", { caseSensitive: true }));
}

/** The positive matcher of each base operator, and whether the operator is its negation. */
const OPERATORS: Readonly<Record<string, { match: Matcher; negated: boolean }>> = {
  stringequals: { match: (r, p) => r === p, negated: false },
  stringnotequals: { match: (r, p) => r === p, negated: true },
  stringequalsignorecase: { match: (r, p) => r.toLowerCase() === p.toLowerCase(), negated: false },
  stringnotequalsignorecase: { match: (r, p) => r.toLowerCase() === p.toLowerCase(), negated: true },
  stringlike: { match: (r, p) => wildcardMatches(p, r, { caseSensitive: true }), negated: false },
  stringnotlike: { match: (r, p) => wildcardMatches(p, r, { caseSensitive: true }), negated: true },
  bool: { match: (r, p) => r.toLowerCase() === p.toLowerCase(), negated: false },
  arnequals: { match: arnLike, negated: false },
  arnlike: { match: arnLike, negated: false },
  arnnotequals: { match: arnLike, negated: true },
  arnnotlike: { match: arnLike, negated: true },
  numericequals: { match: compare(number, (a, b) => a === b), negated: false },
  numericnotequals: { match: compare(number, (a, b) => a === b), negated: true },
  numericlessthan: { match: compare(number, (a, b) => a < b), negated: false },
  numericlessthanequals: { match: compare(number, (a, b) => a <= b), negated: false },
  numericgreaterthan: { match: compare(number, (a, b) => a > b), negated: false },
  numericgreaterthanequals: { match: compare(number, (a, b) => a >= b), negated: false },
  dateequals: { match: compare(date, (a, b) => a === b), negated: false },
  datenotequals: { match: compare(date, (a, b) => a === b), negated: true },
  datelessthan: { match: compare(date, (a, b) => a < b), negated: false },
  datelessthanequals: { match: compare(date, (a, b) => a <= b), negated: false },
  dategreaterthan: { match: compare(date, (a, b) => a > b), negated: false },
  dategreaterthanequals: { match: compare(date, (a, b) => a >= b), negated: false },
};

/** Whether keyless evaluates this operator (IpAddress, Binary and unknown operators it does not). */
export function isEvaluatedOperator(condition: TrustCondition): boolean {
  return condition.base.toLowerCase() === "null" || OPERATORS[condition.base.toLowerCase()] !== undefined;
}

/** Whether the operator is a negated one (StringNotEquals, ArnNotLike, ...): it holds when the key is absent. */
export function isNegatedOperator(condition: TrustCondition): boolean {
  return OPERATORS[condition.base.toLowerCase()]?.negated ?? false;
}

/**
 * Replaces policy variables (`${aws:username}`, `${key, 'default'}`) and the escapes `${*}`, `${?}`, `${$}` with their
 * values; `undefined` when a variable has no value and no default, which no request value can then match.
 */
function substitute(value: string, context: RequestContext): string | undefined {
  let missing = false;
  const out = value.replace(/\$\{([^}]*)\}/g, (_all, inner: string) => {
    if (inner === "*" || inner === "?" || inner === "$") return inner;
    const m = /^\s*([^,\s]+)\s*(?:,\s*'([^']*)'\s*)?$/.exec(inner);
    const found = m?.[1] === undefined ? undefined : context.get(m[1].toLowerCase());
    if (found !== undefined && found.length === 1 && found[0] !== undefined) return found[0];
    if (m?.[2] !== undefined) return m[2];
    missing = true;
    return "";
  });
  return missing ? undefined : out;
}

/**
 * Whether one condition (one operator, one key, its values) holds for the request.
 *
 * - Several values of one key are ORed; for a negated operator, NORed: no value may match.
 * - A key absent from the request fails a positive operator and passes a negated one; `…IfExists` passes when the key
 *   is absent; `Null: "true"` holds exactly when it is absent.
 * - `ForAnyValue:` holds when some request value matches (false when the key is absent or empty); `ForAllValues:` when
 *   every request value matches (true when the key is absent or empty: the trap that makes it unfit for a pin).
 *   With a negated operator "matches" means "matches none of the policy values".
 * - A multivalued request key under a single-valued operator is read as `ForAnyValue:` (AWS advises against the form).
 * - Condition values compare case-sensitively except under the `…IgnoreCase` operators and `Bool`.
 *
 * @returns `undefined` for an operator keyless does not evaluate (IP address, binary, unknown names).
 */
export function conditionHolds(condition: TrustCondition, context: RequestContext): ConditionResult {
  const present = context.get(condition.key.toLowerCase());
  const absent = present === undefined || present.length === 0;
  if (condition.base.toLowerCase() === "null") {
    return condition.values.some((v) => (v.toLowerCase() === "true") === absent);
  }
  const operator = OPERATORS[condition.base.toLowerCase()];
  if (operator === undefined) return undefined;
  if (absent) {
    if (condition.ifExists) return true;
    if (condition.set === "ForAllValues") return true;
    if (condition.set === "ForAnyValue") return false;
    return operator.negated;
  }
  const policyValues = condition.values.map((v) => substitute(v, context));
  // "matches" for one request value: some policy value matches it (a negated operator inverts this per value).
  const matches = (requestValue: string): boolean =>
    policyValues.some((p) => p !== undefined && operator.match(requestValue, p) === true);
  const accepted = (requestValue: string): boolean =>
    operator.negated ? !matches(requestValue) : matches(requestValue);
  if (condition.set === "ForAllValues") return present.every(accepted);
  if (condition.set === "ForAnyValue") return present.some(accepted);
  return operator.negated ? !present.some(matches) : present.some(matches);
}
