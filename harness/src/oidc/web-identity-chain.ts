/**
 * The AWS SDK for JavaScript v3 default credential chain, run as a CI job or a pod runs it: a token file and a role
 * ARN in the environment and nothing else, and STS asked who the credentials are.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { localStackRegion } from "../localstack";
import { OidcHarnessError } from "./errors";

/** Options of {@link callerIdentityThroughWebIdentity}. */
export interface WebIdentityChainOptions {
  /** The OIDC token (a bearer credential): written to a 0600 file for `AWS_WEB_IDENTITY_TOKEN_FILE`, never printed. */
  readonly token: string;
  /** The role to assume, for `AWS_ROLE_ARN`. */
  readonly roleArn: string;
  /**
   * The session name, for `AWS_ROLE_SESSION_NAME`: it ends the caller's ARN, `assumed-role/<role>/<session>`.
   * @default - None set: the SDK names the session `aws-sdk-js-session-<epoch ms>`.
   */
  readonly sessionName?: string;
  /** STS, for `AWS_ENDPOINT_URL_STS`: the STS front ({@link StsFront.endpoint}), so AWS's decision is made. */
  readonly stsEndpoint: string;
  /**
   * The region, for `AWS_REGION`.
   * @default - `AWS_REGION`, else us-east-1.
   */
  readonly region?: string;
  /**
   * How long the child may take, in milliseconds.
   * @default 30000
   */
  readonly timeoutMs?: number;
}

/** Who the chain's credentials are, as STS GetCallerIdentity answered. */
export interface WebIdentityChainIdentity {
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
  readonly arn: string;
  /** The account id. */
  readonly account: string;
  /** Whether the credentials are temporary: an `ASIA…` key id with a session token. */
  readonly temporary: boolean;
  /** The first four characters of the access key id: the kind of key, not the key. */
  readonly keyIdPrefix: string;
  /** Whether the chain's web identity link (`fromTokenFile`) supplied the credentials. */
  readonly fromWebIdentity: boolean;
  /** How long the child process took, from spawn to answer, in milliseconds. */
  readonly durationMs: number;
}

/**
 * Runs the SDK v3 default credential chain in a child process whose environment holds only
 * `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`, `AWS_ROLE_SESSION_NAME` (when given), `AWS_REGION` and
 * `AWS_ENDPOINT_URL_STS` (plus `PATH`, a temp `HOME`, config and credentials files that do not exist, and
 * `AWS_EC2_METADATA_DISABLED=true` so a failing chain never reaches for 169.254.169.254), then asks STS
 * GetCallerIdentity. The token goes to a 0600 file in a 0700 temp dir, deleted afterwards; nothing secret leaves the
 * child (the ARN, the account, the key id's kind and booleans).
 *
 * @throws {@link OidcHarnessError} `StsRefused` with `awsCode` (`AccessDenied`, `InvalidIdentityToken`,
 *   `ExpiredTokenException`) and `httpStatusCode` when STS refuses the token; `ChainFailed` when the child fails
 *   otherwise.
 * @see https://docs.aws.amazon.com/sdkref/latest/guide/feature-assume-role-credentials.html
 * @example
 * ```ts
 * const who = await callerIdentityThroughWebIdentity({ token, roleArn, sessionName: "deploy", stsEndpoint: front.endpoint });
 * // who.arn === `arn:aws:sts::000000000000:assumed-role/${roleName}/deploy`
 * ```
 */
