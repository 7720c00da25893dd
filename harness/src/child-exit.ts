import type { ChildProcess } from "node:child_process";

/** How a child process ended, once it has: `exited` settles then, and `reason` says how. */
export interface ChildExit {
  /** Settles when the child exits or fails to start; never rejects. */
  readonly exited: Promise<void>;
  /** `exit <code or signal>`, or the spawn error's message; `undefined` while the child runs. */
  reason(): string | undefined;
}

/**
 * Watches a child the harness started (an emulator or a mock), so a start-up wait can stop as soon as the child
 * is gone and say why, instead of waiting out its deadline.
 */
export function watchChildExit(child: ChildProcess): ChildExit {
  let reason: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      reason = `exit ${code ?? signal}`;
      resolve();
    });
    child.once("error", (err) => {
      reason = err.message;
      resolve();
    });
  });
  return { exited, reason: () => reason };
}
