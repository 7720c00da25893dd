// tools/localstack.mjs as two keyless runs meet it: a run that finds the emulators serving another live run refuses
// to restart them (which would fail that run halfway) and says how to get ports of its own; once the owner is gone,
// a run takes them over. Spare ports, so the suite's own LocalStack is never touched.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { repoRoot } from "./harness";

const script = path.join(repoRoot, "tools", "localstack.mjs");
const env = { ...process.env, KEYLESS_LOCALSTACK_PORT: "4796", KEYLESS_MOTO_PORT: "4797" };

/** Starts the emulators from a child that stays alive until killed, as `npm test` or the demo does. */
async function owningRun(): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `await (await import(${JSON.stringify(script)})).startLocalStack(); console.log("up"); setInterval(() => {}, 1000);`,
    ],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (/^up$/m.test(out)) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
    child.once("exit", (code) => {
      clearInterval(timer);
      reject(new Error(`the owning run exited (${code}) before the emulators were up:\n${out}`));
    });
  });
  return child;
}

/** `node tools/localstack.mjs <action>` on the spare ports, as a second run would. */
function cli(action: string): { status: number | null; output: string } {
  const res = spawnSync(process.execPath, [script, action], { env, encoding: "utf8", timeout: 120_000 });
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

describe("toolchain: LocalStack shared by two keyless runs", function () {
  this.timeout(180_000);
  let owner: ChildProcess | undefined;

  after(async () => {
    if (owner && owner.exitCode === null && owner.signalCode === null) {
      owner.kill("SIGKILL");
      await once(owner, "exit");
    }
    cli("stop");
  });

  it("refuses to restart emulators another live run uses, naming the way out; takes them over once it is gone", async () => {
    // GIVEN a run that started the emulators and is still going
    owner = await owningRun();
    // WHEN a second run starts them on the same ports
    const second = cli("start");
    // THEN it refuses, naming the owner and the port variables, and the owner's LocalStack still answers
    assert.equal(second.status, 1, second.output);
    assert.match(second.output, new RegExp(`serves another keyless run \\(pid ${owner.pid}\\)`));
    assert.match(second.output, /KEYLESS_LOCALSTACK_PORT and KEYLESS_MOTO_PORT/);
    const health = await fetch("http://127.0.0.1:4796/_localstack/health");
    assert.equal(health.status, 200);

    // WHEN the owning run ends, THEN the next run restarts the emulators as before
    owner.kill("SIGKILL");
    await once(owner, "exit");
    const third = cli("start");
    assert.equal(third.status, 0, third.output);
    assert.match(third.output, /LocalStack ready at http:\/\/127\.0\.0\.1:4796/);
  });
});
