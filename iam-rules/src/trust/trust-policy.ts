import { visit } from "jsonc-parser";
import type { DuplicateMember, TrustCondition, TrustPolicy, TrustStatement } from "./types";

/** Thrown when a trust policy's text is not a policy IAM could hold. The message never repeats the document. */
export class TrustPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrustPolicyError";
  }
}

const SET_PREFIXES = ["ForAnyValue:", "ForAllValues:"] as const;

/**
 * Splits `ForAnyValue:StringLikeIfExists` into its set prefix, base operator and `IfExists`. IAM reads operator names
 * case-insensitively here; at most one set prefix, and `Null` takes no `IfExists` (`NullIfExists` stays an unknown
 * operator, which the evaluation does not evaluate).
 */
function splitOperator(operator: string): Pick<TrustCondition, "base" | "set" | "ifExists"> {
  let rest = operator;
  let set: TrustCondition["set"];
  const prefix = SET_PREFIXES.find((p) => rest.toLowerCase().startsWith(p.toLowerCase()));
  if (prefix !== undefined) {
    set = prefix.slice(0, -1) as TrustCondition["set"];
    rest = rest.slice(prefix.length);
  }
  const ifExists = /.IfExists$/i.test(rest) && !/^NullIfExists$/i.test(rest);
  const base = ifExists ? rest.slice(0, -"IfExists".length) : rest;
  return set === undefined ? { base, ifExists } : { base, set, ifExists };
}

const text = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

function list(v: unknown, where: string): string[] {
  const items = Array.isArray(v) ? v : [v];
  return items.map((x) => {
    if (typeof x !== "string") throw new TrustPolicyError(`${where} must be a string or a list of strings.`);
    return x;
  });
}

function principals(v: unknown, where: string): "*" | Record<string, string[]> {
  if (v === "*") return "*";
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new TrustPolicyError(`${where} must be "*" or an object such as {"Service": "ec2.amazonaws.com"}.`);
  }
  const out: Record<string, string[]> = {};
  for (const [type, ids] of Object.entries(v)) out[type] = list(ids, `${where}.${type}`);
  return out;
}

function conditions(v: unknown, where: string): TrustCondition[] {
  if (v === undefined) return [];
  if (v === null || typeof v !== "object" || Array.isArray(v))
    throw new TrustPolicyError(`${where} must be an object.`);
  const out: TrustCondition[] = [];
  for (const [operator, block] of Object.entries(v)) {
    if (block === null || typeof block !== "object" || Array.isArray(block)) {
      throw new TrustPolicyError(`${where}.${operator} must be an object of condition keys.`);
    }
    for (const [key, values] of Object.entries(block)) {
      const items = (Array.isArray(values) ? values : [values]).map(text);
      out.push({ operator, ...splitOperator(operator), key, values: items });
    }
  }
  return out;
}

function statement(raw: unknown, index: number): TrustStatement {
  const where = `Statement[${index}]`;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new TrustPolicyError(`${where} must be an object.`);
  }
  const s = raw as Record<string, unknown>;
  const effect = s["Effect"];
  if (effect !== "Allow" && effect !== "Deny") throw new TrustPolicyError(`${where}.Effect must be "Allow" or "Deny".`);
  const out: {
    -readonly [K in keyof TrustStatement]: TrustStatement[K];
  } = { index, effect, conditions: conditions(s["Condition"], `${where}.Condition`) };
  if (typeof s["Sid"] === "string") out.sid = s["Sid"];
  if (s["Principal"] !== undefined) out.principal = principals(s["Principal"], `${where}.Principal`);
  if (s["NotPrincipal"] !== undefined) out.notPrincipal = principals(s["NotPrincipal"], `${where}.NotPrincipal`);
  if (s["Action"] !== undefined) out.actions = list(s["Action"], `${where}.Action`);
  if (s["NotAction"] !== undefined) out.notActions = list(s["NotAction"], `${where}.NotAction`);
  if ((out.principal === undefined) === (out.notPrincipal === undefined)) {
    throw new TrustPolicyError(`${where} must have exactly one of Principal and NotPrincipal.`);
  }
  if ((out.actions === undefined) === (out.notActions === undefined)) {
    throw new TrustPolicyError(`${where} must have exactly one of Action and NotAction.`);
  }
  return out;
}

/** Members written twice in one JSON object, found on the text itself (JSON.parse would hide them). */
function duplicateMembers(document: string): DuplicateMember[] {
  const found: DuplicateMember[] = [];
  const seen: Set<string>[] = [];
  const paths: string[] = [];
  const pathOf = (jsonPath: readonly (string | number)[]): string =>
    jsonPath.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("") || "(document)";
  visit(
    document,
    {
      onObjectBegin: (_o, _l, _sl, _sc, pathSupplier) => {
        seen.push(new Set());
        paths.push(pathOf(pathSupplier()));
      },
      onObjectEnd: () => {
        seen.pop();
        paths.pop();
      },
      onObjectProperty: (member) => {
        const members = seen[seen.length - 1];
        if (members?.has(member)) found.push({ path: paths[paths.length - 1] ?? "(document)", member });
        members?.add(member);
      },
    },
    { disallowComments: true, allowTrailingComma: false },
  );
  return found;
}

/**
 * Reads a trust (assume-role) policy from its JSON text, as IAM holds it: statements normalised to lists, conditions
 * split into operator, key and values, and every member the text writes twice in one object (IAM, like `JSON.parse`,
 * keeps the last, so a pin a reviewer sees can be silently dropped). URL-encoded text, as IAM's API returns it, is
 * decoded first.
 *
 * @throws {@link TrustPolicyError} when the text is not JSON or not a policy.
 * @example
 * ```ts
 * const policy = parseTrustPolicy(role.AssumeRolePolicyDocument);
 * policy.duplicates; // [{ path: "Statement[0].Condition", member: "StringLike" }]
 * ```
 */
export function parseTrustPolicy(document: string | object): TrustPolicy {
  let source = typeof document === "string" ? document : JSON.stringify(document);
  if (/^\s*%7B/i.test(source)) {
    try {
      source = decodeURIComponent(source);
    } catch {
      throw new TrustPolicyError("The trust policy is URL-encoded but its encoding is malformed.");
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch {
    throw new TrustPolicyError("The trust policy is not valid JSON.");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new TrustPolicyError("The trust policy must be a JSON object with a Statement.");
  }
  const raw = (parsed as Record<string, unknown>)["Statement"];
  if (raw === undefined) throw new TrustPolicyError("The trust policy has no Statement.");
  const items = Array.isArray(raw) ? raw : [raw];
  const version = (parsed as Record<string, unknown>)["Version"];
  const policy = { statements: items.map(statement), duplicates: duplicateMembers(source) };
  return typeof version === "string" ? { ...policy, version } : policy;
}