export async function callerIdentityThroughWebIdentity(
  options: WebIdentityChainOptions,
): Promise<WebIdentityChainIdentity> {
  for (const key of ["token", "roleArn", "stsEndpoint"] as const) {
    if (typeof options[key] !== "string" || options[key] === "") {
      throw new OidcHarnessError("InvalidArgument", `\`${key}\` must be a non-empty string`);
    }
  }
  const home = mkdtempSync(path.join(os.tmpdir(), "keyless-web-identity-"));
  const missing = path.join(home, "does-not-exist");
  const tokenFile = path.join(home, "token");
  writeFileSync(tokenFile, options.token, { mode: 0o600 });
  const env: Record<string, string> = {
    PATH: process.env["PATH"] ?? "",
    HOME: home,
    AWS_CONFIG_FILE: path.join(missing, "config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(missing, "credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
    AWS_ROLE_ARN: options.roleArn,
    ...(options.sessionName !== undefined ? { AWS_ROLE_SESSION_NAME: options.sessionName } : {}),
    AWS_REGION: options.region ?? localStackRegion(),
    AWS_ENDPOINT_URL_STS: options.stsEndpoint,
  };
  const started = Date.now();
  try {
    const { stdout, failure } = await new Promise<{ stdout: string; failure?: string }>((resolve) => {
      execFile(
        process.execPath,
        ["-e", chainScript(require.resolve("@aws-sdk/client-sts"))],
        { env, cwd: home, timeout: options.timeoutMs ?? 30_000, killSignal: "SIGKILL" },
        (err, out, stderr) => {
          if (!err) return resolve({ stdout: out });
          const why = (err as { killed?: boolean }).killed ? "timed out" : `exit ${String(err.code)}`;
          resolve({ stdout: out, failure: `${why}: ${stderr}` });
        },
      );
    });
    const answer = parse(stdout);
    if (answer && "error" in answer) {
      const e = answer.error;
      throw new OidcHarnessError(
        "StsRefused",
        `STS refused the web identity for ${options.roleArn}: ${e.code} (HTTP ${e.status}): ${redact(e.message, options.token)}`,
        { code: e.code, status: e.status },
      );
    }
    if (!answer || failure !== undefined) {
      throw new OidcHarnessError(
        "ChainFailed",
        `the SDK's default credential chain with a web identity token failed (${redact(failure ?? "no answer", options.token).trim()})`,
      );
    }
    const { hasSessionToken, ...got } = answer;
    return { ...got, temporary: got.keyIdPrefix === "ASIA" && hasSessionToken, durationMs: Date.now() - started };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

type ChildAnswer =
  | { arn: string; account: string; keyIdPrefix: string; hasSessionToken: boolean; fromWebIdentity: boolean }
  | { error: { code: string; status: number; message: string } };

function parse(stdout: string): ChildAnswer | undefined {
  try {
    return JSON.parse(stdout) as ChildAnswer;
  } catch {
    return undefined;
  }
}

/**
 * The child's program: the default chain (STSClient without credentials), then GetCallerIdentity. An STS refusal is
 * reported as its code, HTTP status and message on stdout; anything else crashes with a message on stderr.
 */
function chainScript(clientSts: string): string {
  return `
const { STSClient, GetCallerIdentityCommand } = require(${JSON.stringify(clientSts)});
const debug = [];
const logger = { debug: (...m) => debug.push(m.join(" ")), info() {}, warn() {}, error() {}, trace() {} };
(async () => {
  const sts = new STSClient({ logger });
  let creds;
  try {
    creds = await sts.config.credentials();
  } catch (e) {
    const status = e && e.$metadata && e.$metadata.httpStatusCode;
    if (!status) throw e;
    const code = (e.Error && e.Error.Code) || e.Code || e.name;
    process.stdout.write(JSON.stringify({ error: { code, status, message: String(e.message) } }));
    return;
  }
  const who = await sts.send(new GetCallerIdentityCommand({}));
  process.stdout.write(JSON.stringify({
    arn: who.Arn,
    account: who.Account,
    keyIdPrefix: creds.accessKeyId.slice(0, 4),
    hasSessionToken: Boolean(creds.sessionToken),
    fromWebIdentity: debug.some((m) => m.includes("fromTokenFile")),
  }));
})().catch((e) => {
  process.stderr.write(String(e && e.name) + ": " + String(e && e.message));
  process.exit(1);
});
`;
}

/** Removes the token, and anything shaped like a key or token, from text that may be shown. */
function redact(text: string, token: string): string {
  return text
    .split(token)
    .join("***")
    .replace(/[A-Za-z0-9/+=_.-]{40,}/g, "***");
}
