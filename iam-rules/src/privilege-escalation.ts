import { isUnboundedResource } from "./resource-scope";
import { wildcardMatches } from "./wildcard";

/**
 * Actions that let a principal raise its own privileges, after Rhino Security Labs' catalogue of IAM privilege
 * escalation. `iam:PassRole` and `sts:AssumeRole` escalate only on an unbounded resource (see
 * {@link escalatingOnUnboundedResourceOnly}).
 *
 * @see https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/
 * @example
 * ```ts
 * privilegeEscalationActions.includes("iam:CreateAccessKey"); // true
 * ```
 */
export const privilegeEscalationActions: readonly string[] = [
  "iam:CreateUser",
  "iam:CreateAccessKey",
  "iam:CreateLoginProfile",
  "iam:UpdateLoginProfile",
  "iam:AttachUserPolicy",
  "iam:AttachGroupPolicy",
  "iam:AttachRolePolicy",
  "iam:PutUserPolicy",
  "iam:PutGroupPolicy",
  "iam:PutRolePolicy",
  "iam:CreatePolicyVersion",
  "iam:SetDefaultPolicyVersion",
  "iam:AddUserToGroup",
  "iam:UpdateAssumeRolePolicy",
  "iam:DeleteRolePermissionsBoundary",
  "iam:DeleteUserPermissionsBoundary",
  "iam:PutRolePermissionsBoundary",
  "iam:PutUserPermissionsBoundary",
  "iam:PassRole",
  "sts:AssumeRole",
];

/**
 * Escalation actions that are routine on named roles (a deployer passes its function's role, a job assumes one role)
 * and escalate only on a resource that reaches every role.
 *
 * @example
 * ```ts
 * escalatingOnUnboundedResourceOnly.includes("iam:PassRole"); // true
 * ```
 */
export const escalatingOnUnboundedResourceOnly: readonly string[] = ["iam:PassRole", "sts:AssumeRole"];

/**
 * The privilege-escalation actions an action pattern grants on the given resources.
 *
 * @param actionPattern - `service:Action`, `*` and `?` allowed anywhere
 * @param resources - the statement's resources
 * @example
 * ```ts
 * privilegeEscalations("iam:Put*Policy", ["*"]); // ["iam:PutUserPolicy", "iam:PutGroupPolicy", "iam:PutRolePolicy"]
 * privilegeEscalations("iam:PassRole", ["arn:aws:iam::123456789012:role/app/worker"]); // []
 * privilegeEscalations("iam:PassRole", ["arn:aws:iam::*:role/*"]); // ["iam:PassRole"]
 * ```
 */
export function privilegeEscalations(actionPattern: string, resources: readonly string[]): string[] {
  return privilegeEscalationActions.filter(
    (action) =>
      wildcardMatches(actionPattern, action) &&
      (!escalatingOnUnboundedResourceOnly.includes(action) || resources.some((r) => isUnboundedResource(action, r))),
  );
}
