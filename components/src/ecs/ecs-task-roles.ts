import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { KeylessErrorCode, KeylessValidationError } from "../errors";
import type { PolicyStatement } from "../iam/policy-statement";
import { WorkloadService } from "../iam/principals";
import { buildRole, type RolePermissionsArgs, serviceTrust, validateWorkloadRoleArgs } from "../iam/workload-role";

/**
 * Arguments of {@link EcsTaskRoles}. The {@link RolePermissionsArgs} fields configure the task role (the
 * application's permissions); the other fields configure the task execution role.
 *
 * @example
 * ```ts
 * const args: EcsTaskRolesArgs = {
 *   statements: [{ actions: ["dynamodb:GetItem"], resources: [table.arn] }],
 *   secretArns: [dbPassword.arn],
 * };
 * ```
 */
export interface EcsTaskRolesArgs extends RolePermissionsArgs {
  /**
   * Secrets Manager secrets the execution role may read (`secretsmanager:GetSecretValue`) to inject into containers
   * through `secrets` in the container definitions.
   * @default - No secret.
   * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html
   */
  readonly secretArns?: pulumi.Input<string>[];
  /**
   * SSM Parameter Store parameters the execution role may read (`ssm:GetParameters`).
   * @default - No parameter.
   */
  readonly parameterArns?: pulumi.Input<string>[];
  /**
   * Customer managed KMS keys that encrypt those secrets or parameters (`kms:Decrypt` for the execution role).
   * @default - No key: secrets encrypted with the AWS managed key need none.
   */
  readonly secretKmsKeyArns?: pulumi.Input<string>[];
  /**
   * Confused-deputy protection for both roles: only accept ECS acting for this account (`aws:SourceAccount`).
   * @default - No aws:SourceAccount condition.
   */
  readonly trustSourceAccount?: pulumi.Input<string>;
  /**
   * Confused-deputy protection for both roles: only accept ECS acting for resources matching this ARN pattern,
   * for example `arn:aws:ecs:eu-west-1:111122223333:*`.
   * @default - No aws:SourceArn condition.
   */
  readonly trustSourceArn?: pulumi.Input<string>;
}

const SECRET_ARGS = [
  ["secretArns", "secretsmanager:GetSecretValue"],
  ["parameterArns", "ssm:GetParameters"],
  ["secretKmsKeyArns", "kms:Decrypt"],
] as const;

/**
 * Validates the arguments of {@link EcsTaskRoles}.
 * @internal
 */
export function validateEcsArgs(args: EcsTaskRolesArgs): void {
  const a = args ?? {};
  for (const [key] of SECRET_ARGS) {
    const list = a[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) continue; // an Output list is checked by the statement validation at deploy time
    list.forEach((arn, i) => {
      if (typeof arn === "string" && !/^arn:[a-z-]+:[a-z0-9-]+:/.test(arn)) {
        throw new KeylessValidationError(
          KeylessErrorCode.InvalidArgument,
          `${key}[${i}]`,
          `\`${key}[${i}]\` must be the ARN of one secret, parameter or key. Received ${JSON.stringify(arn)}. ` +
            `Name each ARN the tasks read; wildcards over all resources are not accepted.`,
        );
      }
    });
  }
  validateWorkloadRoleArgs({
    ...a,
    service: WorkloadService.EcsTasks,
  });
}

function executionStatements(a: EcsTaskRolesArgs): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  for (const [key, action] of SECRET_ARGS) {
    const list = a[key];
    if (list !== undefined && (!Array.isArray(list) || list.length > 0)) {
      statements.push({ actions: [action], resources: list });
    }
  }
  return statements;
}

/**
 * The two roles of an ECS task, both trusted by `ecs-tasks.amazonaws.com`:
 * - the **task execution role**, used by the ECS agent to pull the image, write logs (AWS managed
 *   `AmazonECSTaskExecutionRolePolicy`) and read the named secrets and parameters;
 * - the **task role**, whose credentials the application receives, with the application's typed statements.
 *
 * Keeping them apart means the application never holds the image-pull and secret-read permissions.
 *
 * Children: `<name>-task-role`, `<name>-task-policy`, `<name>-execution-role`, `<name>-execution-policy` (when secrets
 * are named) and `<name>-execution-managed`.
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html
 * @example
 * ```ts
 * import * as aws from "@pulumi/aws";
 * import { EcsTaskRoles } from "@keyless/aws";
 *
 * const roles = new EcsTaskRoles("api", {
 *   statements: [{ actions: ["sqs:SendMessage"], resources: [queue.arn] }],
 *   secretArns: [dbPassword.arn],
 * });
 * new aws.ecs.TaskDefinition("api", {
 *   family: "api",
 *   taskRoleArn: roles.taskRoleArn,
 *   executionRoleArn: roles.executionRoleArn,
 *   containerDefinitions,
 * });
 * ```
 */
export class EcsTaskRoles extends pulumi.ComponentResource {
  /** The task role: the application's permissions. */
  public readonly taskRole: aws.iam.Role;
  /** The task execution role: image pull, logs, named secrets. */
  public readonly executionRole: aws.iam.Role;
  /** The task role ARN, for `aws.ecs.TaskDefinition.taskRoleArn`. */
  public readonly taskRoleArn: pulumi.Output<string>;
  /** The task role name. */
  public readonly taskRoleName: pulumi.Output<string>;
  /** The execution role ARN, for `aws.ecs.TaskDefinition.executionRoleArn`. */
  public readonly executionRoleArn: pulumi.Output<string>;
  /** The execution role name. */
  public readonly executionRoleName: pulumi.Output<string>;

  /**
   * @param name - component name; children are named from it
   * @param args - the application's permissions and the secrets to read
   * @param opts - component options
   */
  constructor(name: string, args?: EcsTaskRolesArgs, opts?: pulumi.ComponentResourceOptions) {
    const a = args ?? {};
    validateEcsArgs(a);
    super("keyless:aws:EcsTaskRoles", name, {}, opts);
    const trust = { trustSourceAccount: a.trustSourceAccount, trustSourceArn: a.trustSourceArn };
    const { secretArns: _s, parameterArns: _p, secretKmsKeyArns: _k, ...taskArgs } = a;
    const task = buildRole(
      this,
      `${name}-task`,
      taskArgs,
      serviceTrust({ ...trust, service: WorkloadService.EcsTasks }),
    );
    const statements = executionStatements(a);
    const execution = buildRole(
      this,
      `${name}-execution`,
      {
        description: "keyless ECS task execution role",
        path: a.path,
        tags: a.tags,
        statements: statements.length > 0 ? statements : undefined,
      },
      serviceTrust({ ...trust, service: WorkloadService.EcsTasks }),
    );
    const partition = aws.getPartitionOutput({}, { parent: this }).partition;
    new aws.iam.RolePolicyAttachment(
      `${name}-execution-managed`,
      {
        role: execution.role.name,
        policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`,
      },
      { parent: this },
    );
    this.taskRole = task.role;
    this.executionRole = execution.role;
    this.taskRoleArn = task.role.arn;
    this.taskRoleName = task.role.name;
    this.executionRoleArn = execution.role.arn;
    this.executionRoleName = execution.role.name;
    this.registerOutputs({
      taskRole: this.taskRole,
      executionRole: this.executionRole,
      taskRoleArn: this.taskRoleArn,
      taskRoleName: this.taskRoleName,
      executionRoleArn: this.executionRoleArn,
      executionRoleName: this.executionRoleName,
    });
  }
}
