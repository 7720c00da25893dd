/**
 * ECS task credentials, emulated: the task role of a task definition registered in moto, assumed as
 * `ecs-tasks.amazonaws.com` would assume it (trust checked first), served by the ECS agent's container credentials
 * endpoint on loopback; and the AWS SDK's default credential chain run against it in a clean child process.
 * moto's ECS runs no container and no agent, so neither the endpoint nor the credentials exist there.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { DescribeTaskDefinitionCommand, ECSClient } from "@aws-sdk/client-ecs";
import {
  agentExpiration,
  type ContainerCredentialsBody,
  type EndpointRequestRecord,
  startCredentialsEndpoint,
} from "./container-credentials-endpoint";
import { runDefaultChain } from "./default-chain";
import { localStackClientConfig, localStackEndpoint, localStackRegion } from "./localstack";
import { motoEndpoint } from "./provider/clients";
import { assumeRoleAsService, type ServiceCredentials } from "./service-credentials";

/** Thrown when the task definition cannot be served, or the chain through the endpoint fails. */
export class EcsTaskCredentialsError extends Error {
  readonly code: "InvalidArgument" | "TaskDefinitionNotFound" | "TaskDefinitionInactive" | "ChainFailed";
  constructor(code: EcsTaskCredentialsError["code"], message: string) {
    super(message);
    this.code = code;
    this.name = "EcsTaskCredentialsError";
  }
}

/** Options of {@link serveTaskCredentials}. */
export interface TaskCredentialsOptions {
  /**
   * The cluster the task runs in: it names the task's ARN (`task/<cluster>/<task id>`).
   * @default "default"
   */
  readonly cluster?: string;
  /**
   * The task id: the STS session name of the task role, so it ends the caller's ARN,
   * `assumed-role/<task role>/<task id>`.
   * @default - 32 random hexadecimal digits, the shape of an ECS task id.
   */
  readonly taskId?: string;
  /**
   * Lifetime of each task role session, in seconds.
   * @default 21600 - six hours, the default ECS documents for task role credentials.
   * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html
   */
  readonly durationSeconds?: number;
}

/** Why a task gets no credentials from the endpoint. */
export interface TaskCredentialsRefusal {
  /**
   * `NoTaskRole`: the task definition names no task role, and ECS then injects no credentials variable.
   * `TaskRoleNotAssumable`: the role's trust does not admit `ecs-tasks.amazonaws.com` (with the task's
   * `aws:SourceAccount` and `aws:SourceArn`), and ECS does not launch the task.
   */
  readonly code: "NoTaskRole" | "TaskRoleNotAssumable";
  /** What ECS reports (for `TaskRoleNotAssumable`, its own words), never a credential. */
  readonly message: string;
  /** The trust evaluation's reason, for `TaskRoleNotAssumable`. */
  readonly trust?: string;
}

/** The container credentials endpoint of one task. Stop it with {@link TaskCredentialsEndpoint.stop}. */
export interface TaskCredentialsEndpoint {
  /** The task definition served, as moto reports it (`arn:aws:ecs:<region>:<account>:task-definition/<family>:<n>`). */
  readonly taskDefinitionArn: string;
  /** The task id, also the task role's session name. */
  readonly taskId: string;
  /** `arn:aws:ecs:<region>:<account>:task/<cluster>/<task id>`. */
  readonly taskArn: string;
  /** The task role read from the task definition: the only role served. */
  readonly taskRoleArn?: string;
  /** The execution role read from the task definition: the agent's, never served to the container. */
  readonly executionRoleArn?: string;
  /** Set when the endpoint serves this task nothing. */
  readonly refusal?: TaskCredentialsRefusal;
  /** `/v2/credentials/<credentials id>`: what ECS puts in `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`. */
  readonly relativeUri: string;
  /** `http://127.0.0.1:<port>/v2/credentials/<credentials id>`: the same path on loopback. */
  readonly fullUri: string;
  /**
   * The variables the container gets: `AWS_CONTAINER_CREDENTIALS_FULL_URI` and `AWS_CONTAINER_AUTHORIZATION_TOKEN`
   * when a task role is served, none otherwise (as ECS injects none for a task without one).
   * Holds a secret (the token): never print it.
   */
  environment(): Readonly<Record<string, string>>;
  /** The endpoint's answers so far (path, status, error code), with no credential or token. */
  readonly requests: readonly EndpointRequestRecord[];
  /** Stops the endpoint. Safe to call twice. */
  stop(): Promise<void>;
}

