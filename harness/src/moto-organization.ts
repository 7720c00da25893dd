/**
 * A moto server of a test's own in which accounts are separate: the shared moto (tools/localstack.mjs) runs with
 * `MOTO_ACCOUNT_ID=000000000000`, LocalStack's account, and moto puts every request into that account whatever the
 * credentials (`get_current_account`: the variable first, then the `x-moto-account-id` header, then the access key).
 * Without it, credentials moto issued by `AssumeRole` into `arn:aws:iam::<id>:role/...` act in account `<id>`, each
 * account with its own EC2, Lambda, ECS and IAM per region, and any other key acts in moto's default account, the
 * organization's management account here.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { watchChildExit } from "./child-exit";
import { freePort } from "./free-port";

/** moto's default account: where requests signed with keys moto did not issue act. */
export const MOTO_MANAGEMENT_ACCOUNT = "123456789012";

/** A running {@link startMotoOrganization}. */
export interface MotoOrganization {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** The account requests act in unless signed with credentials moto issued for another ({@link MOTO_MANAGEMENT_ACCOUNT}). */
  readonly managementAccount: string;
  /** Stops the server (its state goes with it). Safe twice. */
  stop(): Promise<void>;
}

/** The Python of LocalStack's venv (moto comes with localstack-core): `KEYLESS_MOTO_PYTHON`, else .tools/localstack/venv-*. */
function motoPython(): string {
  const named = process.env["KEYLESS_MOTO_PYTHON"];
  if (named) return named;
  const home = path.resolve(__dirname, "..", "..", ".tools", "localstack");
  const venv = existsSync(home)
    ? readdirSync(home)
        .filter((d) => d.startsWith("venv-"))
        .sort()
        .at(-1)
    : undefined;
  const python = venv === undefined ? undefined : path.join(home, venv, "bin", "python");
  if (python === undefined || !existsSync(python)) {
    throw new Error(
      "no moto: LocalStack's venv (.tools/localstack/venv-*) is not there. Run `npm run localstack -- start` once, or set KEYLESS_MOTO_PYTHON.",
    );
  }
  return python;
}

/**
 * Starts moto on a free loopback port without `MOTO_ACCOUNT_ID`, and waits until it answers.
 *
 * @example
 * ```ts
 * const moto = await startMotoOrganization();
 * try {
 *   // CreateOrganization, CreateAccount, AssumeRole into arn:aws:iam::<member>:role/..., then act there
 * } finally {
 *   await moto.stop();
 * }
 * ```
 */
export async function startMotoOrganization(timeoutMs = 60_000): Promise<MotoOrganization> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = { PATH: process.env["PATH"] ?? "" };
  const child: ChildProcess = spawn(motoPython(), ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], {
    env,
    stdio: "ignore",
  });
  const { exited, reason: exit } = watchChildExit(child);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (exit() !== undefined) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    })();
    return stopped;
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = exit();
    if (why !== undefined) throw new Error(`moto did not start on ${endpoint}: ${why}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto did not answer on ${endpoint} within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { endpoint, managementAccount: MOTO_MANAGEMENT_ACCOUNT, stop };
}
