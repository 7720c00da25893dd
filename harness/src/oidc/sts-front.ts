/**
 * An STS endpoint on loopback that decides `AssumeRoleWithWebIdentity` as AWS does and forwards everything else to
 * LocalStack unchanged. LocalStack 4.14 issues web identity credentials for any token and any trust policy (it checks
 * neither the signature nor the conditions, LocalStack issue 11838), so a test that used it alone would pass where AWS
 * refuses.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type net from "node:net";
import { evaluateTrust, type TrustDecision, webIdentityRequest } from "@keyless/iam-rules";
import { localStackEndpoint } from "../localstack";
import { iamDirectory, parseRoleArn, type WebIdentityDirectory } from "./directory";
import { OidcHarnessError } from "./errors";
import type { OidcIssuer } from "./issuer";
import { jose, type KeySet } from "./jose";
import { accessDenied, missingParameter, type StsRefusal, stsErrorResponse } from "./sts-errors";
import { verifyWebIdentityToken } from "./verify-token";

/** Options of {@link serveStsFront}. */
export interface StsFrontOptions {
  /**
   * The issuers whose keys STS can reach, by their `iss`: the front reads each one's discovery document and then its
   * `jwks_uri`, as STS does over the internet. A token from any other issuer cannot be verified.
   */
  readonly issuers: ReadonlyArray<Pick<OidcIssuer, "issuer" | "discoveryUrl">>;
  /**
   * Where admitted requests and every other STS call go.
   * @default - The LocalStack endpoint (`KEYLESS_LOCALSTACK_ENDPOINT`, else http://127.0.0.1:4566).
   */
  readonly upstream?: string;
  /**
   * Where the OIDC providers and the role's trust policy are read.
   * @default - IAM of the LocalStack endpoint ({@link iamDirectory}).
   */
  readonly directory?: WebIdentityDirectory;
}

/** One `AssumeRoleWithWebIdentity` the front decided. Holds no token and no credentials. */
export interface WebIdentityDecision {
  readonly roleArn: string;
  readonly sessionName: string;
  /** Whether it was admitted and forwarded to the upstream STS. */
  readonly admitted: boolean;
  /** AWS's error code of a refusal. */
  readonly awsCode?: StsRefusal["code"];
  /** Why: the token check's message, or the trust evaluation's reason. */
  readonly reason: string;
  /** The IAM OIDC provider that vouched for the issuer, once the token was verified. */
  readonly providerArn?: string;
  /** The trust evaluation's verdict, when it ran (`Allow`, `ImplicitDeny`, `ExplicitDeny`). */
  readonly trust?: TrustDecision["decision"];
  /** The token's `iss` and `sub`, when they could be read. */
  readonly issuer?: string;
  readonly subject?: string;
}

