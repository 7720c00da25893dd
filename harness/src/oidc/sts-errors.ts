/**
 * The errors STS answers `AssumeRoleWithWebIdentity` with, in STS's protocol (awsQuery: an XML `ErrorResponse`), with
 * AWS's codes, HTTP statuses and messages. Codes and statuses are the STS service model's (as the AWS SDK for
 * JavaScript v3 carries it: `AccessDenied` 403 is STS's generic refusal, `InvalidIdentityToken` 400,
 * `ExpiredTokenException` 400); messages are those AWS returns, as seen in its answers.
 */
import { randomUUID } from "node:crypto";

/** A refusal, as STS gives it. */
export interface StsRefusal {
  /** AWS's error code. */
  readonly code: "AccessDenied" | "InvalidIdentityToken" | "ExpiredTokenException" | "ValidationError";
  /** The HTTP status. */
  readonly status: 400 | 403;
  /** AWS's message: never the token. */
  readonly message: string;
}

/** The trust policy does not admit the token (or the role does not exist: STS does not say which). */
export function accessDenied(): StsRefusal {
  return { code: "AccessDenied", status: 403, message: "Not authorized to perform sts:AssumeRoleWithWebIdentity" };
}

/** The token cannot be validated; `message` is the reason AWS gives. */
export function invalidIdentityToken(message: string): StsRefusal {
  return { code: "InvalidIdentityToken", status: 400, message };
}

/** The token's `exp` has passed (epoch seconds), in AWS's words. */
export function expiredToken(nowSeconds: number, expSeconds: number): StsRefusal {
  return {
    code: "ExpiredTokenException",
    status: 400,
    message: `Token expired: current date/time ${nowSeconds} must be before the expiration date/time ${expSeconds}`,
  };
}

/** A required parameter is missing (the AWS API's validation message). */
export function missingParameter(member: string): StsRefusal {
  return {
    code: "ValidationError",
    status: 400,
    message: `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
  };
}

/** AWS's messages for the token checks, one place for each wording. */
export const TOKEN_MESSAGES = {
  /** The token is not a JWT, or its signature does not verify (the STS API reference's description). */
  notValidated:
    "The web identity token that was passed could not be validated by Amazon Web Services. Get a new identity token " +
    "from the identity provider and then retry the request.",
  /** No key of the issuer's JWKS matches the token, or the issuer's keys cannot be fetched. */
  noVerificationKey:
    "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity " +
    "documentation for requirements",
  /** `aud` names no client id of the IAM OIDC provider. */
  audience: "Incorrect token audience",
  /** No IAM OIDC provider in the role's account has the token's issuer URL. */
  noProvider: (issuer: string) => `No OpenIDConnect provider found in your account for ${issuer}`,
  /** A claim STS needs is absent. */
  missingClaim: (claim: string) => `Missing a required claim: ${claim}`,
} as const;

const escapeXml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");

/** The HTTP answer for a refusal: STS's XML `ErrorResponse`, `text/xml`, with a request id. */
export function stsErrorResponse(
  refusal: StsRefusal,
  requestId: string = randomUUID(),
): {
  status: number;
  headers: Record<string, string>;
  body: string;
} {
  const body =
    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n' +
    "  <Error>\n" +
    "    <Type>Sender</Type>\n" +
    `    <Code>${escapeXml(refusal.code)}</Code>\n` +
    `    <Message>${escapeXml(refusal.message)}</Message>\n` +
    "  </Error>\n" +
    `  <RequestId>${requestId}</RequestId>\n` +
    "</ErrorResponse>\n";
  return {
    status: refusal.status,
    headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
    body,
  };
}
