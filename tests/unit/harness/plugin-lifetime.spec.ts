// Each plugin keyless starts for the engine (the stand-in aws provider, the Node.js language host, the launcher of
// dynamic providers and policy packs) leaves when the engine is gone: its stdin pipe closes, or the engine's address
// stops answering health checks. A stand-in "engine" here is a gRPC server answering grpc.health.v1.Health/Check;
// the plugins are the real scripts, run as separate processes.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { pausesFromEnv } from "../../../harness/src/provider/pause";

const repoRoot = path.resolve(__dirname, "..", "..", "..");
const hostDir = path.join(repoRoot, "tools", "language-host");

/** The plugins, each as the command line the engine (or its launcher script) runs, engine address appended. */
const PLUGINS: Record<string, string[]> = {
  "stand-in aws provider": [path.join(repoRoot, "harness", "dist", "provider", "main.js")],
  "language host": [path.join(hostDir, "host.cjs")],
  "dynamic provider launcher": [path.join(hostDir, "launch.cjs"), "dynamic"],
};

/** A stand-in for the engine's address: answers health checks until stopped. */
async function fakeEngine(): Promise<{ address: string; stop: () => void }> {
  const server = new grpc.Server();
  server.register(
    "/grpc.health.v1.Health/Check",
    (_call: unknown, cb: (err: null, value: Buffer) => void) => cb(null, Buffer.alloc(0)),
    (b: Buffer) => b,
    (b: Buffer) => b,
    "unary",
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}

/** Starts a plugin as the engine does (stdin a pipe) and waits for the port it prints. */
async function startPlugin(args: string[], address: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...args, address], {
    cwd: repoRoot,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, KEYLESS_PROVIDER_HEALTH_MS: "200", KEYLESS_LANGHOST_HEALTH_MS: "200" },
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const [first] = (await Promise.race([
    once(child.stdout as NodeJS.ReadableStream, "data"),
    once(child, "exit").then(() => {
      throw new Error(`${args.join(" ")} exited before printing its port: ${stderr}`);
    }),
  ])) as [Buffer];
  assert.match(first.toString(), /^\d+\n/, "the plugin prints its port first");
  return child;
}

/** Resolves true once `child` has exited, false if it is still running at the deadline. */
async function exitsWithin(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref());
  return Promise.race([once(child, "exit").then(() => true), timer]);
}

describe("harness: plugins exit when their engine is gone", function () {
  this.timeout(60_000);
  const started: ChildProcess[] = [];
  afterEach(() => {
    // Whatever a failed case left running.
    for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  });

  for (const [name, args] of Object.entries(PLUGINS)) {
    it(`${name}: exits when the engine's pipe closes`, async () => {
      const engine = await fakeEngine();
      try {
        // GIVEN a plugin serving an engine that is alive
        const child = await startPlugin(args, engine.address);
        started.push(child);
        assert.equal(await exitsWithin(child, 1000), false, "it keeps serving while the engine lives");
        // WHEN the engine's end of the stdin pipe closes (what a SIGKILLed engine's does)
        child.stdin?.end();
        // THEN the plugin exits
        assert.equal(await exitsWithin(child, 15_000), true, `${name} still running 15 s after its pipe closed`);
      } finally {
        engine.stop();
      }
    });

    it(`${name}: exits when the engine stops answering health checks`, async () => {
      const engine = await fakeEngine();
      // GIVEN a plugin whose stdin stays open (nothing closes it)
      const child = await startPlugin(args, engine.address);
      started.push(child);
      // WHEN the engine's address stops answering
      engine.stop();
      // THEN the health check notices and the plugin exits
      assert.equal(await exitsWithin(child, 15_000), true, `${name} still running 15 s after the engine stopped`);
    });
  }
});

describe("harness: the stand-in provider's test-only create pause", () => {
  it("reads <type token>:<signal file> from KEYLESS_PROVIDER_PAUSE and KEYLESS_PROVIDER_PAUSE_AFTER", () => {
    assert.deepEqual(
      pausesFromEnv({
        KEYLESS_PROVIDER_PAUSE: "aws:iam/role:Role:/tmp/a:b",
        KEYLESS_PROVIDER_PAUSE_AFTER: "aws:s3/bucket:Bucket:/tmp/go",
      }),
      {
        before: { type: "aws:iam/role:Role", signalFile: "/tmp/a:b" },
        after: { type: "aws:s3/bucket:Bucket", signalFile: "/tmp/go" },
      },
    );
    assert.deepEqual(pausesFromEnv({}), {});
  });

  it("refuses a value without a type token or an absolute signal file, naming the variable", () => {
    for (const bad of ["aws:iam/role:Role", "aws:iam/role:Role:relative/file", "/tmp/go", "aws::Role:/tmp/go"]) {
      assert.throws(
        () => pausesFromEnv({ KEYLESS_PROVIDER_PAUSE_AFTER: bad }),
        /^Error: KEYLESS_PROVIDER_PAUSE_AFTER must be <type token>:<absolute signal file path>/,
        bad,
      );
    }
  });
});
