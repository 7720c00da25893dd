// The launchers in .tools/bin spoken to directly over gRPC, as the engine does: port on the first stdout line,
// UNIMPLEMENTED for what the host does not do, exit when the engine is gone; the policy fallback launcher.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerService } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { LanguageRuntimeService } from "@pulumi/pulumi/proto/language_grpc_pb";
import { binDir, repoRoot, requireToolchain, writeFiles } from "./harness";

/** A client from grpc.makeGenericClientConstructor: one method per RPC, untyped. */
type AnyClient = grpc.Client &
  Record<string, (req: unknown, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void>;

/** Starts a plugin executable and resolves with the port it prints first. */
async function startPlugin(
  exe: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  const child = spawn(path.join(binDir, exe), args, {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let err = "";
  child.stderr?.on("data", (d) => {
    err += d;
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(Number.parseInt(out.slice(0, nl), 10));
    });
    child.once("exit", (code) => reject(new Error(`${exe} exited (${code}) before printing a port: ${err}`)));
    setTimeout(() => reject(new Error(`${exe} printed no port in 20 s: ${err}`)), 20_000).unref();
  });
  return { child, port, stderr: () => err };
}

function call<T>(client: AnyClient, method: string, req: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const fn = client[method];
    if (!fn) return reject(new Error(`no method ${method}`));
    fn.call(client, req, (err, res) => (err ? reject(err) : resolve(res as T)));
  });
}

/**
 * An engine address that stays alive: a gRPC server with no services, whose UNIMPLEMENTED answer to the plugins'
 * health check means "still there" (Pulumi's rpcutil.Healthcheck reads it so), so a plugin under test never leaves.
 */
async function liveEngine(): Promise<{ address: string; close: () => void }> {
  const server = new grpc.Server();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { address: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

function stop(child: ChildProcess | undefined): void {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

describe("toolchain: launchers in .tools/bin", function () {
  this.timeout(60_000);
  before(() => requireToolchain());

  it("pulumi-language-nodejs answers UNIMPLEMENTED for code generation and leaves when the engine is gone", async () => {
    const { createRequire } = await import("node:module");
    const req = createRequire(require.resolve("@pulumi/pulumi/proto/language_grpc_pb"));
    const emptyPb = req("google-protobuf/google/protobuf/empty_pb");
    const languagePb = req("./language_pb");
    const npmVersion = execFileSync("npm", ["--version"], { encoding: "utf8" }).trim();
    let child: ChildProcess | undefined;
    let client: AnyClient | undefined;
    try {
      // Nothing listens on port 1: the health check must notice and the host must exit (after the calls below, which
      // must fit in its first interval even on a loaded machine).
      const started = await startPlugin("pulumi-language-nodejs", ["127.0.0.1:1"], {
        env: { KEYLESS_LANGHOST_HEALTH_MS: "2000" },
      });
      child = started.child;
      const exited = once(child, "exit");
      const Client = grpc.makeGenericClientConstructor(LanguageRuntimeService, "LanguageRuntime");
      client = new Client(`127.0.0.1:${started.port}`, grpc.credentials.createInsecure()) as AnyClient;

      const info = await call<{ getVersion(): string }>(client, "getPluginInfo", new emptyPb.Empty());
      assert.match(info.getVersion(), /^3\.\d+\.\d+/);

      // About (asked on every preview and up): the node it runs on, and npm's version read without starting npm.
      const about = await call<{ getVersion(): string; getMetadataMap(): Map<string, string> }>(
        client,
        "about",
        new languagePb.AboutRequest(),
      );
      assert.match(about.getVersion(), /^v\d+\.\d+\.\d+$/);
      assert.equal(about.getMetadataMap().get("packagemanager"), "npm");
      assert.equal(about.getMetadataMap().get("packagemanagerVersion"), npmVersion);

      for (const method of ["generateProject", "generatePackage", "generateProgram", "link"]) {
        const Request = languagePb[`${method[0]?.toUpperCase()}${method.slice(1)}Request`];
        const err: grpc.ServiceError | undefined = await call(client, method, new Request()).then(
          () => undefined,
          (e: grpc.ServiceError) => e,
        );
        assert.equal(err?.code, grpc.status.UNIMPLEMENTED, `${method}: ${err?.message}`);
      }

      const [code] = await Promise.race([
        exited,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error("host still running")), 15_000).unref()),
      ]);
      assert.equal(code, 1, started.stderr());
      assert.match(started.stderr(), /engine at 127\.0\.0\.1:1 is gone/);
    } finally {
      client?.close();
      stop(child);
    }
  });

  it("pulumi-analyzer-policy-nodejs (the engine's fallback name) serves a policy pack from its directory", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const os = await import("node:os");
    const dir = mkdtempSync(path.join(os.tmpdir(), "keyless-pack-"));
    let child: ChildProcess | undefined;
    let client: AnyClient | undefined;
    const engine = await liveEngine();
    try {
      writeFiles(dir, {
        "PulumiPolicy.yaml": "runtime: nodejs\n",
        "package.json": JSON.stringify({ name: "launcher-pack", version: "1.2.3", main: "index.js" }),
        "index.js": `const { PolicyPack } = require("@pulumi/policy");
new PolicyPack("launcher-pack", { policies: [{ name: "always", description: "d", enforcementLevel: "advisory",
  validateResource: () => {} }] });
`,
      });
      // As NewPolicyAnalyzer launches it: args <engine address> ".", working directory = the pack. The engine must
      // answer: the launcher leaves at its first failed health check, as Pulumi's plugins do.
      const started = await startPlugin("pulumi-analyzer-policy-nodejs", [engine.address, "."], { cwd: dir });
      child = started.child;
      const Client = grpc.makeGenericClientConstructor(AnalyzerService, "Analyzer");
      client = new Client(`127.0.0.1:${started.port}`, grpc.credentials.createInsecure()) as AnyClient;
      const { createRequire } = await import("node:module");
      const emptyPb = createRequire(require.resolve("@pulumi/pulumi/proto/analyzer_grpc_pb"))(
        "google-protobuf/google/protobuf/empty_pb",
      );
      const info = await call<{ getName(): string; getPoliciesList(): { getName(): string }[] }>(
        client,
        "getAnalyzerInfo",
        new emptyPb.Empty(),
      );
      assert.equal(info.getName(), "launcher-pack");
      assert.deepEqual(
        info.getPoliciesList().map((p) => p.getName()),
        ["always"],
      );
    } finally {
      client?.close();
      stop(child);
      engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
