/** The one error type of the OIDC pieces of the harness: issuer, STS front and web-identity chain. */

/** Why an OIDC helper failed. */
export type OidcHarnessErrorCode =
  /** An argument is missing or malformed; the message names it. */
  | "InvalidArgument"
  /** A loopback server (issuer or STS front) could not start. */
  | "ServerStartFailed"
  /** The SDK's credential chain did not run to an answer (crash, timeout, unreadable output). */
  | "ChainFailed"
  /** STS refused the web identity: {@link OidcHarnessError.awsCode} holds AWS's error code. */
  | "StsRefused";

/**
 * Thrown by the OIDC issuer, the STS front and the web-identity chain. Never carries a token or a secret key: messages
 * name the argument, the AWS error code and AWS's message.
 *
 * @example
 * ```ts
 * await assert.rejects(callerIdentityThroughWebIdentity({ token, roleArn, stsEndpoint }), (err) =>
 *   err instanceof OidcHarnessError && err.awsCode === "AccessDenied" && err.httpStatusCode === 403);
 * ```
 */
export class OidcHarnessError extends Error {
  readonly code: OidcHarnessErrorCode;
  /** AWS's error code when STS refused (`AccessDenied`, `InvalidIdentityToken`, `ExpiredTokenException`). */
  readonly awsCode?: string;
  /** The HTTP status STS answered with (403 for `AccessDenied`, 400 for token errors). */
  readonly httpStatusCode?: number;
  constructor(code: OidcHarnessErrorCode, message: string, aws?: { code: string; status?: number }) {
    super(message);
    this.name = "OidcHarnessError";
    this.code = code;
    if (aws) {
      this.awsCode = aws.code;
      if (aws.status !== undefined) this.httpStatusCode = aws.status;
    }
  }
}
