/**
 * The environment variables a Lambda Node.js runtime gives a function, built from its configuration as LocalStack
 * returns it (GetFunctionConfiguration) and the execution role's session.
 */
import path from "node:path";
import type { FunctionConfiguration } from "@aws-sdk/client-lambda";

/** What {@link lambdaEnvironment} builds the variables from. */
export interface EnvironmentInputs {
  /** The function's configuration, read back from Lambda. */
  readonly configuration: FunctionConfiguration;
  /** The execution role's session (secret: only the child's environment holds it). */
  readonly credentials: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken: string;
  };
  /** `host:port` of the Runtime API the child's bootstrap polls. */
  readonly runtimeApi: string;
  /** Where the function's code is unpacked: stands for `/var/task`. */
  readonly taskRoot: string;
  /** The runtime's directory (its `node_modules` holds the AWS SDK): stands for `/var/runtime`. */
  readonly runtimeDir: string;
  /** The environment's CloudWatch Logs stream name, `YYYY/MM/DD/[$LATEST]<id>`. */
  readonly logStreamName: string;
  /** `AWS_ENDPOINT_URL`: where every AWS call goes. */
  readonly endpoint: string;
  /** `AWS_ENDPOINT_URL_DYNAMODB`: where DynamoDB calls go. */
  readonly dynamodbEndpoint: string;
}

/** The parts of a function ARN, `arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]`. */
export interface FunctionArnParts {
  readonly region: string;
  readonly account: string;
  readonly name: string;
}

/** Splits a function ARN; throws naming the value when it is not one. */
export function parseFunctionArn(arn: string): FunctionArnParts {
  const m = /^arn:[^:]+:lambda:([^:]+):(\d{12}):function:([^:]+)(?::[^:]+)?$/.exec(arn);
  if (!m) throw new Error(`not a Lambda function ARN: ${JSON.stringify(arn)}`);
  return { region: m[1] as string, account: m[2] as string, name: m[3] as string };
}

/**
 * The variables, in three layers as Lambda sets them: the unreserved defaults (`LANG`, `PATH`, `NODE_PATH`), which
 * the function's own variables may override; the function's own variables; then the reserved variables, which a
 * function cannot set. Plus the two endpoint variables, the only ones Lambda does not set.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-runtime.html
 */
export function lambdaEnvironment(inputs: EnvironmentInputs): Record<string, string> {
  const c = inputs.configuration;
  const arn = parseFunctionArn(c.FunctionArn ?? "");
  const runtime = c.Runtime ?? "";
  const unreserved: Record<string, string> = {
    LANG: "en_US.UTF-8",
    // Lambda's PATH starts with /var/lang/bin, where its node is: here, the directory of the node that runs the child.
    PATH: [path.dirname(process.execPath), "/usr/local/bin", "/usr/bin/", "/bin", "/opt/bin"].join(path.delimiter),
    // As `/var/runtime/node_modules:/var/runtime:/var/task`; no layers (`/opt/nodejs/...`).
    NODE_PATH: [path.join(inputs.runtimeDir, "node_modules"), inputs.runtimeDir, inputs.taskRoot].join(path.delimiter),
  };
  const reserved: Record<string, string> = {
    _HANDLER: c.Handler ?? "",
    AWS_DEFAULT_REGION: arn.region,
    AWS_REGION: arn.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: c.FunctionName ?? arn.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(c.MemorySize ?? 128),
    AWS_LAMBDA_FUNCTION_VERSION: c.Version ?? "$LATEST",
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_LAMBDA_LOG_GROUP_NAME: c.LoggingConfig?.LogGroup ?? `/aws/lambda/${c.FunctionName ?? arn.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: inputs.logStreamName,
    AWS_ACCESS_KEY_ID: inputs.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: inputs.credentials.secretAccessKey,
    AWS_SESSION_TOKEN: inputs.credentials.sessionToken,
    AWS_LAMBDA_RUNTIME_API: inputs.runtimeApi,
    LAMBDA_TASK_ROOT: inputs.taskRoot,
    LAMBDA_RUNTIME_DIR: inputs.runtimeDir,
    TZ: ":UTC",
  };
  // Not Lambda's: the emulators stand in for AWS's endpoints.
  const endpoints = { AWS_ENDPOINT_URL: inputs.endpoint, AWS_ENDPOINT_URL_DYNAMODB: inputs.dynamodbEndpoint };
  return { ...unreserved, ...(c.Environment?.Variables ?? {}), ...reserved, ...endpoints };
}
