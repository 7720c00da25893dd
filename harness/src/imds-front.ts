/**
 * A loopback front for amazon-ec2-metadata-mock that answers the IAM subtree itself. The mock (1.13.0) cannot serve
 * what EC2 serves there: its `iam-security-credentials` value is a fixed struct (Code, LastUpdated, Type,
 * AccessKeyId, SecretAccessKey, Token, Expiration), so it can serve neither EC2's `AssumeRoleUnauthorizedAccess`
 * document (Code, Message, LastUpdated, no key: the mock would add empty keys, which the SDKs take as credentials)
 * nor new credentials without reloading its configuration (its `--watch-config-file` keeps the first role's path and
 * would need the secrets in a file for the mock's whole life). Everything else, the token (`PUT /latest/api/token`)
 * included, is passed to the mock unchanged; and the mock still decides every IAM request's token (IMDSv2): the
 * front asks it with the request's own headers first and relays its refusal.
 */
import http from "node:http";
import { IMDS_NOT_FOUND } from "./imds-documents";

/** An answer of the IAM subtree. */
export interface FrontAnswer {
  readonly status: number;
  readonly body: string;
}

/** What the front needs. */
export interface ImdsFrontOptions {
  /** Where the mock answers now (`http://127.0.0.1:<port>`): read for every request, the mock may be restarted. */
  readonly upstream: () => string;
  /** A path the mock serves behind its token check, asked to decide an IAM request's token. */
  readonly tokenCheckPath: string;
  /** The IAM subtree: the answer for a path under `/latest/meta-data/iam/`. */
  readonly iam: (path: string) => FrontAnswer;
}

/** A running front. */
export interface ImdsFront {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Stops serving. Safe to call twice. */
  stop(): Promise<void>;
}

const IAM_PREFIX = "/latest/meta-data/iam/";
const HOP_BY_HOP = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"]);

/** Serves the front on a free port of 127.0.0.1. */
export async function serveImdsFront(options: ImdsFrontOptions): Promise<ImdsFront> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const iamRead = (req.method === "GET" || req.method === "HEAD") && path.startsWith(IAM_PREFIX);
    void (iamRead ? answerIam(req, res, path, options) : pass(req, res, path, options)).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`keyless IMDS front: the metadata mock did not answer (${err.message})`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  let closed: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    stop() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // keep-alive connections would hold close() open
      });
      return closed;
    },
  };
}

/** The mock decides the token; only then the front answers from what EC2 holds now. */
async function answerIam(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  path: string,
  options: ImdsFrontOptions,
): Promise<void> {
  const check = await fetch(`${options.upstream()}${options.tokenCheckPath}`, {
    method: "GET",
    headers: forwardable(req.headers),
    signal: AbortSignal.timeout(5000),
  });
  if (check.status !== 200) {
    res.writeHead(check.status, { "content-type": check.headers.get("content-type") ?? "text/plain" });
    res.end(req.method === "HEAD" ? undefined : Buffer.from(await check.arrayBuffer()));
    return;
  }
  await check.arrayBuffer();
  const answer = options.iam(path);
  res.writeHead(answer.status, { "content-type": "text/plain" });
  res.end(req.method === "HEAD" ? undefined : answer.body);
}

/** Anything else goes to the mock as it came, and its answer back. */
async function pass(req: http.IncomingMessage, res: http.ServerResponse, path: string, options: ImdsFrontOptions) {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const query = (req.url ?? "").slice(path.length);
  const method = req.method ?? "GET";
  const upstream = await fetch(`${options.upstream()}${path}${query}`, {
    method,
    headers: forwardable(req.headers),
    ...(chunks.length > 0 && method !== "GET" && method !== "HEAD" ? { body: Buffer.concat(chunks) } : {}),
    signal: AbortSignal.timeout(5000),
  });
  const headers: Record<string, string> = {};
  upstream.headers.forEach((value, key) => {
    if (!HOP_BY_HOP.has(key) && key !== "content-encoding") headers[key] = value;
  });
  res.writeHead(upstream.status, headers);
  res.end(Buffer.from(await upstream.arrayBuffer()));
}

function forwardable(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(key)) continue;
    out[key] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** The IAM subtree for a role: `iam/info`, the listing, the role's document, 404 for anything else. */
export function iamSubtree(
  path: string,
  served: { roleName: string; info: () => string; document: () => string },
): FrontAnswer {
  const rest = path.slice(IAM_PREFIX.length);
  if (rest === "info") return { status: 200, body: served.info() };
  if (rest === "security-credentials" || rest === "security-credentials/") {
    return { status: 200, body: served.roleName };
  }
  if (rest === `security-credentials/${served.roleName}`) return { status: 200, body: served.document() };
  if (rest === "") return { status: 200, body: "info\nsecurity-credentials/" };
  return { status: 404, body: IMDS_NOT_FOUND };
}
