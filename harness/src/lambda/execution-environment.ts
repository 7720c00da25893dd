/**
 * One execution environment of a function: a Node.js child process running the harness's bootstrap with the
 * function's environment, its Runtime API, and Lambda's limits on it (the init limit, the function's timeout). It
 * stays warm between invocations, as Lambda's do, until it times out, exits or is disposed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { END_OF_INVOCATION_MARKER, endOfInvocation } from "./protocol";
import type { RuntimeApiServer, RuntimeInvocation, RuntimeReport } from "./runtime-api";

/** How an environment is started. */
export interface EnvironmentStart {
  /** The child's whole environment: nothing else of the parent's is passed. */
  readonly env: Readonly<Record<string, string>>;
  /** The child's working directory, as `/var/task` is the runtime's. */
  readonly taskRoot: string;
  /** Node.js flags the runtime applies (Lambda disables some experimental features per runtime). */
  readonly nodeFlags: readonly string[];
  readonly api: RuntimeApiServer;
  /** Values never shown in logs (the session's keys): replaced by `***`. */
  readonly secrets: readonly string[];
  /** How long the runtime may take to ask for its first event, in milliseconds. */
  readonly initTimeoutMs: number;
}

/** What one invocation gave. */
export interface EnvironmentResult {
  readonly report: RuntimeReport;
  /** The function's output during the invocation (and its init, on a cold start), secrets redacted. */
  readonly output: string;
  /** From the event's submission to the report, in milliseconds. */
  readonly durationMs: number;
  /** From the runtime taking the event to its report (the handler's time, as Lambda's REPORT `Duration`). */
  readonly runDurationMs: number;
  /** On a cold start, from spawn to the runtime's first request for an event, in milliseconds. */
  readonly initDurationMs?: number;
}

/** The compiled bootstrap, next to this module. */
function bootstrapPath(): string {
  const file = path.join(__dirname, "bootstrap.js");
  if (!existsSync(file)) {
    throw new Error(`the Lambda runtime's bootstrap is missing at ${file}: build the harness first (npx tsc -b)`);
  }
  return file;
}

export class ExecutionEnvironment {
  private output = "";
  private exitDescription: string | undefined;
  private onExit: ((description: string) => void) | undefined;
  private onOutput: (() => void) | undefined;
  private invocations = 0;
  private readonly spawnedAt = Date.now();

  private constructor(
    private readonly child: ChildProcess,
    private readonly start: EnvironmentStart,
  ) {
    const take = (chunk: string) => {
      this.output += chunk;
      this.onOutput?.();
    };
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding("utf8");
      stream?.on("data", take);
    }
    const ended = (description: string) => {
      this.exitDescription ??= description;
      this.onExit?.(this.exitDescription);
      this.onOutput?.();
    };
    child.on("exit", (code, signal) =>
      ended(signal ? `signal: ${signal === "SIGKILL" ? "killed" : signal}` : `exit status ${code}`),
    );
    // The process could not be started at all (or signalled): the invocation fails as a runtime that exited.
    child.on("error", (err) => ended(`${err.name}: ${err.message}`));
  }

  /** Starts the child; it initializes (loads the handler) at once, as a cold start does. */
  static spawn(start: EnvironmentStart): ExecutionEnvironment {
    const child = spawn(process.execPath, [...start.nodeFlags, bootstrapPath()], {
      cwd: start.taskRoot,
      env: { ...start.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new ExecutionEnvironment(child, start);
  }

  /** Whether it can take another event: its process has not exited. */
  get alive(): boolean {
    return this.exitDescription === undefined && this.child.exitCode === null && !this.child.killed;
  }

  /** Hands one event to the runtime and waits for its report, the function's timeout or the process's exit. */
  async invoke(invocation: RuntimeInvocation): Promise<EnvironmentResult> {
    const cold = this.invocations++ === 0;
    const submitted = Date.now();
    const id = invocation.requestId;
    let initDurationMs: number | undefined;
    let takenAt: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    const fail = (errorType: string, errorMessage: string) =>
      this.start.api.abandon({ kind: "error", body: JSON.stringify({ errorType, errorMessage }) });
    const timeOut = (ms: number) => () => {
      this.child.kill("SIGKILL");
      fail("Sandbox.Timedout", `RequestId: ${id} Error: Task timed out after ${(ms / 1000).toFixed(2)} seconds`);
    };
    this.onExit = (why) => fail("Runtime.ExitError", `RequestId: ${id} Error: Runtime exited with error: ${why}`);
    // A cold start has Lambda's init limit to ask for the event; the handler then has the function's timeout.
    if (cold) timer = setTimeout(timeOut(this.start.initTimeoutMs), this.start.initTimeoutMs);
    const reported = this.start.api.submit(invocation, () => {
      takenAt = Date.now();
      if (cold) initDurationMs = Date.now() - this.spawnedAt;
      clearTimeout(timer);
      timer = setTimeout(timeOut(invocation.timeoutMs), invocation.timeoutMs);
    });
    if (this.exitDescription !== undefined) this.onExit(this.exitDescription);
    const report = await reported;
    clearTimeout(timer);
    this.onExit = undefined;
    const reportedAt = Date.now();
    const durationMs = reportedAt - submitted;
    const runDurationMs = takenAt === undefined ? durationMs : reportedAt - takenAt;
    const output = this.redact(await this.takeOutput(id));
    return { report, output, durationMs, runDurationMs, ...(initDurationMs !== undefined ? { initDurationMs } : {}) };
  }

  /** Kills the process (SIGKILL: an environment is frozen, not shut down) and closes its Runtime API. */
  async dispose(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
      this.child.kill("SIGKILL");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
    }
    await this.start.api.close();
  }

  /**
   * The output up to the bootstrap's end markers for `requestId`, one from each pipe (waited for, up to a second, so
   * that the invocation's last lines from both are in), without the markers; the rest stays for the next invocation.
   */
  private async takeOutput(requestId: string): Promise<string> {
    const marker = endOfInvocation(requestId);
    const both = () => this.output.indexOf(marker) !== this.output.lastIndexOf(marker);
    if (!both() && this.alive) {
      await new Promise<void>((resolve) => {
        const done = setTimeout(resolve, 1000);
        this.onOutput = () => {
          if (both() || !this.alive) {
            clearTimeout(done);
            resolve();
          }
        };
      });
      this.onOutput = undefined;
    }
    const last = this.output.lastIndexOf(marker);
    const taken = last === -1 ? this.output : this.output.slice(0, last);
    this.output = last === -1 ? "" : this.output.slice(last + marker.length);
    return taken.replace(new RegExp(`${END_OF_INVOCATION_MARKER} [^\\n]*\\n`, "g"), "");
  }

  private redact(text: string): string {
    return this.start.secrets.reduce((t, s) => (s === "" ? t : t.split(s).join("***")), text);
  }
}
