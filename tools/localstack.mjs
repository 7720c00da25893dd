// LocalStack on the host: a pinned localstack-core in a venv under .tools/, started on
// 127.0.0.1:4566 with a fresh state directory, stopped by the pid it started.
//
//   node tools/localstack.mjs start | stop | reset | status
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { capture, exists, root, run, step, toolsDir } from "./lib.mjs";

/**
 * 4.14.0, not 2026.3.0: in 2026.3.0 IAM became a native provider that moto's EC2 cannot see, so
 * RunInstances and AssociateIamInstanceProfile with any instance profile fail with NoSuchEntity.
 * 4.14.0 is the last open release where instance profiles reach EC2.
 */
export const LOCALSTACK_VERSION = "4.14.0";
/** Dependencies as they were when that release was current: later cbor2 and pyOpenSSL break it. */
const UPLOADED_PRIOR_TO = "2026-04-01T00:00:00Z";
export const PIP_VERSION = "26.3";
/** localstack-core, and flask for moto's standalone server (moto-ext comes with localstack-core). */
const REQUIREMENTS = [`localstack-core[runtime]==${LOCALSTACK_VERSION}`, "flask==3.1.3", "flask-cors==6.0.2"];
// localstack-core uses Python 3.12 syntax (PEP 695) in modules it loads lazily.
const MIN_PYTHON = [3, 12];

export const SERVICES = ["iam", "sts", "ec2", "lambda", "s3", "ssm", "route53", "dynamodb", "logs", "kms"];
export const HOST = "127.0.0.1";
export const PORT = Number(process.env.KEYLESS_LOCALSTACK_PORT ?? 4566);
export const ENDPOINT = `http://${HOST}:${PORT}`;
export const MOTO_PORT = Number(process.env.KEYLESS_MOTO_PORT ?? 4567);
export const MOTO_ENDPOINT = `http://${HOST}:${MOTO_PORT}`;
/** LocalStack's account: moto reports the same one in its ARNs (its own default is 123456789012). */
export const ACCOUNT_ID = "000000000000";

/**
 * keyless's Lambda runtime executor (tools/localstack-lambda-executor): LocalStack's Lambda control plane without
 * Docker. Selected by name through LAMBDA_RUNTIME_EXECUTOR; LocalStack falls back to Docker on an unknown name.
 */
export const LAMBDA_EXECUTOR = "keyless-control-plane";
const executorSource = path.join(root, "tools", "localstack-lambda-executor");

const home = path.join(toolsDir, "localstack");
const venv = path.join(home, `venv-${LOCALSTACK_VERSION}`);
const python = path.join(venv, "bin", "python");

function pythonVersion(bin) {
  const out = capture(bin, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]);
  return out?.split(".").map(Number);
}

function atLeast(version, min) {
  return version[0] > min[0] || (version[0] === min[0] && version[1] >= min[1]);
}

/** A Python new enough for localstack-core: $KEYLESS_PYTHON, then python3.13, python3.12, python3 on PATH, then pyenv's. */
export function findPython() {
  const candidates = [process.env.KEYLESS_PYTHON, "python3.13", "python3.12", "python3"];
  const pyenv = path.join(process.env.HOME ?? "/root", ".pyenv", "versions");
  if (exists(pyenv)) {
    const dirs = capture("ls", ["-1", pyenv])?.split("\n") ?? [];
    const numeric = (d) => d.split(".").map((n) => Number(n) || 0);
    const newestFirst = dirs.sort((a, b) => numeric(b)[0] - numeric(a)[0] || numeric(b)[1] - numeric(a)[1]);
    for (const d of newestFirst) candidates.push(path.join(pyenv, d, "bin", "python3"));
  }
  for (const bin of candidates) {
    if (!bin) continue;
    const v = pythonVersion(bin);
    if (v && atLeast(v, MIN_PYTHON)) return bin;
  }
  throw new Error(
    `localstack-core ${LOCALSTACK_VERSION} needs Python >= ${MIN_PYTHON.join(".")} and none was found ` +
      "(tried $KEYLESS_PYTHON, python3.13, python3.12, python3, ~/.pyenv/versions). Install one, or set KEYLESS_PYTHON.",
  );
}

/** `pip install` in the LocalStack venv, quietly. */
function pipInstall(...args) {
  run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", ...args]);
}

let venvReady;

/**
 * Creates the venv once and installs keyless's Lambda executor into it; a marker for each records what was installed,
 * so a second run does nothing and a changed executor reinstalls only the executor.
 */
export function ensureLocalStackVenv() {
  venvReady ??= installVenv().then(installLambdaExecutor);
  return venvReady;
}

/** A hash of the executor package's source files: its marker, so any change to them reinstalls it. */
function executorHash() {
  const hash = createHash("sha256");
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name === "__pycache__" || entry.name === "build" || entry.name.endsWith(".egg-info")) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else
        hash
          .update(`${path.relative(executorSource, full)}\0`)
          .update(readFileSync(full))
          .update("\0");
    }
  };
  walk(executorSource);
  return hash.digest("hex");
}

