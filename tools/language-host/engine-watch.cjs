"use strict";
// Plugins leave when the engine that started them is gone, the way Pulumi's own plugins do.
//
// The engine starts each plugin in a process group of its own (cmdutil.RegisterProcessGroup), so a SIGKILL of the
// CLI never reaches it. Pulumi's plugins pass the engine address they were given to rpcutil.Healthcheck, which calls
// grpc.health.v1.Health/Check on it and cancels the plugin on any error but Unimplemented; and the engine holds the
// write end of each plugin's stdin pipe (cmd.StdinPipe()) without writing to it, so that pipe reaches end-of-file the
// moment the engine dies. The pipe is noticed at once; the health check is the backstop.

const fs = require("node:fs");

/** Milliseconds between health checks: KEYLESS_LANGHOST_HEALTH_MS, else 5000. */
function healthIntervalMs() {
  const raw = process.env.KEYLESS_LANGHOST_HEALTH_MS;
  if (raw === undefined || raw === "") return 5000;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 100) {
    throw new Error(`KEYLESS_LANGHOST_HEALTH_MS must be a whole number of milliseconds >= 100; received ${raw}`);
  }
  return ms;
}

/**
 * Calls onGone(reason, how) once when the engine is gone; how is "pipe" or "health".
 * @param {object} opts { grpc: the @grpc/grpc-js in use, address: the engine's host:port (health check skipped when
 *   empty), watchStdin: also end on stdin end-of-file (when stdin is a pipe), onGone }
 */
function watchEngine({ grpc, address, watchStdin, onGone }) {
  let gone = false;
  const leave = (reason, how) => {
    if (gone) return;
    gone = true;
    onGone(reason, how);
  };
  if (watchStdin) {
    // The engine gives a pipe; a Node.js parent a socket. A terminal or /dev/null never ends.
    let pipe = false;
    try {
      const st = fs.fstatSync(0);
      pipe = st.isFIFO() || st.isSocket();
    } catch {
      // no stdin
    }
    if (pipe) {
      process.stdin.on("end", () => leave("the engine closed its pipe", "pipe"));
      process.stdin.on("error", () => leave("the engine's pipe failed", "pipe"));
      process.stdin.resume();
    }
  }
  if (!address) return;
  const intervalMs = healthIntervalMs();
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const check = () => {
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      // An empty HealthCheckRequest serialises to no bytes; what the engine answers does not matter.
      () => Buffer.alloc(0),
      (b) => b,
      {},
      { deadline: Date.now() + Math.max(intervalMs, 10000) },
      (err) => {
        // Unimplemented still means the engine is there.
        if (err && err.code !== grpc.status.UNIMPLEMENTED) {
          leave(`engine at ${address} is gone (${err.details || err.message})`, "health");
        }
      },
    );
  };
  setInterval(check, intervalMs).unref();
}

module.exports = { watchEngine };
