/**
 * A deployed function's handler, run as the Lambda Node.js runtime runs it, where LocalStack cannot (its Lambda runs
 * functions in Docker only): the configuration and the code read back from LocalStack's Lambda, the execution role's
 * session delivered as Lambda delivers it (trust evaluated for `lambda.amazonaws.com` first), and the handler in a
 * local Node.js process that speaks the Runtime API.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  type FunctionConfiguration,
  GetFunctionCommand,
  type GetFunctionCommandOutput,
  LambdaClient,
} from "@aws-sdk/client-lambda";
import { localStackClientConfig, localStackEndpoint } from "../localstack";
import { motoEndpoint } from "../provider/clients";
import { assumeRoleAsService } from "../service-credentials";
import { accessKeyFingerprint, type SignedCall } from "../signing-recorder";
import { lambdaEnvironment, parseFunctionArn } from "./environment";
import { LambdaRuntimeUnsupportedError, LambdaServiceError } from "./errors";
import { ExecutionEnvironment } from "./execution-environment";
import { downloadCode, unpackZip } from "./function-code";
import type { LambdaErrorPayload } from "./protocol";
import { RuntimeApiServer } from "./runtime-api";

/** Options of {@link startLambdaRuntime}. */
export interface LambdaRuntimeOptions {
  /**
   * Where the function's AWS calls go: its `AWS_ENDPOINT_URL`. Not a Lambda variable: the emulator stands in for
   * AWS's endpoints.
   * @default - {@link localStackEndpoint}
   */
  readonly endpoint?: string;
  /**
   * Where the function's DynamoDB calls go: its `AWS_ENDPOINT_URL_DYNAMODB` (moto serves DynamoDB here). Not a Lambda
   * variable either.
   * @default - {@link motoEndpoint}
   */
  readonly dynamodbEndpoint?: string;
}

/** The execution role's session of the current execution environment: who the function is, never its keys. */
export interface LambdaSession {
  /** `arn:aws:sts::<account>:assumed-role/<role>/<function name>`. */
  readonly assumedRoleArn: string;
  readonly expiration: Date;
  /**
   * {@link accessKeyFingerprint} (SHA-256, hex) of the session's access key id: compare it with what signed a request
   * ({@link SignedCall.keyFingerprint}), without showing the id.
   */
  readonly accessKeyIdSha256: string;
}

/** What an invocation returned, as `Invoke` (RequestResponse) returns it. */
export interface LambdaInvocation {
  /** 200: the function ran, whether or not it failed. */
  readonly statusCode: 200;
  readonly executedVersion: string;
  /** `Unhandled` when the function failed (`X-Amz-Function-Error`); its payload is then Lambda's error shape. */
  readonly functionError?: "Unhandled";
  /**
   * The handler's result, parsed from JSON (`null` for `undefined`), or, on a function error, Lambda's error shape
   * {@link LambdaErrorPayload} (`errorType`, `errorMessage`, `trace`).
   */
  readonly payload: unknown;
  readonly requestId: string;
  /** Whether a new execution environment was started for it (the role assumed, the handler loaded). */
  readonly coldStart: boolean;
  /** From the event's submission to the runtime's report, in milliseconds. */
  readonly durationMs: number;
  /**
   * The log lines as Lambda writes them to the function's log stream (`START`, the function's output, `END`,
   * `REPORT`), with the session's keys replaced by `***`.
   */
  readonly logs: string;
}

/** A deployed function, runnable locally. Stop it with {@link LambdaRuntime.stop}. */
export interface LambdaRuntime {
  readonly functionName: string;
  readonly functionArn: string;
  /** The execution role, from the function's configuration. */
  readonly roleArn: string;
  /** The configuration read back from Lambda when the runtime started. */
  readonly configuration: FunctionConfiguration;
  /** The session of the current execution environment, once an invocation started one. */
  readonly session: LambdaSession | undefined;
  /**
   * Invokes the function with `event` (RequestResponse), one invocation at a time. The first invocation, and the
   * first after the environment timed out or exited, is a cold start: the role is assumed for Lambda then, and a role
   * whose trust does not admit `lambda.amazonaws.com` rejects with {@link LambdaServiceError}
   * `AccessDeniedException`, as `Invoke` does.
   * @param event - any JSON value @default {}
   */
  invoke(event?: unknown): Promise<LambdaInvocation>;
  /** Ends the execution environment and deletes the unpacked code. Safe to call twice. */
  stop(): Promise<void>;
}

