/**
 * AWS managed policies that give administrator-level access and that no workload role should carry.
 *
 * @example
 * ```ts
 * forbiddenManagedPolicies.includes("AdministratorAccess"); // true
 * ```
 */
export const forbiddenManagedPolicies: readonly string[] = ["AdministratorAccess", "PowerUserAccess", "IAMFullAccess"];

// An AWS managed policy (account `aws`) in any partition, under any path.
const AWS_MANAGED = /^arn:[a-z-]+:iam::aws:policy\/(?:.*\/)?([^/]+)$/;

/**
 * The name of the forbidden AWS managed policy an ARN refers to, in any partition and under any path; undefined for
 * every other policy (customer managed policies included, even when named alike).
 *
 * @example
 * ```ts
 * forbiddenManagedPolicy("arn:aws-us-gov:iam::aws:policy/AdministratorAccess"); // "AdministratorAccess"
 * forbiddenManagedPolicy("arn:aws:iam::123456789012:policy/AdministratorAccess"); // undefined
 * ```
 */
export function forbiddenManagedPolicy(arn: string): string | undefined {
  const name = AWS_MANAGED.exec(arn)?.[1];
  return name !== undefined && forbiddenManagedPolicies.includes(name) ? name : undefined;
}
