/**
 * AWS managed policies that only read: their actions are all of access level List or Read. A role whose managed
 * policies are all among these grants no write through them. Every other managed policy (customer managed ones too,
 * whose content can change after the role is made) counts as one that may write.
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_job-functions.html
 * @example
 * ```ts
 * readOnlyManagedPolicies.includes("SecurityAudit"); // true
 * ```
 */
export const readOnlyManagedPolicies: readonly string[] = ["ReadOnlyAccess", "ViewOnlyAccess", "SecurityAudit"];

// An AWS managed policy (account `aws`) in any partition, under any path (ViewOnlyAccess is under job-function/).
const AWS_MANAGED = /^arn:[a-z-]+:iam::aws:policy\/(?:.*\/)?([^/]+)$/;

/**
 * The name of the read-only AWS managed policy an ARN refers to, in any partition; undefined for every other policy
 * (customer managed policies included, even when named alike).
 *
 * @example
 * ```ts
 * readOnlyManagedPolicy("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"); // "ViewOnlyAccess"
 * readOnlyManagedPolicy("arn:aws:iam::123456789012:policy/ReadOnlyAccess"); // undefined
 * ```
 */
export function readOnlyManagedPolicy(arn: string): string | undefined {
  const name = AWS_MANAGED.exec(arn)?.[1];
  return name !== undefined && readOnlyManagedPolicies.includes(name) ? name : undefined;
}
