import { classifyAction, isWrite, readOnlyManagedPolicy } from "@keyless/iam-rules";
import type { RolePermissionsArgs } from "../iam/workload-role";
import { isKnownNow } from "../private/inputs";

/** Where a role's permissions may write, and why keyless says so. */
export interface WriteGrant {
  /** The argument that grants it, for example `statements[0].actions[1]` or `managedPolicies[0].arn`. */
  readonly argument: string;
  /** What it grants, for example `"s3:PutObject" (access level "Write")`. */
  readonly what: string;
}

/**
 * The first permission of `args` that may write, or undefined when the role only reads. The rule, decided with
 * @keyless/iam-rules:
 * - an `Allow` statement writes when one action it names (its wildcards expanded over the IAM data set) has access
 *   level Write, Tagging or Permissions management; `*`, and actions unknown to the data set, count as writes;
 *   `Deny` statements grant nothing;
 * - a managed policy only reads when it is one of the AWS managed read-only policies (`ReadOnlyAccess`,
 *   `ViewOnlyAccess`, `SecurityAudit`); any other, customer managed policies included (their content can change
 *   after the role is made), counts as a write;
 * - a statement, list or ARN only known at deploy time counts as a write: it cannot be judged when the role is made.
 *
 * @internal
 */
export function firstWriteGrant(args: RolePermissionsArgs): WriteGrant | undefined {
  const statements: unknown = args.statements ?? [];
  if (!Array.isArray(statements)) return { argument: "statements", what: "statements only known at deploy time" };
  for (const [i, s] of statements.entries()) {
    const argument = `statements[${i}]`;
    if (!isKnownNow({ ...(s as object), resources: [] })) {
      return { argument, what: "a statement only known at deploy time" };
    }
    if ((s.effect ?? "Allow") !== "Allow") continue;
    for (const [j, action] of (s.actions as string[]).entries()) {
      const grant = actionWrite(action);
      if (grant !== undefined) return { argument: `${argument}.actions[${j}]`, what: grant };
    }
  }
  const managed: unknown = args.managedPolicies ?? [];
  if (!Array.isArray(managed))
    return { argument: "managedPolicies", what: "managed policies only known at deploy time" };
  for (const [i, m] of managed.entries()) {
    const argument = `managedPolicies[${i}].arn`;
    if (typeof m.arn !== "string") return { argument, what: "a managed policy whose ARN is only known at deploy time" };
    if (readOnlyManagedPolicy(m.arn) === undefined) {
      return { argument, what: `${JSON.stringify(m.arn)} (not one of AWS's read-only managed policies)` };
    }
  }
  return undefined;
}

function actionWrite(action: string): string | undefined {
  if (action === "*") return `"*" (every action)`;
  const { known, actions } = classifyAction(action);
  if (!known) return `${JSON.stringify(action)} (unknown to the IAM data set, so its access level is unknown)`;
  const write = actions.find(isWrite);
  if (write === undefined) return undefined;
  const via = write.name.toLowerCase() === action.toLowerCase() ? "" : `, which includes ${write.name},`;
  return `${JSON.stringify(action)}${via} (access level "${write.accessLevel}")`;
}
