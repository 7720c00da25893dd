/**
 * The checks STS makes on a web identity token before it looks at any trust policy: a JWT, an issuer for which the
 * role's account has an IAM OIDC provider, a signature by one of the issuer's published keys, not expired, not
 * before its time, and an audience the provider lists. Each failure is answered as AWS answers it.
 */
import { issuerHostPath } from "@keyless/iam-rules";
import type { IamOidcProvider, WebIdentityDirectory } from "./directory";
import { type JwtClaims, jose, type KeySet } from "./jose";
import { expiredToken, invalidIdentityToken, type StsRefusal, TOKEN_MESSAGES } from "./sts-errors";

/** The algorithms STS accepts for OIDC ID tokens. */
const ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"];

/** A token STS would accept: its claims and the IAM OIDC provider that vouches for its issuer. */
export interface VerifiedToken {
  readonly ok: true;
  readonly provider: IamOidcProvider;
  readonly claims: JwtClaims;
}

/** A token STS would refuse, and how. */
export interface RefusedToken {
  readonly ok: false;
  readonly refusal: StsRefusal;
  /** The token's `iss` and `sub` when they could be read (not secret; for the decision log). */
  readonly issuer?: string;
  readonly subject?: string;
}

/** What verification needs besides the token. */
export interface TokenVerificationContext {
  /** The account of the role asked for: its OIDC providers are the ones that count. */
  readonly account: string;
  readonly directory: WebIdentityDirectory;
  /** The issuer's published keys, found as STS finds them (discovery, then `jwks_uri`); undefined when unreachable. */
  keys(issuer: string): Promise<KeySet | undefined>;
  /** @default - Now. */
  readonly now?: Date;
}

const errorCode = (err: unknown): string => String((err as { code?: unknown }).code ?? "");

/**
 * Verifies `token` as STS does for AssumeRoleWithWebIdentity, in this order: it is a JWT (else
 * `InvalidIdentityToken`, the API reference's message); it has an `iss` (else "Missing a required claim: iss"); the
 * role's account has an IAM OIDC provider for that issuer (else "No OpenIDConnect provider found in your account for
 * <iss>"); a key of the issuer's JWKS matches (else "Couldn't retrieve verification key from your identity
 * provider, ..."); the signature verifies; `exp` has not passed (else `ExpiredTokenException` "Token expired: ...");
 * `nbf` has; `aud` names one of the provider's client ids (else "Incorrect token audience"). The token itself never
 * appears in a refusal.
 */
export async function verifyWebIdentityToken(
  token: string,
  context: TokenVerificationContext,
): Promise<VerifiedToken | RefusedToken> {
  const { decodeJwt, jwtVerify } = await jose();
  const refuse = (message: string, claims?: JwtClaims): RefusedToken => ({
    ok: false,
    refusal: invalidIdentityToken(message),
    ...(typeof claims?.iss === "string" ? { issuer: claims.iss } : {}),
    ...(typeof claims?.sub === "string" ? { subject: claims.sub } : {}),
  });
  let unverified: JwtClaims;
  try {
    unverified = decodeJwt(token);
  } catch {
    return refuse(TOKEN_MESSAGES.notValidated);
  }
  const issuer = unverified.iss;
  if (typeof issuer !== "string" || issuer === "") return refuse(TOKEN_MESSAGES.missingClaim("iss"), unverified);
  const providers = await context.directory.oidcProviders(context.account);
  const provider = /^https:\/\//i.test(issuer)
    ? providers.find((p) => issuerHostPath(p.url) === issuerHostPath(issuer))
    : undefined;
  if (!provider) return refuse(TOKEN_MESSAGES.noProvider(issuer), unverified);
  const keys = await context.keys(issuer);
  if (!keys) return refuse(TOKEN_MESSAGES.noVerificationKey, unverified);
  const now = context.now ?? new Date();
  let claims: JwtClaims;
  try {
    ({ payload: claims } = await jwtVerify(token, keys, { algorithms: ALGORITHMS, currentDate: now }));
  } catch (err) {
    const code = errorCode(err);
    if (code === "ERR_JWT_EXPIRED") {
      return {
        ...refuse("", unverified),
        refusal: expiredToken(Math.floor(now.getTime() / 1000), Number(unverified.exp)),
      };
    }
    if (
      ["ERR_JWKS_NO_MATCHING_KEY", "ERR_JWKS_TIMEOUT", "ERR_JWKS_INVALID", "ERR_JWKS_MULTIPLE_MATCHING_KEYS"].includes(
        code,
      )
    ) {
      return refuse(TOKEN_MESSAGES.noVerificationKey, unverified);
    }
    if (code.startsWith("ERR_")) return refuse(TOKEN_MESSAGES.notValidated, unverified);
    // Not jose's verdict (the JWKS fetch failed): the keys could not be retrieved.
    return refuse(TOKEN_MESSAGES.noVerificationKey, unverified);
  }
  const audiences = typeof claims.aud === "string" ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
  if (audiences.length === 0) return refuse(TOKEN_MESSAGES.missingClaim("aud"), claims);
  if (!audiences.some((a) => provider.clientIds.includes(a))) return refuse(TOKEN_MESSAGES.audience, claims);
  return { ok: true, provider, claims };
}
