/**
 * The AWS SDK for JavaScript v3 default credential chain, run as the workload runs it: in a child process whose
 * environment holds only what the compute service would give it, then STS asked who the credentials are. The one
 * runner behind every delivery path the harness emulates (instance metadata, web identity).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Which link of the chain supplied the credentials, read from the SDK's debug log in the child. */
export type ChainLink = "webIdentityTokenFile" | "instanceMetadata" | "containerMetadata";

const LINK_MARKERS: Readonly<Record<ChainLink, string>> = {
  webIdentityTokenFile: "fromTokenFile",
  instanceMetadata: "remoteProvider::fromInstanceMetadata",
  containerMetadata: "remoteProvider::fromHttp",
};

/** One call of the chain in the child: the credentials it resolved, known only by a fingerprint, and who STS says. */
export interface DefaultChainCall {
  readonly arn: string;
  readonly account: string;
  /** The first four characters of the access key id: the kind of key, not the key. */
  readonly keyIdPrefix: string;
  /**
   * HMAC-SHA256 of the access key id under a key drawn in the child for this run and never sent out (16 hex
   * characters): equal for the same key id within a run, not comparable across runs, not the key id.
   */
  readonly keyFingerprint: string;
  /** When the credentials expire, as the provider said. */
  readonly expiration?: Date;
}

/** What the child saw: who STS says the credentials are, never the credentials. */
export interface DefaultChainIdentity {
  readonly arn: string;
  readonly account: string;
  /** The first four characters of the access key id: the kind of key, not the key. */
  readonly keyIdPrefix: string;
  /** Whether the credentials are temporary: an `ASIA…` key id with a session token. */
  readonly temporary: boolean;
  /** The links whose debug line the SDK logged. */
  readonly links: readonly ChainLink[];
  /** How long the child took, from spawn to answer, in milliseconds. */
  readonly durationMs: number;
  /** Every call, in order: one, or two with {@link DefaultChainRun.secondCallAfterMs}. The fields above are the first's. */
  readonly calls: readonly DefaultChainCall[];
}

/** An AWS service refused a call of the chain (STS `AccessDenied`, `InvalidIdentityToken`, ...). */
export interface DefaultChainRefusal {
  readonly refused: { readonly code: string; readonly status: number; readonly message: string };
}

/** How the child failed otherwise (timed out, crashed, no credentials), its output redacted. */
export interface DefaultChainFailure {
  readonly failed: string;
}

/** One run of {@link runDefaultChain}. */
export interface DefaultChainRun {
  /** The AWS variables the compute service would set (`AWS_REGION`, `AWS_ENDPOINT_URL_STS`, ...), nothing else. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Files the service would provide (a token file), written 0600 into the child's 0700 temp home and deleted
   * afterwards. `env` names them through `{file:NAME}`, replaced by the file's path.
   * @default - None.
   */
  readonly files?: Readonly<Record<string, string>>;
  /**
   * How long the child may take, in milliseconds.
   * @default 30000
   */
  readonly timeoutMs?: number;
  /** Text that must never appear in a failure message (a token written to a file): replaced by `***`. */
  readonly secrets?: readonly string[];
  /**
   * Calls again after this pause, in the same child with the same client, and STS is asked again. AWS SDK for
   * JavaScript v3 (credential-provider-node's `memoizeChain`) treats credentials with less than 5 minutes left as
   * due: the first resolution in that window returns them, still valid, and runs the chain again in the background;
   * the second call resolves until that refresh has landed (at most 5 s), as a workload's next requests would. The
   * timeout should cover the pause.
   * @default - One call.
   */
  readonly secondCallAfterMs?: number;
}

/**
 * Runs the default chain (`new STSClient({})`, its `config.credentials()`), then STS GetCallerIdentity, in a child
 * whose environment holds `run.env` plus `PATH`, a temp `HOME`, config and credentials files that do not exist and,
 * unless `run.env` sets it, `AWS_EC2_METADATA_DISABLED=true` (a chain that fails must not reach for
 * 169.254.169.254). Nothing secret leaves the child: the ARN, the account, the key id's kind and booleans.
 * @internal
 */