/** Served sessions are renewed when fewer than this many milliseconds remain, before the SDK's 5 minutes. */
const RENEW_BEFORE_MS = 15 * 60 * 1000;

/**
 * Serves a task's credentials as the ECS agent does, for a task of `taskDefinition` (an ARN or `family[:revision]`
 * registered in moto): reads the task definition back (DescribeTaskDefinition) and serves its `taskRoleArn`, never
 * its `executionRoleArn`. The role is assumed with {@link assumeRoleAsService} as `ecs-tasks.amazonaws.com`, session
 * name = the task id, `aws:SourceAccount` = the task definition's account and `aws:SourceArn` =
 * `arn:aws:ecs:<region>:<account>:task/<task id>` (see the README: what AWS documents for these keys). The endpoint
 * listens on a free loopback port under the agent's path, `/v2/credentials/<credentials id>`, and requires the
 * `Authorization` token it generates (32 random bytes); sessions are renewed when fewer than 15 minutes remain.
 *
 * A task definition without a task role, or whose role does not trust ECS tasks, is still given an endpoint and a
 * credentials id, which the endpoint answers as the agent answers an id it holds nothing for: 400
 * `InvalidIdInRequest`; `refusal` says why and `environment()` is empty.
 *
 * Not emulated: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` itself (the SDK fetches it from 169.254.170.2:80, which
 * cannot be bound here), RunTask's `taskRoleArn` override, and tasks in moto (moto runs none without an EC2 subnet
 * of its own; the task id and ARN are the harness's).
 *
 * @param taskDefinition - the task definition's ARN or `family[:revision]`, as DescribeTaskDefinition takes it
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html
 * @see https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html
 * @example
 * ```ts
 * const task = await serveTaskCredentials(taskDefinitionArn);
 * try {
 *   const who = await callerIdentityThroughTaskCredentials(task);
 *   // who.arn === `arn:aws:sts::000000000000:assumed-role/${taskRoleName}/${task.taskId}`
 * } finally {
 *   await task.stop();
 * }
 * ```
 */
