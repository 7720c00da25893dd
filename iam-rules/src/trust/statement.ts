// How one statement of a trust policy is read, the same way by the evaluation and by the checks built on it.
import { wildcardMatches } from "../wildcard";
import type { TrustStatement } from "./types";

/**
 * The identifiers a `Principal` (or `NotPrincipal`) block lists under one principal type (`AWS`, `Service`,
 * `Federated`), the type name read case-insensitively as IAM reads it; none for `"*"` or a missing block.
 *
 * @example
 * ```ts
 * principalIdentifiers(statement.principal, "Federated"); // ["arn:aws:iam::111122223333:oidc-provider/..."]
 * ```
 */
export function principalIdentifiers(block: TrustStatement["principal"], type: string): readonly string[] {
  if (block === undefined || block === "*") return [];
  return Object.entries(block)
    .filter(([t]) => t.toLowerCase() === type.toLowerCase())
    .flatMap(([, ids]) => ids);
}

/** Whether the statement's `Action` lists `action` (wildcards, case-insensitive), or its `NotAction` does not. */
export function statementCoversAction(s: TrustStatement, action: string): boolean {
  const listed = (patterns: readonly string[] | undefined) => (patterns ?? []).some((p) => wildcardMatches(p, action));
  return s.actions !== undefined ? listed(s.actions) : !listed(s.notActions);
}

/**
 * How messages name a statement: by its Sid, else by its index in the policy.
 *
 * @example
 * ```ts
 * statementLabel(parseTrustPolicy(doc).statements[0]); // 'statement "Ec2"', or "statement 0" without a Sid
 * ```
 */
export const statementLabel = (s: TrustStatement): string =>
  s.sid !== undefined ? `statement "${s.sid}"` : `statement ${s.index}`;