/** How long an environment may take to initialize (load the handler) before it asks for its event: Lambda's limit. */
const INIT_TIMEOUT_MS = 10_000;

/**
 * Node.js flags the Lambda runtime applies: it disables experimental features that upstream Node.js enables.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html
 */
const NODE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  "nodejs20.x": ["--no-experimental-require-module"],
  "nodejs22.x": ["--no-experimental-require-module", "--no-experimental-detect-module"],
};

/** Lambda's answer to `Invoke` when it cannot assume the execution role (its trust, or the role is gone). */
const ROLE_NOT_ASSUMABLE = "The role defined for the function cannot be assumed by Lambda.";

/** The `@aws-sdk` directory the harness itself resolves: the SDK the runtime ships, as `/var/runtime/node_modules`. */
function awsSdkDir(): string {
  let dir = path.dirname(require.resolve("@aws-sdk/client-lambda"));
  while (path.basename(dir) !== "@aws-sdk") {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("cannot find the @aws-sdk directory of the harness's own dependencies");
    dir = up;
  }
  return dir;
}

function validate(c: FunctionConfiguration, name: string): void {
  if (c.PackageType === "Image") {
    throw new LambdaRuntimeUnsupportedError(`function ${name} is a container image: only .zip packages run locally`);
  }
  if (!c.Runtime?.startsWith("nodejs")) {
    throw new LambdaRuntimeUnsupportedError(
      `function ${name} has runtime ${JSON.stringify(c.Runtime)}: only the Node.js runtimes (nodejs*) run locally`,
    );
  }
  if ((c.Layers ?? []).length > 0) {
    throw new LambdaRuntimeUnsupportedError(`function ${name} has layers: layers are not unpacked locally`);
  }
  if (c.State !== "Active") {
    // Invoke's answer while a function is Pending, Inactive or Failed.
    throw new LambdaServiceError(
      "ResourceConflictException",
      409,
      `The operation cannot be performed at this time. The function is currently in the following state: ${c.State}`,
    );
  }
}

/**
 * Reads a deployed function back from LocalStack's Lambda (GetFunction: its configuration and `Code.Location`),
 * downloads and unpacks its code into a temp task root, and returns a runtime that invokes its handler in a local
 * Node.js child process with the environment the Lambda runtime gives a function:
 *
 * - the execution role's session in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, from
 *   {@link assumeRoleAsService} as `lambda.amazonaws.com` with the function name as session name, the function's
 *   account and ARN as `aws:SourceAccount` and `aws:SourceArn`;
 * - Lambda's reserved variables (`_HANDLER`, `AWS_REGION`, `AWS_DEFAULT_REGION`, `AWS_EXECUTION_ENV`,
 *   `AWS_LAMBDA_FUNCTION_NAME`, `AWS_LAMBDA_FUNCTION_VERSION`, `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`,
 *   `AWS_LAMBDA_INITIALIZATION_TYPE`, `AWS_LAMBDA_LOG_GROUP_NAME`, `AWS_LAMBDA_LOG_STREAM_NAME`,
 *   `AWS_LAMBDA_RUNTIME_API`, `LAMBDA_TASK_ROOT`, `LAMBDA_RUNTIME_DIR`, `TZ`; `_X_AMZN_TRACE_ID` per invocation) and
 *   unreserved ones (`LANG`, `PATH`, `NODE_PATH`), with the function's own variables between them;
 * - the AWS SDK v3 as the runtime ships it: `@aws-sdk/*` resolved from the harness's own dependencies;
 * - and, not Lambda's, `AWS_ENDPOINT_URL` (LocalStack) and `AWS_ENDPOINT_URL_DYNAMODB` (moto).
 *
 * Nothing else of the parent's environment reaches the child. The session's keys are never printed: logs show `***`.
 *
 * @param functionName - the function's name or ARN
 * @throws `ResourceNotFoundException` (LocalStack's) when there is no such function; {@link LambdaServiceError}
 *   `ResourceConflictException` when it is not Active; {@link LambdaRuntimeUnsupportedError} for a container image,
 *   another runtime than Node.js, or layers
 * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-runtime.html
 * @see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
 * @example
 * ```ts
 * const runtime = await startLambdaRuntime(functionArn);
 * try {
 *   const out = await runtime.invoke({ id: "me" });
 *   // out.payload: the handler's result; out.functionError === "Unhandled" with { errorType, errorMessage } if it threw
 *   // runtime.session?.assumedRoleArn === `arn:aws:sts::000000000000:assumed-role/${roleName}/${functionName}`
 * } finally {
 *   await runtime.stop();
 * }
 * ```
 */