export async function serveTaskCredentials(
  taskDefinition: string,
  options: TaskCredentialsOptions = {},
): Promise<TaskCredentialsEndpoint> {
  validateOptions(options);
  const definition = await readTaskDefinition(taskDefinition);
  const [, , , region, account] = definition.arn.split(":");
  const taskId = options.taskId ?? randomBytes(16).toString("hex");
  const cluster = options.cluster ?? "default";
  const taskArn = `arn:aws:ecs:${region}:${account}:task/${cluster}/${taskId}`;
  const credentialsId = randomUUID();
  const token = randomBytes(32).toString("base64url");

  let refusal: TaskCredentialsRefusal | undefined;
  let held: ServiceCredentials | undefined;
  const assume = async (roleArn: string): Promise<void> => {
    const got = await assumeRoleAsService({
      roleArn,
      service: "ecs-tasks.amazonaws.com",
      sessionName: taskId,
      sourceAccount: account as string,
      sourceArn: `arn:aws:ecs:${region}:${account}:task/${taskId}`,
      durationSeconds: options.durationSeconds ?? 21_600,
    });
    if ("refused" in got) {
      held = undefined;
      refusal = {
        code: "TaskRoleNotAssumable",
        message:
          `ECS was unable to assume the role '${roleArn}' that was provided for this task. Please verify that the ` +
          "role being passed has the proper trust relationship and permissions and that your IAM user has " +
          "permissions to pass this role.",
        trust: got.reason,
      };
    } else {
      held = got;
    }
  };
  const roleArn = definition.taskRoleArn;
  if (roleArn === undefined) {
    refusal = {
      code: "NoTaskRole",
      message: `task definition ${definition.arn} has no task role: ECS gives its containers no credentials endpoint`,
    };
  } else {
    await assume(roleArn);
  }

  let renewing: Promise<void> | undefined;
  const endpoint = await startCredentialsEndpoint({
    authorizationToken: token,
    async credentialsFor(id) {
      if (id !== credentialsId || roleArn === undefined) return undefined;
      if (held !== undefined && held.expiration.getTime() - Date.now() < RENEW_BEFORE_MS) {
        renewing ??= assume(roleArn).finally(() => {
          renewing = undefined;
        });
        await renewing;
      }
      if (held === undefined) return undefined;
      const body: ContainerCredentialsBody = {
        RoleArn: roleArn,
        AccessKeyId: held.accessKeyId,
        SecretAccessKey: held.secretAccessKey,
        Token: held.sessionToken,
        Expiration: agentExpiration(held.expiration),
      };
      return body;
    },
  });
  const relativeUri = `/v2/credentials/${credentialsId}`;
  const fullUri = `${endpoint.origin}${relativeUri}`;
  const served: TaskCredentialsEndpoint = {
    taskDefinitionArn: definition.arn,
    taskId,
    taskArn,
    ...(roleArn !== undefined ? { taskRoleArn: roleArn } : {}),
    ...(definition.executionRoleArn !== undefined ? { executionRoleArn: definition.executionRoleArn } : {}),
    get refusal() {
      return refusal;
    },
    relativeUri,
    fullUri,
    environment(): Readonly<Record<string, string>> {
      if (refusal !== undefined) return {};
      return { AWS_CONTAINER_CREDENTIALS_FULL_URI: fullUri, AWS_CONTAINER_AUTHORIZATION_TOKEN: token };
    },
    requests: endpoint.requests,
    stop: () => endpoint.close(),
  };
  TOKENS.set(served, token);
  return served;
}

/** Each endpoint's token, kept out of the endpoint object so that printing it shows no secret. */
const TOKENS = new WeakMap<TaskCredentialsEndpoint, string>();

/** Checks the options before anything is read or served: STS's session name and duration rules, ECS's cluster names. */
function validateOptions(options: TaskCredentialsOptions): void {
  const bad = (name: string, rule: string, value: unknown) =>
    new EcsTaskCredentialsError("InvalidArgument", `\`${name}\` must be ${rule}. Received ${JSON.stringify(value)}.`);
  if (options.taskId !== undefined && !/^[\w+=,.@-]{2,64}$/.test(options.taskId)) {
    throw bad("taskId", "2 to 64 characters of [A-Za-z0-9+=,.@_-] (it is the STS session name)", options.taskId);
  }
  if (options.cluster !== undefined && !/^[A-Za-z0-9_-]{1,255}$/.test(options.cluster)) {
    throw bad("cluster", "an ECS cluster name: 1 to 255 letters, digits, hyphens and underscores", options.cluster);
  }
  const d = options.durationSeconds;
  if (d !== undefined && !(Number.isInteger(d) && d >= 900 && d <= 43_200)) {
    throw bad("durationSeconds", "a whole number of seconds from 900 to 43200", d);
  }
}

/** What a task definition holds, read from moto. */
async function readTaskDefinition(
  taskDefinition: string,
): Promise<{ arn: string; taskRoleArn?: string; executionRoleArn?: string }> {
  const ecs = new ECSClient(localStackClientConfig(motoEndpoint()));
  try {
    const got = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition })).catch((err: unknown) => {
      const name = (err as { name?: string }).name;
      if (name === "ClientException" || name === "InvalidParameterException") return undefined;
      throw err;
    });
    const td = got?.taskDefinition;
    if (td?.taskDefinitionArn === undefined) {
      throw new EcsTaskCredentialsError(
        "TaskDefinitionNotFound",
        `task definition ${taskDefinition} is not registered in ECS (moto at ${motoEndpoint()})`,
      );
    }
    if (td.status === "INACTIVE") {
      throw new EcsTaskCredentialsError(
        "TaskDefinitionInactive",
        `task definition ${td.taskDefinitionArn} is INACTIVE: ECS runs no new task of a deregistered revision`,
      );
    }
    return {
      arn: td.taskDefinitionArn,
      ...(td.taskRoleArn ? { taskRoleArn: td.taskRoleArn } : {}),
      ...(td.executionRoleArn ? { executionRoleArn: td.executionRoleArn } : {}),
    };
  } finally {
    ecs.destroy();
  }
}