export async function runDefaultChain(
  run: DefaultChainRun,
): Promise<DefaultChainIdentity | DefaultChainRefusal | DefaultChainFailure> {
  const home = mkdtempSync(path.join(os.tmpdir(), "keyless-chain-"));
  const missing = path.join(home, "does-not-exist");
  const files = new Map<string, string>();
  for (const [name, content] of Object.entries(run.files ?? {})) {
    const file = path.join(home, name);
    writeFileSync(file, content, { mode: 0o600 });
    files.set(name, file);
  }
  const env: Record<string, string> = {
    PATH: process.env["PATH"] ?? "",
    HOME: home,
    AWS_CONFIG_FILE: path.join(missing, "config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(missing, "credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
  };
  for (const [key, value] of Object.entries(run.env)) {
    env[key] = value.replace(/\{file:([^}]+)\}/g, (_m, name: string) => files.get(name) ?? "");
  }
  if ("AWS_EC2_METADATA_SERVICE_ENDPOINT" in run.env && !("AWS_EC2_METADATA_DISABLED" in run.env)) {
    delete env["AWS_EC2_METADATA_DISABLED"];
  }
  const redact = (text: string): string =>
    (run.secrets ?? [])
      .reduce((t, s) => (s === "" ? t : t.split(s).join("***")), text)
      .replace(/(X-Aws-Ec2-Metadata-Token:\[)[^\]]*/gi, "$1***")
      .replace(/[A-Za-z0-9/+=_.-]{40,}/g, "***");
  const started = Date.now();
  try {
    const { stdout, failure } = await new Promise<{ stdout: string; failure?: string }>((resolve) => {
      execFile(
        process.execPath,
        ["-e", chainScript(require.resolve("@aws-sdk/client-sts"), run.secondCallAfterMs)],
        { env, cwd: home, timeout: run.timeoutMs ?? 30_000, killSignal: "SIGKILL" },
        (err, out, stderr) => {
          if (!err) return resolve({ stdout: out });
          const why = (err as { killed?: boolean }).killed ? "timed out" : `exit ${String(err.code)}`;
          resolve({ stdout: out, failure: `${why}: ${stderr.trim()}` });
        },
      );
    });
    const answer = parse(stdout);
    if (answer !== undefined && "error" in answer) {
      return { refused: { ...answer.error, message: redact(answer.error.message) } };
    }
    if (answer === undefined || failure !== undefined) return { failed: redact(failure ?? "no answer") };
    const { hasSessionToken, debug, calls, ...got } = answer;
    const links = (Object.keys(LINK_MARKERS) as ChainLink[]).filter((l) =>
      debug.some((line) => line.includes(LINK_MARKERS[l])),
    );
    return {
      ...got,
      temporary: got.keyIdPrefix === "ASIA" && hasSessionToken,
      links,
      durationMs: Date.now() - started,
      calls: calls.map(({ expiration, ...call }) => ({
        ...call,
        ...(expiration ? { expiration: new Date(expiration) } : {}),
      })),
    };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

type ChildCall = { arn: string; account: string; keyIdPrefix: string; keyFingerprint: string; expiration?: string };
type ChildAnswer =
  | {
      arn: string;
      account: string;
      keyIdPrefix: string;
      hasSessionToken: boolean;
      debug: string[];
      calls: ChildCall[];
    }
  | { error: { code: string; status: number; message: string } };

function parse(stdout: string): ChildAnswer | undefined {
  try {
    return JSON.parse(stdout) as ChildAnswer;
  } catch {
    return undefined;
  }
}

/**
 * The child's program. A service's refusal (an error with an HTTP status) is reported as its code, status and message
 * on stdout; anything else crashes with a message on stderr. Only the chain's debug lines that name a provider are
 * passed back, never a credential; a key id leaves the child only as an HMAC under a key drawn there.
 */
function chainScript(clientSts: string, secondCallAfterMs?: number): string {
  const markers = JSON.stringify(Object.values(LINK_MARKERS));
  return `
const { createHmac, randomBytes } = require("node:crypto");
const { STSClient, GetCallerIdentityCommand } = require(${JSON.stringify(clientSts)});
const markers = ${markers};
const secondCallAfterMs = ${JSON.stringify(secondCallAfterMs ?? null)};
const fingerprintKey = randomBytes(32);
const debug = [];
const logger = { debug: (...m) => debug.push(m.join(" ")), info() {}, warn() {}, error() {}, trace() {} };
class Refused { constructor(e) { this.e = e; } }
(async () => {
  const sts = new STSClient({ logger });
  const fingerprint = (creds) => createHmac("sha256", fingerprintKey).update(creds.accessKeyId).digest("hex").slice(0, 16);
  const resolve = async () => {
    try {
      return await sts.config.credentials();
    } catch (e) {
      if (!(e && e.$metadata && e.$metadata.httpStatusCode)) throw e;
      throw new Refused(e);
    }
  };
  const call = async (previous) => {
    let creds = await resolve();
    // Within its refresh window the SDK returns the still-valid credentials and refreshes in the background: later
    // resolutions get the new ones. Give that refresh up to 5 s to land, as the next requests of a workload would.
    for (let i = 0; previous && fingerprint(creds) === previous && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      creds = await resolve();
    }
    const who = await sts.send(new GetCallerIdentityCommand({}));
    return {
      creds,
      call: {
        arn: who.Arn,
        account: who.Account,
        keyIdPrefix: creds.accessKeyId.slice(0, 4),
        keyFingerprint: fingerprint(creds),
        ...(creds.expiration ? { expiration: creds.expiration.toISOString() } : {}),
      },
    };
  };
  const calls = [];
  let first;
  try {
    first = await call();
    calls.push(first.call);
    if (secondCallAfterMs !== null) {
      await new Promise((r) => setTimeout(r, secondCallAfterMs));
      calls.push((await call(first.call.keyFingerprint)).call);
    }
  } catch (r) {
    if (!(r instanceof Refused)) throw r;
    const e = r.e;
    const code = (e.Error && e.Error.Code) || e.Code || e.name;
    process.stdout.write(JSON.stringify({ error: { code, status: e.$metadata.httpStatusCode, message: String(e.message) } }));
    return;
  }
  process.stdout.write(JSON.stringify({
    arn: first.call.arn,
    account: first.call.account,
    keyIdPrefix: first.call.keyIdPrefix,
    hasSessionToken: Boolean(first.creds.sessionToken),
    debug: debug.filter((line) => markers.some((m) => line.includes(m))),
    calls,
  }));
})().catch((e) => {
  process.stderr.write(String(e && e.name) + ": " + String(e && e.message));
  process.exit(1);
});
`;
}
