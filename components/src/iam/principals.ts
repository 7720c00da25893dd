import { TrustPolicyError, trustNames } from "@keyless/iam-rules";
import * as pulumi from "@pulumi/pulumi";
import { KeylessErrorCode, KeylessValidationError } from "../errors";

/**
 * The compute services a {@link WorkloadRole} can be made for. Each maps to exactly one service principal, and the
 * trust policy is generated from it: callers never write trust JSON.
 *
 * To support another service, add an entry here and in {@link servicePrincipal}'s table.
 *
 * @example
 * ```ts
 * new WorkloadRole("worker", { service: WorkloadService.EcsTasks });
 * ```
 */
export const WorkloadService = {
  /** EC2 instances, through an instance profile: `ec2.amazonaws.com`. */
  Ec2: "ec2",
  /** Lambda functions, as their execution role: `lambda.amazonaws.com`. */
  Lambda: "lambda",
  /** ECS tasks, as task role or task execution role: `ecs-tasks.amazonaws.com`. */
  EcsTasks: "ecs-tasks",
} as const;

/** One of the {@link WorkloadService} values: `"ec2" | "lambda" | "ecs-tasks"`. */
export type WorkloadService = (typeof WorkloadService)[keyof typeof WorkloadService];

const PRINCIPALS: Readonly<Record<WorkloadService, string>> = {
  ec2: "ec2.amazonaws.com",
  lambda: "lambda.amazonaws.com",
  "ecs-tasks": "ecs-tasks.amazonaws.com",
};

/**
 * Services for which AWS documents the confused-deputy condition keys `aws:SourceAccount` / `aws:SourceArn` in the
 * role's trust policy.
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html
 */
const SOURCE_CONDITION_SERVICES: ReadonlySet<WorkloadService> = new Set<WorkloadService>(["ecs-tasks"]);

/**
 * The service principal that assumes a role for `service`.
 *
 * @example
 * ```ts
 * servicePrincipal("ec2"); // "ec2.amazonaws.com"
 * ```
 */
export function servicePrincipal(service: WorkloadService): string {
  const principal = PRINCIPALS[service];
  if (principal === undefined) {
    throw new KeylessValidationError(
      KeylessErrorCode.InvalidArgument,
      "service",
      `\`service\` must be one of ${Object.keys(PRINCIPALS)
        .map((s) => `"${s}"`)
        .join(", ")}. Received ${JSON.stringify(service)}. Pick the compute service that runs the workload.`,
    );
  }
  return principal;
}

/**
 * Confused-deputy conditions for a trust policy.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
 */
export interface TrustConditions {
  /** Only accept the service acting for this account id (`aws:SourceAccount`). */
  readonly sourceAccount?: pulumi.Input<string>;
  /** Only accept the service acting for resources matching this ARN pattern (`aws:SourceArn`, `ArnLike`). */
  readonly sourceArn?: pulumi.Input<string>;
}

/**
 * Checks that trust conditions are offered for `service` (throws {@link KeylessValidationError} otherwise).
 * @internal
 */
export function validateTrustConditions(service: WorkloadService, conditions: TrustConditions): void {
  const asked = conditions.sourceAccount !== undefined || conditions.sourceArn !== undefined;
  if (asked && !SOURCE_CONDITION_SERVICES.has(service)) {
    const arg = conditions.sourceAccount !== undefined ? "trustSourceAccount" : "trustSourceArn";
    throw new KeylessValidationError(
      KeylessErrorCode.UnsupportedTrustCondition,
      arg,
      `\`${arg}\` is only offered for service "ecs-tasks", where AWS documents aws:SourceAccount/aws:SourceArn in the ` +
        `role trust policy. Received service ${JSON.stringify(service)}: ${PRINCIPALS[service]} does not document these ` +
        `keys when it assumes the role, so the condition could lock the workload out. Remove \`${arg}\`.`,
    );
  }
}

/**
 * The trust (assume-role) policy JSON for `service`, with confused-deputy conditions when given.
 *
 * @example
 * ```ts
 * trustPolicy("ec2");
 * // {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}
 * ```
 */
export function trustPolicy(service: WorkloadService, conditions: TrustConditions = {}): pulumi.Output<string> {
  const principal = servicePrincipal(service);
  validateTrustConditions(service, conditions);
  return pulumi.all([conditions.sourceAccount, conditions.sourceArn]).apply(([account, arn]) => {
    const condition: Record<string, Record<string, string>> = {};
    if (arn !== undefined) condition["ArnLike"] = { "aws:SourceArn": arn };
    if (account !== undefined) condition["StringEquals"] = { "aws:SourceAccount": account };
    const statement: Record<string, unknown> = {
      Effect: "Allow",
      Principal: { Service: principal },
      Action: "sts:AssumeRole",
    };
    if (Object.keys(condition).length > 0) statement["Condition"] = condition;
    return JSON.stringify({ Version: "2012-10-17", Statement: [statement] });
  });
}

/**
 * Whether a trust policy document (JSON) names `principal` (a service) for `sts:AssumeRole`, by iam-rules' one trust
 * evaluation; a document that is not a policy names nobody.
 * @internal
 */
export function trustsPrincipal(document: string, principal: string): boolean {
  try {
    return trustNames(document, { service: principal }, "sts:AssumeRole");
  } catch (err) {
    if (err instanceof TrustPolicyError) return false;
    throw err;
  }
}
