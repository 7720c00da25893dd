/**
 * The AWS SDK for JavaScript v3 default credential chain, run as a CI job or a pod runs it: a token file and a role
 * ARN in the environment and nothing else, and STS asked who the credentials are.
 */
import { runDefaultChain } from "../default-chain";
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
  const answer = await runDefaultChain({
    env: {
      AWS_WEB_IDENTITY_TOKEN_FILE: "{file:token}",
      AWS_ROLE_ARN: options.roleArn,
      ...(options.sessionName !== undefined ? { AWS_ROLE_SESSION_NAME: options.sessionName } : {}),
      AWS_REGION: options.region ?? localStackRegion(),
      AWS_ENDPOINT_URL_STS: options.stsEndpoint,
    },
    files: { token: options.token },
    secrets: [options.token],
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  if ("refused" in answer) {
    const e = answer.refused;
    throw new OidcHarnessError(
      "StsRefused",
      `STS refused the web identity for ${options.roleArn}: ${e.code} (HTTP ${e.status}): ${e.message}`,
      { code: e.code, status: e.status },
    );
  }
  if ("failed" in answer) {
    throw new OidcHarnessError(
      "ChainFailed",
      `the SDK's default credential chain with a web identity token failed (${answer.failed})`,
    );
  }
  const { links, ...who } = answer;
  return { ...who, fromWebIdentity: links.includes("webIdentityTokenFile") };
}
