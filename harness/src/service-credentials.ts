/**
 * A role's credentials as a compute service obtains them for a workload: the service asks STS for the role, and STS
 * first checks that the role's trust policy admits the service. LocalStack checks no trust policy, so the harness
 * decides with iam-rules' one trust evaluation before it asks LocalStack's STS, and refuses what AWS would refuse.
 */
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { evaluateTrust } from "@keyless/iam-rules";
import { localStackClientConfig } from "./localstack";
import { iamDirectory } from "./oidc/directory";

/** The service principals the harness delivers credentials for. */
export type ComputeServicePrincipal = "ec2.amazonaws.com" | "ecs-tasks.amazonaws.com" | "lambda.amazonaws.com";

/** One request of a service for a role's credentials. */
export interface ServiceAssumeRole {
  /** The role's ARN (a path is allowed). */
  readonly roleArn: string;
  /** The service that asks: its principal must be admitted by the role's trust policy. */
  readonly service: ComputeServicePrincipal;
  /** The session name, as the service sets it: the instance id, the task id, the function name. */
  readonly sessionName: string;
  /**
   * The request's `aws:SourceAccount` and `aws:SourceArn`, as the service sends them (confused-deputy conditions).
   * @default - Neither key in the request: a trust that requires them refuses.
   */
  readonly sourceAccount?: string;
  /** @default - Not in the request. */
  readonly sourceArn?: string;
  /**
   * Session lifetime in seconds, as STS takes it (900 to the role's maximum).
   * @default 3600
   */
  readonly durationSeconds?: number;
}

/** Temporary credentials of a role session. Secret: never print them. */
export interface ServiceCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
  readonly assumedRoleArn: string;
}

/** The role's trust does not admit the service: AWS issues nothing, and says so in the service's own way. */
export interface ServiceRefusal {
  readonly refused: true;
  /** The trust evaluation's reason: which statements, never any credential. */
  readonly reason: string;
}

/**
 * Gets a role's credentials for `request.service`, as that service would: reads the role's trust policy from IAM
 * (as the STS front does, {@link iamDirectory}: a role ARN whose path differs names no role),
 * evaluates it for the service principal with the request's source account and ARN (`evaluateTrust`), and only when
 * it admits the service asks LocalStack's STS (AssumeRole, the service's session name).
 *
 * @returns the credentials, or a {@link ServiceRefusal} when the trust does not admit the service
 * @example
 * ```ts
 * const got = await assumeRoleAsService({ roleArn, service: "ec2.amazonaws.com", sessionName: instanceId });
 * if ("refused" in got) console.log(got.reason); // what EC2 serves as AssumeRoleUnauthorizedAccess
 * ```
 */
export async function assumeRoleAsService(request: ServiceAssumeRole): Promise<ServiceCredentials | ServiceRefusal> {
  const trust = await iamDirectory().roleTrustPolicy(request.roleArn);
  if (trust === undefined) throw new Error(`role ${request.roleArn} does not exist in IAM (NoSuchEntity)`);
  const context: Record<string, string> = {};
  if (request.sourceAccount !== undefined) context["aws:SourceAccount"] = request.sourceAccount;
  if (request.sourceArn !== undefined) context["aws:SourceArn"] = request.sourceArn;
  const decision = evaluateTrust(trust, { principal: { service: request.service }, action: "sts:AssumeRole", context });
  if (!decision.allowed) return { refused: true, reason: `${request.service}: ${decision.reason}` };
  const sts = new STSClient(localStackClientConfig());
  try {
    const got = await sts.send(
      new AssumeRoleCommand({
        RoleArn: request.roleArn,
        RoleSessionName: request.sessionName,
        DurationSeconds: request.durationSeconds ?? 3600,
      }),
    );
    const c = got.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new Error(`STS AssumeRole of ${request.roleArn} returned no credentials`);
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: new Date(c.Expiration),
      assumedRoleArn: got.AssumedRoleUser?.Arn ?? "",
    };
  } finally {
    sts.destroy();
  }
}
