/**
 * The stand-in provider leaves when the engine that started it is gone, the way Pulumi's own plugins do.
 *
 * The engine starts every plugin in a process group of its own (`cmdutil.RegisterProcessGroup`), so a SIGKILL of the
 * CLI never reaches it, and a provider that keeps serving finishes AWS calls for an engine that will never record
 * them. Pulumi's plugins (`provider.Main`, the language hosts) pass the engine address they were given to
 * `rpcutil.Healthcheck`, which calls `grpc.health.v1.Health/Check` on it and cancels the plugin on any error other
 * than Unimplemented. The engine also holds the write end of each plugin's stdin pipe (`cmd.StdinPipe()` in
 * sdk/go/common/resource/plugin/plugin.go) and never writes to it, so that pipe reaches end-of-file the moment the
 * engine dies: noticed at once, where the health check (every 5 minutes in Pulumi's Go SDK) is the backstop.
 */
import { fstatSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";

/** Options of {@link exitWithEngine}. */
export interface EngineLifetimeOptions {
  /**
   * How often to check the engine's health.
   * @default - `KEYLESS_PROVIDER_HEALTH_MS`, else 5000.
   */
  readonly intervalMs?: number;
  /** Called once when the engine is gone, with why; it must end the process. */
  readonly onGone: (reason: string) => void;
}

/**
 * Calls `onGone` once when the engine at `address` is gone: its stdin pipe closed, or its health check failed.
 *
 * @example
 * exitWithEngine("127.0.0.1:40000", { onGone: (why) => { process.stderr.write(`${why}\n`); process.exit(1); } });
 */
export function exitWithEngine(address: string, opts: EngineLifetimeOptions): void {
  const intervalMs = opts.intervalMs ?? healthInterval();
  let gone = false;
  const leave = (reason: string) => {
    if (gone) return;
    gone = true;
    opts.onGone(reason);
  };

  // The engine's pipe (a socket when a Node.js parent starts us): end-of-file when the engine is gone. A plugin started
  // by hand (a terminal, /dev/null) has none.
  if (isPipe(0)) {
    process.stdin.on("end", () => leave("the engine closed its pipe"));
    process.stdin.on("error", () => leave("the engine's pipe failed"));
    process.stdin.resume();
  }

  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const check = () => {
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      // An empty HealthCheckRequest (service "") serialises to no bytes; the response's content does not matter.
      () => Buffer.alloc(0),
      (b: Buffer) => b,
      {},
      { deadline: Date.now() + Math.max(intervalMs, 10_000) },
      (err) => {
        // Unimplemented still means something answers at the engine's address, as rpcutil.Healthcheck decides.
        if (err && err.code !== grpc.status.UNIMPLEMENTED) {
          leave(`the engine's health check failed (${err.details || err.message})`);
        }
      },
    );
  };
  setInterval(check, intervalMs).unref();
}

function healthInterval(): number {
  const raw = process.env["KEYLESS_PROVIDER_HEALTH_MS"];
  if (raw === undefined || raw === "") return 5000;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 100) {
    throw new Error(`KEYLESS_PROVIDER_HEALTH_MS must be a whole number of milliseconds >= 100; received ${raw}.`);
  }
  return ms;
}

function isPipe(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}
