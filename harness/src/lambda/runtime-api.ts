/**
 * The Lambda Runtime API on loopback, as the Lambda service serves it inside an execution environment: the runtime
 * asks for the next event (`GET /invocation/next`, held open until there is one), then reports its result
 * (`/invocation/<id>/response`), its error (`/invocation/<id>/error`) or a failed start (`/init/error`). One
 * invocation at a time, as in an execution environment.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { INVOKE_HEADERS, RUNTIME_API_PREFIX } from "./protocol";

/** What the runtime reported for an invocation: its body is the payload Lambda returns. */
export type RuntimeReport =
  | { readonly kind: "response"; readonly body: string }
  | { readonly kind: "error"; readonly body: string }
  | { readonly kind: "init-error"; readonly body: string };

/** One event waiting for, or being handled by, the runtime. */
export interface RuntimeInvocation {
  readonly requestId: string;
  /** The event, as JSON text. */
  readonly event: string;
  readonly invokedFunctionArn: string;
  readonly traceId: string;
  /** How long the handler may run once the runtime takes the event, in milliseconds (`Lambda-Runtime-Deadline-Ms`). */
  readonly timeoutMs: number;
}

interface Pending extends RuntimeInvocation {
  taken: boolean;
  onTaken(): void;
  settle(report: RuntimeReport): void;
}

/** The Runtime API of one execution environment. */
export class RuntimeApiServer {
  private parked: http.ServerResponse | undefined;
  private pending: Pending | undefined;
  private initError: string | undefined;

  private constructor(
    private readonly server: http.Server,
    /** `127.0.0.1:<port>`, for `AWS_LAMBDA_RUNTIME_API`. */
    readonly address: string,
  ) {}

  /** Listens on a free loopback port. */
  static async start(): Promise<RuntimeApiServer> {
    let api: RuntimeApiServer | undefined;
    const server = http.createServer((req, res) => api?.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    api = new RuntimeApiServer(server, `127.0.0.1:${(server.address() as AddressInfo).port}`);
    return api;
  }

  /**
   * Hands `invocation` to the runtime (now if it is waiting, else when it next asks) and resolves with its report.
   * `onTaken` runs when the runtime takes the event: the handler's time starts then.
   */
  submit(invocation: RuntimeInvocation, onTaken: () => void): Promise<RuntimeReport> {
    if (this.pending) throw new Error("an invocation is already in progress in this execution environment");
    return new Promise((resolve) => {
      this.pending = {
        ...invocation,
        taken: false,
        onTaken,
        settle: (report) => {
          this.pending = undefined;
          resolve(report);
        },
      };
      if (this.initError !== undefined) this.pending.settle({ kind: "init-error", body: this.initError });
      else if (this.parked) this.deliver(this.parked);
    });
  }

  /** Settles the invocation in progress without the runtime (it timed out, the process exited). */
  abandon(report: RuntimeReport): void {
    this.pending?.settle(report);
  }

  /** Stops listening and drops the runtime's held request. */
  async close(): Promise<void> {
    this.parked?.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private deliver(res: http.ServerResponse): void {
    const p = this.pending;
    if (!p || p.taken) return;
    this.parked = undefined;
    p.taken = true;
    res.writeHead(200, {
      "content-type": "application/json",
      [INVOKE_HEADERS.requestId]: p.requestId,
      [INVOKE_HEADERS.deadlineMs]: String(Date.now() + p.timeoutMs),
      [INVOKE_HEADERS.functionArn]: p.invokedFunctionArn,
      [INVOKE_HEADERS.traceId]: p.traceId,
    });
    res.end(p.event);
    p.onTaken();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? "";
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      const accepted = () => {
        res.writeHead(202, { "content-type": "application/json" });
        res.end(JSON.stringify({ status: "OK" }));
      };
      if (req.method === "GET" && url === `${RUNTIME_API_PREFIX}/invocation/next`) {
        this.parked = res;
        this.deliver(res);
        return;
      }
      if (req.method === "POST" && url === `${RUNTIME_API_PREFIX}/init/error`) {
        if (this.pending) this.pending.settle({ kind: "init-error", body });
        else this.initError = body;
        accepted();
        return;
      }
      const m = url.startsWith(`${RUNTIME_API_PREFIX}/invocation/`)
        ? /^([^/]+)\/(response|error)$/.exec(url.slice(`${RUNTIME_API_PREFIX}/invocation/`.length))
        : null;
      if (req.method === "POST" && m) {
        const requestId = decodeURIComponent(m[1] as string);
        if (!this.pending?.taken || this.pending.requestId !== requestId) {
          res.writeHead(400, { "content-type": "application/json" });
          res.end(JSON.stringify({ errorType: "InvalidRequestID", errorMessage: `no invocation ${requestId}` }));
          return;
        }
        this.pending.settle({ kind: m[2] === "response" ? "response" : "error", body });
        accepted();
        return;
      }
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ errorType: "NotFound", errorMessage: `${req.method} ${url}` }));
    });
  }
}
