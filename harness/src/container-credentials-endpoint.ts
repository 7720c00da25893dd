/**
 * The container credentials endpoint of the Amazon ECS agent, on loopback: its paths (`/v2/credentials/<id>`, and
 * `/v1/credentials?id=<id>`), its answer body and its error answers, plus the `Authorization` token the AWS SDKs send
 * when a container is given `AWS_CONTAINER_CREDENTIALS_FULL_URI` with `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
 *
 * The answers follow the agent's source (aws/amazon-ecs-agent, ecs-agent/tmds/handlers/v1/credentials_handler.go and
 * ecs-agent/credentials/manager.go): 200 with `{"RoleArn","AccessKeyId","SecretAccessKey","Token","Expiration"}`;
 * 400 `NoIdInRequest` and 400 `InvalidIdInRequest` ("Credentials not found") as `{"code","message","HTTPErrorCode"}`.
 */
import { timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { accessKeyFingerprint } from "./signing-recorder";

/** The body the ECS agent answers with: the task role's session, as the ECS backend sent it. Secret. */
export interface ContainerCredentialsBody {
  readonly RoleArn: string;
  readonly AccessKeyId: string;
  readonly SecretAccessKey: string;
  readonly Token: string;
  /** RFC 3339, seconds precision, UTC (`2026-01-31T12:00:00Z`). */
  readonly Expiration: string;
}

/** One answer of the endpoint, without the body: what the harness records. */
export interface EndpointRequestRecord {
  /** The request's path, without its query. */
  readonly path: string;
  readonly status: number;
  /** The agent's error code (`InvalidIdInRequest`, ...), or `AccessDenied` for a wrong token; absent on 200. */
  readonly code?: string;
  /**
   * On 200, the first 12 hexadecimal digits of the SHA-256 of the access key id served: tells two keys apart
   * without showing either.
   */
  readonly keyFingerprint?: string;
}

/** How the endpoint finds credentials. */
export interface CredentialsEndpointOptions {
  /** The token every request must carry as its `Authorization` header. Secret: never in an answer or an error. */
  readonly authorizationToken: string;
  /** The credentials of a credentials id, or `undefined` when the agent holds none for it. */
  readonly credentialsFor: (credentialsId: string) => Promise<ContainerCredentialsBody | undefined>;
}

/** A running endpoint. */
export interface CredentialsEndpoint {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Every request answered so far, in order. */
  readonly requests: readonly EndpointRequestRecord[];
  close(): Promise<void>;
}

interface Answer {
  readonly status: number;
  readonly code?: string;
  readonly body: string;
  readonly keyFingerprint?: string;
}

/** The ECS agent's error body: `{"code","message","HTTPErrorCode"}` (its ErrorMessage struct, marshalled). */
function agentError(status: number, code: string, message: string): Answer {
  return { status, code, body: JSON.stringify({ code, message, HTTPErrorCode: status }) };
}

function tokenMatches(sent: string | undefined, expected: string): boolean {
  if (sent === undefined) return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Answers one request as the ECS agent's credentials handler does, after the token check the agent does not have.
 * A request without `Authorization` gets 401, one with another token 403 (an `AccessDenied` body in the agent's
 * shape); neither message quotes the token.
 * @internal
 */
export async function answerCredentialsRequest(
  request: { readonly method: string; readonly url: string; readonly authorization?: string },
  options: CredentialsEndpointOptions,
): Promise<Answer> {
  const url = new URL(request.url, "http://127.0.0.1");
  const v1 = url.pathname === "/v1/credentials";
  const v2 = url.pathname === "/v2/credentials" || url.pathname.startsWith("/v2/credentials/");
  if (!v1 && !v2) return agentError(404, "NotFound", `no handler for ${url.pathname}`);
  const prefix = `CredentialsV${v1 ? 1 : 2}Request: `;
  if (request.method !== "GET") return agentError(405, "MethodNotAllowed", `${prefix}${request.method} not allowed`);
  if (request.authorization === undefined) {
    return agentError(401, "AccessDenied", `${prefix}No authorization token in the request`);
  }
  if (!tokenMatches(request.authorization, options.authorizationToken)) {
    return agentError(403, "AccessDenied", `${prefix}Authorization token does not match this task`);
  }
  const id = v1
    ? (url.searchParams.get("id") ?? "")
    : decodeURIComponent(url.pathname.slice("/v2/credentials/".length));
  if (id === "") return agentError(400, "NoIdInRequest", `${prefix}No Credential ID in the request`);
  const body = await options.credentialsFor(id);
  if (body === undefined) return agentError(400, "InvalidIdInRequest", `${prefix}Credentials not found`);
  const keyFingerprint = accessKeyFingerprint(body.AccessKeyId).slice(0, 12);
  return { status: 200, body: JSON.stringify(body), keyFingerprint };
}

/**
 * Starts the endpoint on a free port of 127.0.0.1: the SDK v3 `fromHttp` provider accepts plain HTTP only on
 * loopback (127.0.0.0/8, `localhost`, `[::1]`) and on the ECS and EKS link-local hosts.
 * @internal
 */
export async function startCredentialsEndpoint(options: CredentialsEndpointOptions): Promise<CredentialsEndpoint> {
  const requests: EndpointRequestRecord[] = [];
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    answerCredentialsRequest(
      {
        method: req.method ?? "GET",
        url: req.url ?? "/",
        ...(req.headers.authorization !== undefined ? { authorization: req.headers.authorization } : {}),
      },
      options,
    )
      .catch(() => agentError(500, "InternalServerError", "Internal server error"))
      .then((answer) => {
        const { status, code, keyFingerprint } = answer;
        requests.push({
          path,
          status,
          ...(code !== undefined ? { code } : {}),
          ...(keyFingerprint !== undefined ? { keyFingerprint } : {}),
        });
        res.writeHead(answer.status, { "Content-Type": "application/json" });
        res.end(answer.body);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closed = false;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      closed
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            closed = true;
            server.closeAllConnections();
            server.close(() => resolve());
          }),
  };
}

/** STS's expiration as the ECS agent passes it on: RFC 3339 in UTC, whole seconds. @internal */
export function agentExpiration(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