/** A running STS front. Stop it with {@link StsFront.stop}. */
export interface StsFront {
  /** `http://127.0.0.1:<port>`: for `AWS_ENDPOINT_URL_STS`. */
  readonly endpoint: string;
  /** Every `AssumeRoleWithWebIdentity` decided so far, oldest first. */
  readonly decisions: readonly WebIdentityDecision[];
  /** Stops serving. Safe to call twice. */
  stop(): Promise<void>;
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

const HOP_BY_HOP = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", "expect"]);

/**
 * Serves STS on a free loopback port. `AssumeRoleWithWebIdentity` (awsQuery, the protocol of the SDK v3 STS client)
 * is decided as AWS decides it: the token is verified ({@link verifyWebIdentityToken}: issuer with an IAM OIDC provider
 * in the role's account, signature against the issuer's JWKS, expiry, audience in the provider's client ids); the
 * role's trust policy is read from IAM and evaluated with `@keyless/iam-rules`' `evaluateTrust(webIdentityRequest(
 * providerArn, claims))`; only an admitted request is forwarded, byte for byte, to LocalStack, which issues the
 * credentials. A refusal is STS's XML error: `AccessDenied` (403, "Not authorized to perform
 * sts:AssumeRoleWithWebIdentity") for a trust policy that does not admit the token or a role that does not exist,
 * `InvalidIdentityToken` (400) or `ExpiredTokenException` (400) for the token. Every other call (GetCallerIdentity,
 * AssumeRole, ...) is forwarded unchanged. Tokens are never logged.
 *
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc.html
 * @example
 * ```ts
 * const front = await serveStsFront({ issuers: [github] });
 * try {
 *   const who = await callerIdentityThroughWebIdentity({ token, roleArn, stsEndpoint: front.endpoint });
 * } finally {
 *   await front.stop();
 * }
 * ```
 */
export async function serveStsFront(options: StsFrontOptions): Promise<StsFront> {
  const upstream = (options.upstream ?? localStackEndpoint()).replace(/\/+$/, "");
  const directory = options.directory ?? iamDirectory(upstream);
  const discovery = new Map(options.issuers.map((i) => [i.issuer, i.discoveryUrl]));
  const keySets = new Map<string, Promise<KeySet | undefined>>();
  const decisions: WebIdentityDecision[] = [];

  /** The issuer's keys, as STS finds them: the discovery document, then its `jwks_uri`. */
  const keys = (issuer: string): Promise<KeySet | undefined> => {
    const url = discovery.get(issuer);
    if (url === undefined) return Promise.resolve(undefined);
    let found = keySets.get(issuer);
    if (!found) {
      found = (async () => {
        const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
        if (!res.ok) return undefined;
        const doc = (await res.json()) as { jwks_uri?: unknown };
        if (typeof doc.jwks_uri !== "string") return undefined;
        return (await jose()).createRemoteJWKSet(new URL(doc.jwks_uri), { timeoutDuration: 5000 });
      })().catch(() => undefined);
      void found.then((k) => k ?? keySets.delete(issuer)); // an unreachable issuer is tried again next time
      keySets.set(issuer, found);
    }
    return found;
  };

  const decide = async (params: URLSearchParams, raw: http.IncomingMessage, body: Buffer): Promise<Reply> => {
    const roleArn = params.get("RoleArn") ?? "";
    const sessionName = params.get("RoleSessionName") ?? "";
    const token = params.get("WebIdentityToken") ?? "";
    const refuse = (refusal: StsRefusal, extra: Partial<WebIdentityDecision> = {}): Reply => {
      decisions.push({
        roleArn,
        sessionName,
        admitted: false,
        awsCode: refusal.code,
        reason: refusal.message,
        ...extra,
      });
      return stsErrorResponse(refusal);
    };
    for (const [param, member] of [
      ["RoleArn", "roleArn"],
      ["RoleSessionName", "roleSessionName"],
      ["WebIdentityToken", "webIdentityToken"],
    ] as const) {
      if (!params.get(param)) return refuse(missingParameter(member));
    }
    const role = parseRoleArn(roleArn);
    if (!role) {
      return refuse({ code: "ValidationError", status: 400, message: "Request ARN is invalid" });
    }
    const verified = await verifyWebIdentityToken(token, { account: role.account, directory, keys });
    if (!verified.ok) {
      return refuse(verified.refusal, {
        ...(verified.issuer !== undefined ? { issuer: verified.issuer } : {}),
        ...(verified.subject !== undefined ? { subject: verified.subject } : {}),
      });
    }
    const who = {
      providerArn: verified.provider.arn,
      ...(typeof verified.claims.iss === "string" ? { issuer: verified.claims.iss } : {}),
      ...(typeof verified.claims.sub === "string" ? { subject: verified.claims.sub } : {}),
    };
    const policy = await directory.roleTrustPolicy(roleArn);
    if (policy === undefined) {
      // STS does not tell a missing role from a refusing one.
      return refuse(accessDenied(), { ...who, reason: `role ${roleArn} does not exist` });
    }
    let decision: TrustDecision;
    try {
      decision = evaluateTrust(policy, webIdentityRequest(verified.provider.arn, verified.claims));
    } catch (err) {
      return refuse(accessDenied(), { ...who, reason: `the trust policy cannot be read: ${(err as Error).message}` });
    }
    if (!decision.allowed) return refuse(accessDenied(), { ...who, reason: decision.reason, trust: decision.decision });
    const reply = await forward(raw, body);
    decisions.push({
      roleArn,
      sessionName,
      admitted: reply.status === 200,
      reason: reply.status === 200 ? decision.reason : `the upstream STS answered HTTP ${reply.status}`,
      trust: decision.decision,
      ...who,
    });
    return reply;
  };

  const forward = async (req: http.IncomingMessage, body: Buffer): Promise<Reply> => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = Array.isArray(v) ? v.join(", ") : v;
    }
    const method = req.method ?? "GET";
    const res = await fetch(`${upstream}${req.url ?? "/"}`, {
      method,
      headers,
      ...(method === "GET" || method === "HEAD" ? {} : { body: new Uint8Array(body) }),
    });
    const out: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      if (!HOP_BY_HOP.has(k) && k !== "content-encoding") out[k] = v;
    });
    return { status: res.status, headers: out, body: Buffer.from(await res.arrayBuffer()) };
  };

  const handle = async (req: http.IncomingMessage): Promise<Reply> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? "/", "http://front");
    const params = new URLSearchParams(url.search);
    if (/x-www-form-urlencoded/i.test(req.headers["content-type"] ?? "")) {
      for (const [k, v] of new URLSearchParams(body.toString("utf8"))) params.append(k, v);
    }
    if (params.get("Action") === "AssumeRoleWithWebIdentity") return decide(params, req, body);
    // The same operation in a JSON or CBOR protocol would slip past the decision: refuse it rather than forward it.
    const target = `${req.headers["x-amz-target"] ?? ""} ${url.pathname}`;
    if (/AssumeRoleWithWebIdentity/i.test(target)) {
      return stsErrorResponse({
        code: "ValidationError",
        status: 400,
        message: "the keyless STS front decides AssumeRoleWithWebIdentity in the awsQuery protocol only",
      });
    }
    return forward(req, body);
  };

  const server = http.createServer((req, res) => {
    handle(req)
      .then((reply) => {
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
      })
      .catch((err: unknown) => {
        // An error of the front itself (LocalStack unreachable, ...): STS's InternalFailure, no token in it.
        const id = randomUUID();
        res.writeHead(500, { "content-type": "text/xml", "x-amzn-requestid": id });
        res.end(
          `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Receiver</Type>` +
            `<Code>InternalFailure</Code><Message>keyless STS front: ${String((err as Error).message).replace(/[<&>]/g, "")}` +
            `</Message></Error><RequestId>${id}</RequestId></ErrorResponse>`,
        );
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) =>
      reject(new OidcHarnessError("ServerStartFailed", `the STS front could not listen: ${err.message}`)),
    );
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  let stopped = false;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    decisions,
    async stop() {
      if (stopped) return;
      stopped = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
