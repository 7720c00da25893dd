/**
 * Runs a command as software on a deployed instance would: no key anywhere in its environment or its files, only the
 * instance's metadata service (IMDSv2) to get credentials from, the way the AWS CLI and SDKs on EC2 get them.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { InstanceMetadataServer } from "./imds";
import { localStackEndpoint, localStackRegion } from "./localstack";

/** Thrown when the command cannot be run as asked (a key in its environment, no AWS CLI, a timeout). */
export class RunOnInstanceError extends Error {
  readonly code: "InvalidOptions" | "AwsCliMissing" | "Timeout";
  constructor(code: RunOnInstanceError["code"], message: string) {
    super(message);
    this.code = code;
    this.name = "RunOnInstanceError";
  }
}

/** Options of {@link runOnInstance}. */
export interface RunOnInstanceOptions {
  /**
   * Where every AWS call goes: `AWS_ENDPOINT_URL`, honoured by the AWS CLI v1.29+ and the SDKs. Point it at a
   * {@link startSigningRecorder} to record who signed each call.
   * @default - The LocalStack endpoint.
   */
  readonly endpoint?: string;
  /**
   * The working directory (a sandbox standing for the instance's file system, for example).
   * @default - A fresh temporary directory, deleted afterwards.
   */
  readonly cwd?: string;
  /**
   * More variables for the command (never AWS credentials, profiles or other credential sources: those are refused).
   * @default {}
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * `AWS_REGION` and `AWS_DEFAULT_REGION`.
   * @default - `localStackRegion()`
   */
  readonly region?: string;
  /**
   * The AWS CLI's `bin` directory, put first on PATH.
   * @default - {@link awsCliBinDir}()
   */
  readonly awsCliBinDir?: string;
  /**
   * How long the command may run, in milliseconds, before it is killed and the call rejects.
   * @default 120000
   */
  readonly timeoutMs?: number;
}

/** How the command ended. */
export interface InstanceRun {
  /** The exit code; `null` when it was ended by a signal. */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** From spawn to exit, in milliseconds. */
  readonly durationMs: number;
}

/**
 * Variables that would hand the command credentials (or a source of credentials) other than the instance's metadata
 * service, or switch that service off: refused in {@link RunOnInstanceOptions.env}.
 */
const CREDENTIAL_VARIABLES =
  /^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|AWS_SECURITY_TOKEN|AWS_PROFILE|AWS_DEFAULT_PROFILE|AWS_CONFIG_FILE|AWS_SHARED_CREDENTIALS_FILE|AWS_CONTAINER_.*|AWS_WEB_IDENTITY_TOKEN_FILE|AWS_ROLE_ARN|AWS_ROLE_SESSION_NAME|AWS_EC2_METADATA_.*|AWS_CREDENTIAL_.*)$/;

/**
 * Runs `command` (argv: `["bash", "script.sh"]`, `["aws", "sts", "get-caller-identity"]`) as software on the instance
 * that `imds` serves would run it. Its environment holds no key and nothing to find one with but the metadata
 * service: `AWS_EC2_METADATA_SERVICE_ENDPOINT` (the instance's {@link InstanceMetadataServer.endpoint}),
 * `AWS_EC2_METADATA_V1_DISABLED=true` (IMDSv2 only, no token-less fallback), `AWS_ENDPOINT_URL`, `AWS_REGION`,
 * `AWS_DEFAULT_REGION`, `PATH` (the AWS CLI first, then `/usr/local/bin:/usr/bin:/bin`), `HOME` (an empty temporary
 * directory: no `~/.aws/config` or `credentials`), `LANG`, and `options.env`. Nothing of the parent's environment is
 * passed on. The command's output is returned, never printed.
 *
 * It resolves whatever the exit code is: check {@link InstanceRun.exitCode}. It rejects with
 * {@link RunOnInstanceError} when `options.env` names a credential variable (`InvalidOptions`), when the AWS CLI is
 * missing (`AwsCliMissing`) or on timeout (`Timeout`, after killing the command).
 *
 * @param imds - the instance's metadata service, from {@link serveInstanceMetadata}
 * @param command - the program and its arguments
 * @example
 * ```ts
 * const imds = await serveInstanceMetadata(instanceId);
 * const recorder = await startSigningRecorder({ upstream: localStackEndpoint() });
 * const run = await runOnInstance(imds, ["aws", "sts", "get-caller-identity"], { endpoint: recorder.endpoint });
 * // JSON.parse(run.stdout).Arn === `arn:aws:sts::000000000000:assumed-role/${imds.roleName}/${instanceId}`
 * ```
 * @see https://docs.aws.amazon.com/cli/v1/userguide/cli-configure-envvars.html
 */