/**
 * Runs `fn` holding a lock file in the venv: other checkouts start LocalStack from the same venv, and two pip
 * installs into one venv at once could leave it broken. A lock whose holder has died is taken over.
 */
async function withVenvLock(fn) {
  const lock = path.join(venv, ".keyless-lock");
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
      break;
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
      const holder = Number(readFileSync(lock, "utf8").trim());
      if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) rmSync(lock, { force: true });
      else if (Date.now() > deadline) throw new Error(`${lock} is held by pid ${holder} for over 300 s`);
      else await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** `pip install --no-deps` of the executor into the venv, only when its files changed; never touches anything else. */
async function installLambdaExecutor() {
  const marker = path.join(venv, ".keyless-lambda-executor");
  const wanted = executorHash();
  const installed = () => exists(marker) && readFileSync(marker, "utf8") === wanted;
  if (installed()) return;
  await withVenvLock(async () => {
    if (installed()) return; // another process installed it while this one waited
    await step(`Lambda executor ${LAMBDA_EXECUTOR} into the LocalStack venv`, () => {
      pipInstall("--no-deps", "--force-reinstall", executorSource);
      const names = capture(python, [
        "-c",
        "import importlib.metadata as m; print(' '.join(e.name for e in m.entry_points(group='localstack.lambda.runtime_executor')))",
      ]);
      if (!names?.split(" ").includes(LAMBDA_EXECUTOR)) {
        throw new Error(
          `the Lambda executor was installed but LocalStack would not find it: entry points in ` +
            `localstack.lambda.runtime_executor are [${names ?? "?"}], expected ${LAMBDA_EXECUTOR}.`,
        );
      }
      writeFileSync(marker, wanted);
    });
  });
}

async function installVenv() {
  const marker = path.join(venv, ".keyless-installed");
  const spec = `${REQUIREMENTS.join(" ")} uploaded-prior-to ${UPLOADED_PRIOR_TO}`;
  if (exists(marker) && readFileSync(marker, "utf8") === spec) {
    console.log(`[keyless] LocalStack ${LOCALSTACK_VERSION}: venv ready at ${path.relative(root, venv)}`);
    return;
  }
  await step(`LocalStack ${LOCALSTACK_VERSION} venv`, () => {
    rmSync(venv, { recursive: true, force: true });
    const base = findPython();
    run(base, ["-m", "venv", venv]);
    pipInstall(`pip==${PIP_VERSION}`);
    pipInstall("--uploaded-prior-to", UPLOADED_PRIOR_TO, ...REQUIREMENTS);
    writeFileSync(marker, spec);
  });
}

