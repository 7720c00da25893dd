/**
 * A loopback recorder in front of an AWS endpoint: it notes which operation each request asks for and which access
 * key signed it (SigV4's `Credential=`), then forwards the request unchanged and returns the answer. The key id is
 * kept as a SHA-256 fingerprint only, so a failing assertion never prints it.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** One request that went through the recorder. */
export interface SignedCall {
  /** `X-Amz-Target` (JSON protocols, e.g. `DynamoDB_20120810.PutItem`), else `METHOD path`. */
  readonly operation: string;
  /** SHA-256 (hex) of the access key id that signed it; `unsigned` when there was no SigV4 header. */
  readonly keyIdSha256: string;
}

export interface SigningRecorder {
  /** Where to point the client: `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly calls: readonly SignedCall[];
  stop(): Promise<void>;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Starts a recorder that forwards to `upstream` (for example moto's endpoint). */
export async function startSigningRecorder(upstream: string): Promise<SigningRecorder> {
  const calls: SignedCall[] = [];
  const target = new URL(upstream);
  const server = http.createServer((req, res) => {
    const keyId = /Credential=([^/,\s]+)\//.exec(req.headers.authorization ?? "")?.[1];
    const amzTarget = req.headers["x-amz-target"];
    calls.push({
      operation: typeof amzTarget === "string" ? amzTarget : `${req.method} ${req.url}`,
      keyIdSha256: keyId === undefined ? "unsigned" : sha256(keyId),
    });
    const forward = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", (err) => {
      res.writeHead(502);
      res.end(String(err));
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