export async function runOnInstance(
  imds: Pick<InstanceMetadataServer, "endpoint">,
  command: readonly [string, ...string[]],
  options: RunOnInstanceOptions = {},
): Promise<InstanceRun> {
  if (command.length === 0 || !command[0]) {
    throw new RunOnInstanceError("InvalidOptions", "`command` must name a program, for example ['bash', 'script.sh']");
  }
  const refused = Object.keys(options.env ?? {}).filter((name) => CREDENTIAL_VARIABLES.test(name));
  if (refused.length > 0) {
    throw new RunOnInstanceError(
      "InvalidOptions",
      `\`env\` must hold no credentials or credential source: software on the instance gets them from IMDS; it names ${refused.join(", ")}`,
    );
  }
  const cliBin = options.awsCliBinDir ?? awsCliBinDir();
  const region = options.region ?? localStackRegion();
  const home = mkdtempSync(path.join(os.tmpdir(), "keyless-instance-home-"));
  const cwd = options.cwd ?? mkdtempSync(path.join(os.tmpdir(), "keyless-instance-cwd-"));
  const timeoutMs = options.timeoutMs ?? 120_000;
  const env: Record<string, string> = {
    ...options.env,
    PATH: [cliBin, "/usr/local/bin", "/usr/bin", "/bin"].join(path.delimiter),
    HOME: home,
    LANG: "C.UTF-8",
    AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint,
    AWS_EC2_METADATA_V1_DISABLED: "true",
    AWS_ENDPOINT_URL: options.endpoint ?? localStackEndpoint(),
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
  };
  const started = Date.now();
  try {
    return await new Promise<InstanceRun>((resolve, reject) => {
      const child = spawn(command[0], command.slice(1), { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (c: string) => {
        stdout += c;
      });
      child.stderr.setEncoding("utf8").on("data", (c: string) => {
        stderr += c;
      });
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(
          new RunOnInstanceError(
            "Timeout",
            `\`${command.join(" ")}\` did not finish within ${timeoutMs} ms\n${stderr}`,
          ),
        );
      }, timeoutMs);
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once("close", (exitCode) => {
        clearTimeout(timer);
        resolve({ exitCode, stdout, stderr, durationMs: Date.now() - started });
      });
    });
  } finally {
    rmSync(home, { recursive: true, force: true });
    if (options.cwd === undefined) rmSync(cwd, { recursive: true, force: true });
  }
}

/**
 * The `bin` directory of the AWS CLI the harness runs: `KEYLESS_AWS_CLI_BIN`, else the repository's pinned
 * `.tools/python-tools/awscli/bin` (`npm run toolchain` installs awscli there). Throws {@link RunOnInstanceError}
 * `AwsCliMissing` saying how to install it: call it first to fail fast.
 *
 * @example
 * ```ts
 * before(() => awsCliBinDir());
 * ```
 */
export function awsCliBinDir(): string {
  const named = process.env["KEYLESS_AWS_CLI_BIN"];
  const dir = named || path.resolve(__dirname, "..", "..", ".tools", "python-tools", "awscli", "bin");
  if (existsSync(path.join(dir, "aws"))) return dir;
  throw new RunOnInstanceError(
    "AwsCliMissing",
    named
      ? `KEYLESS_AWS_CLI_BIN names ${named}, which holds no \`aws\``
      : `no AWS CLI at ${dir}. Install it with \`npm run toolchain\`, or set KEYLESS_AWS_CLI_BIN to its bin directory.`,
  );
}