function portTaken(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * One emulator process on a loopback port: started detached in its own process group with a
 * fresh run directory, remembered by a pid file, stopped by that pid only.
 */
class Emulator {
  /**
   * @param env extra environment, from the run directory
   * @param ready whether the process answers, from its endpoint
   */
  constructor({ title, port, portVariable, args, env = () => ({}), ready }) {
    Object.assign(this, { title, port, portVariable, args, env, ready });
    this.endpoint = `http://${HOST}:${port}`;
    this.runDir = path.join(home, `run-${title.toLowerCase()}-${port}`);
    this.pidFile = path.join(this.runDir, "pid");
    this.ownerFile = path.join(this.runDir, "owner");
    this.logFile = path.join(this.runDir, "log");
  }

  /** The pid of another live keyless run (npm test, demo, example) that this running emulator serves, if any. */
  otherOwner() {
    if (!this.pid() || !exists(this.ownerFile)) return undefined;
    const owner = Number(readFileSync(this.ownerFile, "utf8").trim());
    return Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner) ? owner : undefined;
  }

  pid() {
    if (!exists(this.pidFile)) return undefined;
    const pid = Number(readFileSync(this.pidFile, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
  }

  logTail(lines = 40) {
    if (!exists(this.logFile)) return "(no log)";
    return readFileSync(this.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  }

  async stop() {
    const pid = this.pid();
    if (pid) {
      process.kill(-pid, "SIGTERM");
      for (let i = 0; i < 40 && alive(pid); i++) await sleep(250);
      if (alive(pid)) process.kill(-pid, "SIGKILL");
      console.log(`[keyless] ${this.title} (pid ${pid}) stopped`);
    }
    rmSync(this.pidFile, { force: true });
  }

  async start(timeoutSeconds) {
    // Restarting an emulator another run still uses would fail that run halfway: refuse instead.
    const owner = this.otherOwner();
    if (owner) {
      throw new Error(
        `${this.title} on ${this.endpoint} serves another keyless run (pid ${owner}) that is still going. Wait for it, ` +
          "or give this run its own ports with KEYLESS_LOCALSTACK_PORT and KEYLESS_MOTO_PORT.",
      );
    }
    await this.stop();
    if (await portTaken(this.port)) {
      throw new Error(
        `${HOST}:${this.port} is already taken by a process keyless did not start. Stop it, or run ${this.title} on another port with ${this.portVariable}.`,
      );
    }
    rmSync(this.runDir, { recursive: true, force: true });
    mkdirSync(this.runDir, { recursive: true });
    await step(`${this.title} start on ${this.endpoint}`, async () => {
      const log = openSync(this.logFile, "a");
      const child = spawn(python, this.args, {
        cwd: this.runDir,
        detached: true,
        stdio: ["ignore", log, log],
        env: { ...process.env, ...this.env(this.runDir) },
      });
      closeSync(log);
      child.unref();
      writeFileSync(this.pidFile, String(child.pid));
      writeFileSync(this.ownerFile, String(process.pid));
      const deadline = Date.now() + timeoutSeconds * 1000;
      while (Date.now() < deadline) {
        if (!alive(child.pid)) {
          throw new Error(`${this.title} exited during start-up. Last lines of ${this.logFile}:\n${this.logTail()}`);
        }
        if (await this.ready(this.endpoint)) return;
        await sleep(250);
      }
      const tail = this.logTail();
      await this.stop();
      throw new Error(`${this.title} was not ready after ${timeoutSeconds} s. Last lines of ${this.logFile}:\n${tail}`);
    });
  }
}

async function getJson(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.json() : undefined;
  } catch {
    return undefined;
  }
}

const localstack = new Emulator({
  title: "LocalStack",
  port: PORT,
  portVariable: "KEYLESS_LOCALSTACK_PORT",
  args: ["-m", "localstack.runtime.main"],
  env: (runDir) => ({
    GATEWAY_LISTEN: `${HOST}:${PORT}`,
    SERVICES: SERVICES.join(","),
    // The sandbox looks like a container to LocalStack; host mode keeps its files under FILESYSTEM_ROOT.
    OVERRIDE_IN_DOCKER: "0",
    FILESYSTEM_ROOT: path.join(runDir, "fs"),
    DNS_ADDRESS: "0",
    PERSISTENCE: "0",
    SKIP_SSL_CERT_DOWNLOAD: "1",
    DISABLE_EVENTS: "1",
    // Key ids shaped as AWS issues them (AKIA for users, ASIA for temporary credentials), not LocalStack's LKIA/LSIA,
    // so what the scanner, the pack and the credential-chain checks see is what they would see on AWS.
    PARITY_AWS_ACCESS_KEY_ID: "1",
    // Functions become Active without Docker; invoking one fails with a message saying so.
    LAMBDA_RUNTIME_EXECUTOR: LAMBDA_EXECUTOR,
  }),
  ready: async (endpoint) => {
    const h = await getJson(`${endpoint}/_localstack/health`);
    return h && SERVICES.every((s) => ["available", "running"].includes(h.services?.[s]));
  },
});

// LocalStack's open edition has no ECS, and its DynamoDB needs a jar under a licence that rules it out here:
// moto's standalone server (moto-ext, already in the venv) serves both, with LocalStack's account id.
const moto = new Emulator({
  title: "moto",
  port: MOTO_PORT,
  portVariable: "KEYLESS_MOTO_PORT",
  args: ["-m", "moto.server", "-H", HOST, "-p", String(MOTO_PORT)],
  env: () => ({ MOTO_ACCOUNT_ID: ACCOUNT_ID }),
  ready: async (endpoint) => (await getJson(`${endpoint}/moto-api/data.json`)) !== undefined,
});

/** Stops the LocalStack and moto this script started (by their pid files). Nothing broader. */
export async function stopLocalStack() {
  await moto.stop();
  await localstack.stop();
}

/**
 * Starts a fresh LocalStack and moto (no state from earlier runs) and waits until every service
 * in SERVICES reports available. Returns the environment that tests and the harness read.
 */
export async function startLocalStack({ timeoutSeconds = 120 } = {}) {
  await ensureLocalStackVenv();
  await localstack.start(timeoutSeconds);
  try {
    await moto.start(timeoutSeconds);
  } catch (err) {
    await localstack.stop();
    throw err;
  }
  return { endpoint: ENDPOINT, env: localStackEnv(), stop: stopLocalStack };
}

/** What tests and the harness read to find LocalStack. */
export function localStackEnv() {
  return {
    KEYLESS_LOCALSTACK_ENDPOINT: ENDPOINT,
    KEYLESS_MOTO_ENDPOINT: MOTO_ENDPOINT,
    AWS_REGION: process.env.AWS_REGION ?? "us-east-1",
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const command = process.argv[2] ?? "status";
  const actions = {
    start: async () => console.log(`[keyless] LocalStack ready at ${(await startLocalStack()).endpoint}`),
    stop: stopLocalStack,
    reset: async () => {
      await stopLocalStack();
      await startLocalStack();
    },
    status: async () => {
      for (const emulator of [localstack, moto]) {
        const pid = emulator.pid();
        console.log(`${emulator.title}: ${pid ? `pid ${pid}` : "not started by keyless"}, port ${emulator.port}`);
      }
      const h = await getJson(`${ENDPOINT}/_localstack/health`);
      console.log(h ? JSON.stringify(h.services) : `nothing answers on ${ENDPOINT}`);
    },
  };
  const action = actions[command];
  if (!action) {
    console.error("usage: node tools/localstack.mjs start|stop|reset|status");
    process.exit(2);
  }
  action().catch((err) => {
    console.error(`[keyless] ${err.message}`);
    process.exit(1);
  });
}
