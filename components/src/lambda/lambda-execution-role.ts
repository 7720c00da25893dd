import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { KeylessErrorCode, KeylessValidationError } from "../errors";
import { WorkloadService } from "../iam/principals";
import { buildRole, type RolePermissionsArgs, serviceTrust, validateRoleArgs } from "../iam/workload-role";

/**
 * Arguments of {@link LambdaExecutionRole}.
 *
 * @example
 * ```ts
 * const args: LambdaExecutionRoleArgs = { vpcAccess: true, statements: [{ actions: ["sqs:SendMessage"], resources: [queue.arn] }] };
 * ```
 */
export interface LambdaExecutionRoleArgs extends RolePermissionsArgs {
  /**
   * Attach the AWS managed `AWSLambdaBasicExecutionRole` policy, which lets the function write its CloudWatch logs.
   * @default true
   */
  readonly basicExecution?: boolean;
  /**
   * Attach the AWS managed `AWSLambdaVPCAccessExecutionRole` policy, needed when the function runs in a VPC (it
   * manages the function's network interfaces).
   * @default false
   * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html
   */
  readonly vpcAccess?: boolean;
}

/**
 * Validates the arguments of a {@link LambdaExecutionRole}.
 * @internal
 */
export function validateLambdaArgs(args: LambdaExecutionRoleArgs): void {
  for (const flag of ["basicExecution", "vpcAccess"] as const) {
    const v = args?.[flag];
    if (v !== undefined && typeof v !== "boolean") {
      throw new KeylessValidationError(
        KeylessErrorCode.InvalidArgument,
        flag,
        `\`${flag}\` must be true or false. Received ${JSON.stringify(v)}.`,
      );
    }
  }
  validateRoleArgs(args ?? {});
}

/**
 * The execution role of a Lambda function: trusted by `lambda.amazonaws.com`, allowed to write its logs by default,
 * plus the function's own typed statements (least privilege enforced, see `PolicyStatement`).
 *
 * Children: `<name>-role`, `<name>-policy` (when `statements` are given), `<name>-basic-execution`, `<name>-vpc-access`
 * (when `vpcAccess`) and `<name>-<hash>` per extra managed policy.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
 * @example
 * ```ts
 * import * as aws from "@pulumi/aws";
 * import { LambdaExecutionRole } from "@keyless/aws";
 *
 * const exec = new LambdaExecutionRole("thumbnails", {
 *   statements: [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::uploads/*"] }],
 * });
 * new aws.lambda.Function("thumbnails", { role: exec.roleArn, runtime: "nodejs20.x", handler: "index.handler", code });
 * ```
 */
export class LambdaExecutionRole extends pulumi.ComponentResource {
  /** The IAM role. */
  public readonly role: aws.iam.Role;
  /** The inline policy holding `statements`, when there are any. */
  public readonly policy?: aws.iam.RolePolicy;
  /** Managed policy attachments: basic execution, VPC access, then `managedPolicies`. */
  public readonly policyAttachments: aws.iam.RolePolicyAttachment[];
  /** The role ARN, for `aws.lambda.Function.role`. */
  public readonly roleArn: pulumi.Output<string>;
  /** The role name. */
  public readonly roleName: pulumi.Output<string>;

  /**
   * @param name - component name; children are named from it
   * @param args - permissions and options
   * @param opts - component options
   */
  constructor(name: string, args?: LambdaExecutionRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    const a = args ?? {};
    validateLambdaArgs(a);
    super("keyless:aws:LambdaExecutionRole", name, {}, opts);
    const built = buildRole(this, name, a, serviceTrust({ service: WorkloadService.Lambda }));
    const partition = aws.getPartitionOutput({}, { parent: this }).partition;
    const managed = (policyName: string) =>
      pulumi.interpolate`arn:${partition}:iam::aws:policy/service-role/${policyName}`;
    const builtIn: aws.iam.RolePolicyAttachment[] = [];
    if (a.basicExecution ?? true) {
      builtIn.push(
        new aws.iam.RolePolicyAttachment(
          `${name}-basic-execution`,
          { role: built.role.name, policyArn: managed("AWSLambdaBasicExecutionRole") },
          { parent: this },
        ),
      );
    }
    if (a.vpcAccess ?? false) {
      builtIn.push(
        new aws.iam.RolePolicyAttachment(
          `${name}-vpc-access`,
          { role: built.role.name, policyArn: managed("AWSLambdaVPCAccessExecutionRole") },
          { parent: this },
        ),
      );
    }
    this.role = built.role;
    if (built.policy !== undefined) this.policy = built.policy;
    this.policyAttachments = [...builtIn, ...built.attachments];
    this.roleArn = built.role.arn;
    this.roleName = built.role.name;
    this.registerOutputs({ role: this.role, roleArn: this.roleArn, roleName: this.roleName });
  }
}
