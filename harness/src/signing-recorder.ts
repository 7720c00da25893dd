/**
 * A loopback recorder in front of an AWS endpoint, named as a workload's endpoint: for each request it notes the
 * service and operation and which access key signed it (SigV4's `Credential=<key id>/<date>/<region>/<service>/…`,
 * from the `Authorization` header or a presigned URL's `X-Amz-Credential`), then forwards the request unchanged and
 * returns the answer unchanged. The key id is kept only as a fingerprint ({@link accessKeyFingerprint}), so neither a
 * failing assertion nor a log can print it.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** One request that went through a {@link SigningRecorder}. */
export interface SignedCall {
  /**
   * The signing name from the SigV4 credential scope (`s3`, `sts`, `dynamodb`, `route53`, …).
   * `undefined` when the request was not signed.
   */
  readonly service: string | undefined;
  /**
   * The operation: `X-Amz-Target` for JSON protocols (`DynamoDB_20120810.PutItem`), the `Action` parameter for query
   * protocols (`GetCallerIdentity`, `DescribeInstances`), else `METHOD path` for REST protocols
   * (`GET /bucket?list-type=2&prefix=daily%2F`, `POST /2013-04-01/hostedzone/Z1/rrset/`), a presigned URL's
   * `X-Amz-*` parameters left out.
   */
  readonly operation: string;
  /**
   * {@link accessKeyFingerprint} of the access key id that signed the request; `undefined` when it was not signed.
   */
  readonly keyFingerprint: string | undefined;
}

/** Options of {@link startSigningRecorder}. */
export interface SigningRecorderOptions {
  /** Where requests are forwarded, for example `localStackEndpoint()` or `motoEndpoint()`: `http://host:port`. */
  readonly upstream: string;
  /**
   * Decides a request before it is forwarded: an answer to send instead (as AWS would answer where the emulator does
   * not decide, for example {@link memberRoleMustExist}), or `undefined` to forward it. Recorded either way.
   * @default - Every request is forwarded.
   */
  readonly answer?: (call: SignedCall, body: Buffer) => Promise<RecorderAnswer | undefined>;
}

/** An answer the recorder sends itself, in place of the upstream's. */
export interface RecorderAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A running recorder. Stop it with {@link SigningRecorder.stop}. */
export interface SigningRecorder {
  /** Where to point the workload (`AWS_ENDPOINT_URL`, a client's `endpoint`): `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Every request so far, in the order they arrived. */
  readonly calls: readonly SignedCall[];
  /** Stops listening and closes open connections. Safe twice. */
  stop(): Promise<void>;
}

/**
 * The fingerprint under which the harness names an access key id: its SHA-256, hex. Access key ids are not secret
 * on their own, but a fingerprint lets a test compare "which key" without any key id in its output.
 *
 * @example
 * ```ts
 * assert.equal(recorder.calls[0]?.keyFingerprint, accessKeyFingerprint(credentials.accessKeyId));
 * ```
 */
export function accessKeyFingerprint(accessKeyId: string): string {
  return createHash("sha256").update(accessKeyId).digest("hex");
}

/** Query-protocol bodies larger than this are not parsed for `Action` (they are still forwarded whole). */
const MAX_PARSED_BODY = 64 * 1024;

/**
 * Starts a recorder on a free loopback port that forwards every request to `upstream`, recording its
 * {@link SignedCall}. The request (Host header included) and the answer pass unchanged, so signatures still verify
 * where the upstream checks them.
 *
 * @example
 * ```ts
 * const recorder = await startSigningRecorder({ upstream: localStackEndpoint() });
 * try {
 *   await runWorkload({ AWS_ENDPOINT_URL: recorder.endpoint });
 *   assert.ok(recorder.calls.every((c) => c.keyFingerprint === imds.keyFingerprint));
 * } finally {
 *   await recorder.stop();
 * }
 * ```
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-signing-elements.html
 */
export async function startSigningRecorder(options: SigningRecorderOptions): Promise<SigningRecorder> {
  let target: URL;
  try {
    target = new URL(options.upstream);
  } catch {
    throw new TypeError(`startSigningRecorder: \`upstream\` must be an http URL; got ${String(options.upstream)}`);
  }
  if (target.protocol !== "http:") {
    throw new TypeError(`startSigningRecorder: \`upstream\` must be an http URL; got ${options.upstream}`);
  }
  const calls: SignedCall[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      const call = describeCall(req, body);
      calls.push(call);
      let own: RecorderAnswer | undefined;
      try {
        own = await options.answer?.(call, body);
      } catch (err) {
        res.writeHead(502);
        res.end(`signing recorder: deciding ${call.operation} failed: ${(err as Error).message}`);
        return;
      }
      if (own !== undefined) {
        res.writeHead(own.status, own.headers);
        res.end(own.body);
        return;
      }
      const forward = http.request(
        {
          host: target.hostname,
          port: target.port || 80,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on("error", (err) => {
        if (!res.headersSent) res.writeHead(502);
        res.end(`signing recorder: upstream ${options.upstream} failed: ${err.message}`);
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return stopped;
    },
  };
}

/** The service, operation and key fingerprint of one request. */
function describeCall(req: http.IncomingMessage, body: Buffer): SignedCall {
  const url = new URL(req.url ?? "/", "http://recorder");
  // Authorization: AWS4-HMAC-SHA256 Credential=<key id>/<date>/<region>/<service>/aws4_request, SignedHeaders=…
  const credential =
    /Credential=([^,\s]+)/.exec(req.headers.authorization ?? "")?.[1] ??
    url.searchParams.get("X-Amz-Credential") ??
    undefined;
  const [keyId, , , service] = credential?.split("/") ?? [];
  return {
    service: keyId ? service : undefined,
    operation: operationOf(req, url, body),
    keyFingerprint: keyId ? accessKeyFingerprint(keyId) : undefined,
  };
}

function operationOf(req: http.IncomingMessage, url: URL, body: Buffer): string {
  const amzTarget = req.headers["x-amz-target"];
  if (typeof amzTarget === "string") return amzTarget;
  const action = url.searchParams.get("Action");
  if (action) return action;
  const type = req.headers["content-type"] ?? "";
  if (type.startsWith("application/x-www-form-urlencoded") && body.length <= MAX_PARSED_BODY) {
    const formAction = new URLSearchParams(body.toString("utf8")).get("Action");
    if (formAction) return formAction;
  }
  return `${req.method} ${withoutSignature(url)}`;
}

/** The path and query, without a presigned URL's `X-Amz-*` parameters (its credential, signature and token). */
function withoutSignature(url: URL): string {
  for (const name of [...url.searchParams.keys()]) {
    if (name.toLowerCase().startsWith("x-amz-")) url.searchParams.delete(name);
  }
  return `${url.pathname}${url.search}`;
}