/** The ARN and kind of credentials the SDK's default chain obtained through a task's endpoint. */
export interface TaskChainIdentity {
  /** `arn:aws:sts::<account>:assumed-role/<task role>/<task id>`. */
  readonly arn: string;
  readonly account: string;
  /** Whether the credentials are temporary: an `ASIA…` key id with a session token. */
  readonly temporary: boolean;
  /** The first four characters of the access key id: the kind of key, not the key. */
  readonly keyIdPrefix: string;
  /** Whether the chain's container credentials link (`fromHttp`) supplied the credentials. */
  readonly fromContainerCredentials: boolean;
  /** How long the child process took, from spawn to answer, in milliseconds. */
  readonly durationMs: number;
}

/** Options of {@link callerIdentityThroughTaskCredentials}. */
export interface TaskChainOptions {
  /**
   * STS, for `AWS_ENDPOINT_URL_STS`.
   * @default - The LocalStack endpoint.
   */
  readonly stsEndpoint?: string;
  /**
   * The region, for `AWS_REGION`.
   * @default - `AWS_REGION`, else us-east-1.
   */
  readonly region?: string;
  /**
   * The `Authorization` token the container sends (another task's, to see the endpoint refuse it).
   * @default - The task's own token, even when ECS would inject none (the endpoint then answers for the id).
   */
  readonly authorizationToken?: string;
  /**
   * How long the child may take, in milliseconds.
   * @default 30000
   */
  readonly timeoutMs?: number;
}

/**
 * Runs the AWS SDK for JavaScript v3 default credential chain as a task's container would, and asks STS who it is:
 * in a child process whose environment holds only `AWS_CONTAINER_CREDENTIALS_FULL_URI` (the task's endpoint),
 * `AWS_CONTAINER_AUTHORIZATION_TOKEN`, `AWS_REGION` and `AWS_ENDPOINT_URL_STS` (see {@link runDefaultChain}). The
 * endpoint is named even for a task ECS would give none, so that its answer is seen. Rejects with
 * {@link EcsTaskCredentialsError} `ChainFailed` when no credentials are obtained; the token is never in the message.
 *
 * @param task - an endpoint returned by {@link serveTaskCredentials}
 * @see https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html
 * @example
 * ```ts
 * const { arn, fromContainerCredentials } = await callerIdentityThroughTaskCredentials(task);
 * ```
 */
export async function callerIdentityThroughTaskCredentials(
  task: TaskCredentialsEndpoint,
  options: TaskChainOptions = {},
): Promise<TaskChainIdentity> {
  const token = options.authorizationToken ?? TOKENS.get(task);
  if (token === undefined) throw new TypeError("`task` must be an endpoint returned by serveTaskCredentials");
  const answer = await runDefaultChain({
    env: {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: task.fullUri,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: token,
      AWS_REGION: options.region ?? localStackRegion(),
      AWS_ENDPOINT_URL_STS: options.stsEndpoint ?? localStackEndpoint(),
    },
    secrets: [token],
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  if ("refused" in answer || "failed" in answer) {
    const why = "refused" in answer ? `${answer.refused.code}: ${answer.refused.message}` : answer.failed;
    throw new EcsTaskCredentialsError(
      "ChainFailed",
      `the SDK's default credential chain via ${task.fullUri} failed (${why.split(token).join("***")})`,
    );
  }
  const { links, ...who } = answer;
  return { ...who, fromContainerCredentials: links.includes("containerMetadata") };
}
