/**
 * pebble, Let's Encrypt's ACME test server, run on loopback for a workload that asks for a certificate (certbot).
 * It validates DNS-01 challenges against the resolver it is given (for example {@link serveRoute53Dns}), over TCP.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { locateToolBinary } from "./engine";
import { freePort } from "./free-port";

/** Thrown when pebble cannot be found or started. */
export class PebbleError extends Error {
  readonly code: "PebbleMissing" | "PebbleStartFailed";
  constructor(code: PebbleError["code"], message: string) {
    super(message);
    this.code = code;
    this.name = "PebbleError";
  }
}

/** Options of {@link startPebble}. */
export interface PebbleOptions {
  /**
   * The DNS server pebble's validation authority asks for `_acme-challenge` TXT records (`host:port`, queried over
   * TCP): pebble's `-dnsserver`.
   */
  readonly dnsServer: string;
  /**
   * The pebble binary.
   * @default - `KEYLESS_PEBBLE`, else `pebble` on PATH, else the repository's .tools/bin.
   */
  readonly binary?: string;
  /**
   * How long pebble may take to answer its directory, in milliseconds.
   * @default 10000
   */
  readonly startTimeoutMs?: number;
}

/** A running pebble. Stop it with {@link PebbleServer.stop}. */
export interface PebbleServer {
  /** The ACME directory, `https://127.0.0.1:<port>/dir`: certbot's `--server`. */
  readonly directoryUrl: string;
  /**
   * The CA certificate (PEM file) that signed pebble's HTTPS certificate: pebble's public test CA from its module
   * (`test/certs/pebble.minica.pem`), for the client's trust (`REQUESTS_CA_BUNDLE`). Not the CA that issues
   * certificates: see {@link PebbleServer.issuerCertificates}.
   */
  readonly httpsCaFile: string;
  /**
   * The PEM certificates pebble issues with, read from its management interface: the root (`/roots/0`) and the
   * intermediate (`/intermediates/0`) that signs end-entity certificates. pebble draws them anew at each start.
   */
  issuerCertificates(): Promise<{ root: string; intermediate: string }>;
  /** pebble's output so far (its log: orders, validations, the DNS server it asks). */
  readonly output: () => string;
  /** Stops pebble (SIGTERM, then SIGKILL after 3 s) and deletes its config. Safe twice. */
  stop(): Promise<void>;
}

/** The test certificates copied from pebble's module by tools/pebble.mjs. */
function shareDir(binary: string): string {
  const named = process.env["KEYLESS_PEBBLE_CERTS"];
  if (named) return named;
  return path.resolve(path.dirname(binary), "..", "share", "pebble");
}

/** The pebble binary (see {@link PebbleOptions.binary}); throws {@link PebbleError} `PebbleMissing` when none. */
export function requirePebble(): string {
  const found = locateToolBinary("KEYLESS_PEBBLE", "pebble");
  if ("path" in found) return found.path;
  throw new PebbleError("PebbleMissing", found.missing);
}

/**
 * Starts pebble on loopback with its DNS-01 validation pointed at `dnsServer`. Deterministic, as a test needs: no
 * random validation delay (`PEBBLE_VA_NOSLEEP`), no nonce rejected on purpose (`PEBBLE_WFE_NONCEREJECT=0`). Every
 * challenge is validated for real (`PEBBLE_VA_ALWAYS_VALID` is never set). HTTP-01 and TLS-ALPN-01 would be asked of
 * ports nothing listens on.
 *
 * @example
 * ```ts
 * const dns = await serveRoute53Dns();
 * const pebble = await startPebble({ dnsServer: dns.address });
 * // certbot --server ${pebble.directoryUrl} with REQUESTS_CA_BUNDLE=${pebble.httpsCaFile}
 * await pebble.stop();
 * await dns.stop();
 * ```
 * @see https://github.com/letsencrypt/pebble#readme
 */
export async function startPebble(options: PebbleOptions): Promise<PebbleServer> {
  const binary = options.binary ?? requirePebble();
  const share = shareDir(binary);
  const httpsCaFile = path.join(share, "pebble.minica.pem");
  for (const file of ["pebble.minica.pem", "localhost-cert.pem", "localhost-key.pem"]) {
    if (!existsSync(path.join(share, file))) {
      throw new PebbleError(
        "PebbleMissing",
        `pebble's test certificate ${file} is not in ${share}: run \`npm run toolchain\``,
      );
    }
  }
  const [port, managementPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyless-pebble-"));
  const config = path.join(dir, "pebble-config.json");
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: path.join(share, "localhost-cert.pem"),
        privateKey: path.join(share, "localhost-key.pem"),
        httpPort: 5002,
        tlsPort: 5001,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
        retryAfter: { authz: 1, order: 1 },
        keyAlgorithm: "ecdsa",
      },
    }),
  );
  let output = "";
  const child: ChildProcess = spawn(binary, ["-config", config, "-dnsserver", options.dnsServer], {
    cwd: dir,
    env: {
      PATH: process.env["PATH"] ?? "",
      PEBBLE_VA_NOSLEEP: "1",
      PEBBLE_WFE_NONCEREJECT: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString("utf8");
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString("utf8");
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const ca = readFileSync(httpsCaFile);
  const get = (url: string) => httpsGet(url, ca);
  const directoryUrl = `https://127.0.0.1:${port}/dir`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new PebbleError("PebbleStartFailed", `pebble exited with ${child.exitCode}: ${output.trim()}`);
    }
    if (
      await get(directoryUrl).then(
        () => true,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) {
      await stop();
      throw new PebbleError("PebbleStartFailed", `pebble did not answer ${directoryUrl} in time: ${output.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const management = `https://127.0.0.1:${managementPort}`;
  return {
    directoryUrl,
    httpsCaFile,
    async issuerCertificates() {
      const [root, intermediate] = await Promise.all([
        get(`${management}/roots/0`),
        get(`${management}/intermediates/0`),
      ]);
      return { root, intermediate };
    },
    output: () => output,
    stop,
  };
}

/** GET over HTTPS trusting only `ca`; rejects unless 200. */
function httpsGet(url: string, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    // ACME servers refuse a request without a User-Agent (RFC 8555 6.1).
    const headers = { "user-agent": "keyless-testing" };
    const request = https.get(url, { ca, headers, timeout: 5000 }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("end", () =>
        response.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${response.statusCode}`)),
      );
    });
    request.on("timeout", () => request.destroy(new Error(`${url}: timed out`)));
    request.on("error", reject);
  });
}