export async function startLambdaRuntime(
  functionName: string,
  options: LambdaRuntimeOptions = {},
): Promise<LambdaRuntime> {
  const lambda = new LambdaClient(localStackClientConfig());
  let got: GetFunctionCommandOutput;
  try {
    got = await lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
  } finally {
    lambda.destroy();
  }
  const configuration = got.Configuration ?? {};
  validate(configuration, functionName);
  if (!got.Code?.Location) throw new Error(`GetFunction of ${functionName} returned no code location`);
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyless-lambda-"));
  try {
    const taskRoot = path.join(dir, "task");
    const runtimeDir = path.join(dir, "runtime");
    mkdirSync(taskRoot);
    mkdirSync(path.join(runtimeDir, "node_modules"), { recursive: true });
    symlinkSync(awsSdkDir(), path.join(runtimeDir, "node_modules", "@aws-sdk"), "dir");
    unpackZip(await downloadCode(got.Code.Location, localStackEndpoint()), taskRoot);
    return new LocalLambdaRuntime(configuration, dir, taskRoot, runtimeDir, options);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Starts the function's runtime, invokes it once with `event`, and stops it: a cold start every time.
 * @see startLambdaRuntime
 * @example
 * ```ts
 * const out = await invokeLambdaLocally("visits-dev", { id: "me" });
 * ```
 */
export async function invokeLambdaLocally(
  functionName: string,
  event: unknown = {},
  options: LambdaRuntimeOptions = {},
): Promise<LambdaInvocation> {
  const runtime = await startLambdaRuntime(functionName, options);
  try {
    return await runtime.invoke(event);
  } finally {
    await runtime.stop();
  }
}

class LocalLambdaRuntime implements LambdaRuntime {
  readonly functionName: string;
  readonly functionArn: string;
  readonly roleArn: string;
  session: LambdaSession | undefined;
  private environment: ExecutionEnvironment | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    readonly configuration: FunctionConfiguration,
    private readonly dir: string,
    private readonly taskRoot: string,
    private readonly runtimeDir: string,
    private readonly options: LambdaRuntimeOptions,
  ) {
    this.functionName = configuration.FunctionName ?? "";
    this.functionArn = configuration.FunctionArn ?? "";
    this.roleArn = configuration.Role ?? "";
  }

  invoke(event: unknown = {}): Promise<LambdaInvocation> {
    const run = this.queue.then(() => this.invokeNow(event));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue;
    await this.environment?.dispose();
    this.environment = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async invokeNow(event: unknown): Promise<LambdaInvocation> {
    if (this.stopped) throw new Error(`the local runtime of ${this.functionName} is stopped`);
    let coldStart = false;
    if (!this.environment?.alive) {
      await this.environment?.dispose();
      this.environment = await this.startEnvironment();
      coldStart = true;
    }
    const requestId = randomUUID();
    const version = this.configuration.Version ?? "$LATEST";
    const timeoutSeconds = this.configuration.Timeout ?? 3;
    const got = await this.environment.invoke({
      requestId,
      event: JSON.stringify(event === undefined ? {} : event),
      invokedFunctionArn: this.functionArn,
      traceId: traceHeader(),
      timeoutMs: timeoutSeconds * 1000,
    });
    if (got.report.kind === "init-error") {
      // The runtime exits after reporting; the next invocation starts a new environment.
      await this.environment.dispose();
      this.environment = undefined;
    }
    const report = [
      `REPORT RequestId: ${requestId}`,
      `Duration: ${got.runDurationMs.toFixed(2)} ms`,
      `Memory Size: ${this.configuration.MemorySize ?? 128} MB`,
      ...(got.initDurationMs !== undefined ? [`Init Duration: ${got.initDurationMs.toFixed(2)} ms`] : []),
    ].join("\t");
    const logs = `START RequestId: ${requestId} Version: ${version}\n${got.output}END RequestId: ${requestId}\n${report}\n`;
    return {
      statusCode: 200,
      executedVersion: version,
      ...(got.report.kind === "response" ? {} : { functionError: "Unhandled" as const }),
      payload: parsePayload(got.report.body),
      requestId,
      coldStart,
      durationMs: got.durationMs,
      logs,
    };
  }

  /** A cold start: the role's session for Lambda (or Lambda's refusal), a Runtime API, the child process. */
  private async startEnvironment(): Promise<ExecutionEnvironment> {
    const arn = parseFunctionArn(this.functionArn);
    this.session = undefined;
    let got: Awaited<ReturnType<typeof assumeRoleAsService>>;
    try {
      got = await assumeRoleAsService({
        roleArn: this.roleArn,
        service: "lambda.amazonaws.com",
        sessionName: this.functionName,
        sourceAccount: arn.account,
        sourceArn: this.functionArn,
      });
    } catch (err) {
      if (!/NoSuchEntity/.test((err as Error).name)) throw err;
      got = { refused: true, reason: `the role ${this.roleArn} does not exist` };
    }
    if ("refused" in got) throw new LambdaServiceError("AccessDeniedException", 403, ROLE_NOT_ASSUMABLE, got.reason);
    this.session = {
      assumedRoleArn: got.assumedRoleArn,
      expiration: got.expiration,
      accessKeyIdSha256: accessKeyFingerprint(got.accessKeyId),
    };
    const api = await RuntimeApiServer.start();
    const env = lambdaEnvironment({
      configuration: this.configuration,
      credentials: got,
      runtimeApi: api.address,
      taskRoot: this.taskRoot,
      runtimeDir: this.runtimeDir,
      logStreamName: logStreamName(this.configuration.Version ?? "$LATEST"),
      endpoint: this.options.endpoint ?? localStackEndpoint(),
      dynamodbEndpoint: this.options.dynamodbEndpoint ?? motoEndpoint(),
    });
    return ExecutionEnvironment.spawn({
      env,
      taskRoot: this.taskRoot,
      nodeFlags: NODE_FLAGS[this.configuration.Runtime ?? ""] ?? [],
      api,
      secrets: [got.secretAccessKey, got.sessionToken, got.accessKeyId],
      initTimeoutMs: INIT_TIMEOUT_MS,
    });
  }
}

/** `YYYY/MM/DD/[<version>]<32 hex>`, the shape of a Lambda environment's log stream. */
function logStreamName(version: string): string {
  const d = new Date();
  const day = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, "0")}/${String(d.getUTCDate()).padStart(2, "0")}`;
  return `${day}/[${version}]${randomBytes(16).toString("hex")}`;
}

/** An X-Ray trace header with a new root id, `Root=1-<8 hex time>-<24 hex>;Sampled=0`. */
function traceHeader(): string {
  const time = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${time}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=0`;
}

function parsePayload(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}
