/**
 * TEST-ONLY: a deterministic pause in the stand-in provider's Create, so a test can interrupt an update at a known
 * point (kill the CLI while a create is in flight) instead of racing a timer. Off unless one of these is set in the
 * engine's environment (TestStackArgs.env):
 *
 *   KEYLESS_PROVIDER_PAUSE=<type token>:<signal file>        Create of that type waits before it calls AWS
 *   KEYLESS_PROVIDER_PAUSE_AFTER=<type token>:<signal file>  Create of that type calls AWS, then waits before answering
 *
 * While it waits, `<signal file>.waiting` exists (written when the wait starts, so a test knows the create is in
 * flight); the Create goes on once `<signal file>` exists. "after" leaves a resource in AWS that the state only knows
 * as a pending create if the engine dies meanwhile: the interrupted create the recovery runbook is about.
 */
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Where a create waits. */
export type PausePoint = "before" | "after";

const VARIABLES: Record<PausePoint, string> = {
  before: "KEYLESS_PROVIDER_PAUSE",
  after: "KEYLESS_PROVIDER_PAUSE_AFTER",
};

interface Pause {
  readonly type: string;
  readonly signalFile: string;
}

/** The pauses set in `env`; throws naming the variable when a value is not `<type token>:<absolute path>`. */
export function pausesFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<Record<PausePoint, Pause>> {
  const out: Partial<Record<PausePoint, Pause>> = {};
  for (const [point, name] of Object.entries(VARIABLES) as Array<[PausePoint, string]>) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    // A type token is package:module:Type; the signal file is everything after its third colon.
    const parts = raw.split(":");
    const type = parts.slice(0, 3).join(":");
    const signalFile = parts.slice(3).join(":");
    if (parts.length < 4 || parts.slice(0, 3).some((p) => p === "") || !path.isAbsolute(signalFile)) {
      throw new Error(
        `${name} must be <type token>:<absolute signal file path>, for example aws:iam/role:Role:/tmp/go; ` +
          `received ${JSON.stringify(raw)}.`,
      );
    }
    out[point] = { type, signalFile };
  }
  return out;
}

/**
 * Waits, when `point` is paused for `type`, until the signal file exists.
 *
 * @example
 * await pauseCreate(pauses, "after", "aws:iam/role:Role");
 */
export async function pauseCreate(
  pauses: Partial<Record<PausePoint, Pause>>,
  point: PausePoint,
  type: string,
): Promise<void> {
  const pause = pauses[point];
  if (pause === undefined || pause.type !== type) return;
  writeFileSync(`${pause.signalFile}.waiting`, `${process.pid}\n`);
  while (!existsSync(pause.signalFile)) await new Promise((resolve) => setTimeout(resolve, 50));
}
