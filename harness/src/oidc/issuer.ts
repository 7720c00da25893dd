/**
 * An OpenID Connect issuer on loopback: an RSA key pair made at run time, its discovery document and JWKS served over
 * HTTP on 127.0.0.1, and ID tokens signed with it. It can stand in for a named issuer (GitHub Actions, an EKS
 * cluster): the tokens say `iss: https://token.actions.githubusercontent.com` while the keys are served on loopback,
 * because the IAM OIDC provider in LocalStack is created for the real URL.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type net from "node:net";
import { OidcHarnessError } from "./errors";
import { jose } from "./jose";

/** Claims of a token, as {@link OidcIssuer.mint} takes them: everything but `iss` and the times it sets itself. */
export type TokenClaims = Readonly<Record<string, unknown>>;

/** Options of {@link startOidcIssuer}. */
export interface OidcIssuerOptions {
  /**
   * The issuer the tokens name in `iss` and the discovery document names in `issuer`: the URL the IAM OIDC provider
   * is created for (`https://token.actions.githubusercontent.com`, `https://oidc.eks.<region>.amazonaws.com/id/<id>`).
   * @default - The loopback URL the issuer serves on.
   */
  readonly issuer?: string;
  /**
   * The key id (`kid`) of the signing key, in the JWKS and in every token's header.
   * @default - A random UUID.
   */
  readonly keyId?: string;
}

/** Options of {@link OidcIssuer.mint}. */
export interface MintOptions {
  /**
   * Seconds from `iat` to `exp`. GitHub Actions' tokens last 5 minutes.
   * @default 300
   */
  readonly expiresInSeconds?: number;
  /**
   * When the token was issued (`iat`, and `nbf`): a time in the past makes an expired token.
   * @default - Now.
   */
  readonly issuedAt?: Date;
}

/** A running issuer. Stop it with {@link OidcIssuer.stop}. */
export interface OidcIssuer {
  /** The `iss` of its tokens. */
  readonly issuer: string;
  /** Where it serves, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Its discovery document, `<url>/.well-known/openid-configuration`, whose `jwks_uri` is {@link jwksUri}. */
  readonly discoveryUrl: string;
  /** Its public keys (JWKS), `<url>/.well-known/jwks`. */
  readonly jwksUri: string;
  /** The `kid` of its signing key. */
  readonly keyId: string;
  /**
   * Signs a token (RS256) with `claims` plus `iss`, `iat`, `nbf`, `exp` and a fresh `jti`. The token is a bearer
   * credential: keep it out of logs and messages.
   */
  mint(claims: TokenClaims, options?: MintOptions): Promise<string>;
  /** Stops serving. Safe to call twice. */
  stop(): Promise<void>;
}

const RESERVED = ["iss", "iat", "nbf", "exp"] as const;

/**
 * Starts an OIDC issuer on a free loopback port: an RSA 2048 key pair generated now (the private key never leaves the
 * process), `/.well-known/openid-configuration` and `/.well-known/jwks` served over HTTP, tokens signed RS256 with a
 * short expiry.
 *
 * @example
 * ```ts
 * const github = await startOidcIssuer({ issuer: GITHUB_ACTIONS_ISSUER });
 * try {
 *   const token = await github.mint(githubActionsClaims({ repository: "acme/payments", branch: "main" }));
 *   // ... hand the token to callerIdentityThroughWebIdentity
 * } finally {
 *   await github.stop();
 * }
 * ```
 */
export async function startOidcIssuer(options: OidcIssuerOptions = {}): Promise<OidcIssuer> {
  if (options.issuer !== undefined) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(options.issuer);
    } catch {
      // reported below
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.search !== "" || parsed.hash !== "") {
      throw new OidcHarnessError(
        "InvalidArgument",
        `\`issuer\` must be an http(s) URL without query or fragment, such as https://token.actions.githubusercontent.com; got ${JSON.stringify(options.issuer)}`,
      );
    }
  }
  const { generateKeyPair, exportJWK, SignJWT } = await jose();
  const { publicKey, privateKey } = await generateKeyPair("RS256", { modulusLength: 2048 });
  const keyId = options.keyId ?? randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid: keyId, alg: "RS256", use: "sig" };

  let base = "";
  let issuer = options.issuer ?? "";
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const json = (body: unknown) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method !== "GET") {
      res.writeHead(405, { allow: "GET" }).end();
    } else if (path === "/.well-known/openid-configuration") {
      json({
        issuer,
        jwks_uri: `${base}/.well-known/jwks`,
        response_types_supported: ["id_token"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        claims_supported: ["sub", "aud", "exp", "iat", "iss", "jti", "nbf"],
      });
    } else if (path === "/.well-known/jwks") {
      json({ keys: [jwk] });
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) =>
      reject(new OidcHarnessError("ServerStartFailed", `the OIDC issuer could not listen: ${err.message}`)),
    );
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  base = `http://127.0.0.1:${port}`;
  issuer ||= base;

  let stopped = false;
  return {
    issuer,
    url: base,
    discoveryUrl: `${base}/.well-known/openid-configuration`,
    jwksUri: `${base}/.well-known/jwks`,
    keyId,
    async mint(claims, mintOptions = {}) {
      const reserved = RESERVED.filter((k) => k in claims);
      if (reserved.length > 0) {
        throw new OidcHarnessError(
          "InvalidArgument",
          `\`claims\` must not set ${reserved.join(", ")}: the issuer sets them (use \`issuedAt\` and \`expiresInSeconds\`)`,
        );
      }
      const lifetime = mintOptions.expiresInSeconds ?? 300;
      if (!Number.isInteger(lifetime) || lifetime <= 0) {
        throw new OidcHarnessError(
          "InvalidArgument",
          `\`expiresInSeconds\` must be a positive whole number of seconds; got ${lifetime}`,
        );
      }
      const iat = Math.floor((mintOptions.issuedAt ?? new Date()).getTime() / 1000);
      return new SignJWT({ ...claims })
        .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: keyId })
        .setIssuer(issuer)
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(iat + lifetime)
        .setJti(randomUUID())
        .sign(privateKey);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // keep-alive connections would hold close() open
      await closed;
    },
  };
}
