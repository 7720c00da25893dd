import { claimKey } from "@keyless/iam-rules";
import { hasWildcard } from "./subject-values";

/** One condition on a token claim: the claim, its values (any of them matches) and whether to negate. */
export interface ClaimCondition {
  /** The claim, for example `sub`, `aud` or `job_workflow_ref`. */
  readonly claim: string;
  /** The values; any one matches. `StringLike` is used when one holds `*` or `?`, `StringEquals` otherwise. */
  readonly values: readonly string[];
  /** Refuse the values instead (`StringNotEquals` / `StringNotLike`). */
  readonly negate?: boolean;
}

/**
 * The IAM condition operator for `values`: `StringEquals` (or `StringNotEquals`) for exact values, `StringLike` (or
 * `StringNotLike`) as soon as one value holds a wildcard.
 * @internal
 */
export function stringOperator(values: readonly string[], negate = false): string {
  const like = values.some(hasWildcard);
  return `String${negate ? "Not" : ""}${like ? "Like" : "Equals"}`;
}

/**
 * The trust policy JSON that lets tokens of the IAM OIDC provider `providerArn` assume the role
 * (`sts:AssumeRoleWithWebIdentity`) when every condition holds. Condition keys are the issuer's host and path and the
 * claim (`token.actions.githubusercontent.com:sub`); one value is written as a string, several as a list.
 *
 * @example
 * ```ts
 * webIdentityTrustPolicy(arn, [
 *   { claim: "aud", values: ["sts.amazonaws.com"] },
 *   { claim: "sub", values: ["repo:octo/app:ref:refs/heads/main"] },
 * ]);
 * ```
 * @internal
 */
export function webIdentityTrustPolicy(providerArn: string, conditions: readonly ClaimCondition[]): string {
  const condition: Record<string, Record<string, string | string[]>> = {};
  for (const c of conditions) {
    const operator = stringOperator(c.values, c.negate);
    condition[operator] ??= {};
    condition[operator][claimKey(providerArn, c.claim)] =
      c.values.length === 1 ? (c.values[0] as string) : [...c.values];
  }
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: condition,
      },
    ],
  });
}
