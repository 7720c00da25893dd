/**
 * Pulumi stacks for tests: a private file backend per stack, destroyed and removed whatever happens, and never thrown
 * away while it still holds something (a failed destroy, a lock, pending operations).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  type ConfigMap,
  type EngineEvent,
  LocalWorkspace,
  type OpType,
  type PolicyEvent,
  type PropertyDiff,
  PulumiCommand,
  type PulumiFn,
  type Stack,
} from "@pulumi/pulumi/automation";
import { onPath, requirePulumiCli } from "./engine";
import { localStackEndpoint } from "./localstack";
import { motoEndpoint } from "./provider/clients";
import { type AwsProviderMode, installAwsProvider } from "./provider/plugin";

/** What a test stack runs and how. */
export interface TestStackArgs {
  /**
   * The Pulumi program, as an inline function. Give either `program` or `workDir`.
   * @default - None.
   */
  readonly program?: PulumiFn;
  /**
   * A directory holding a Pulumi project (Pulumi.yaml and its program). Its backend setting is overridden by the
   * test stack's temp backend.
   * @default - None.
   */
  readonly workDir?: string;
  /**
   * Which `aws` provider the engine uses: the LocalStack-backed one from this package, the real plugin configured
   * for LocalStack endpoints, or none (programs without @pulumi/aws).
   * @default - `KEYLESS_AWS_PROVIDER`, else "real" when pulumi-resource-aws is installed at the version @pulumi/aws
   * asks for, else "localstack".
   */
  readonly awsProvider?: AwsProviderMode | "none";
  /**
   * The project name.
   * @default "keyless-test"
   */
  readonly projectName?: string;
  /**
   * Stack configuration, as `pulumi config set` would store it.
   * @default - No configuration.
   */
  readonly config?: Readonly<Record<string, string>>;
  /**
   * Secret stack configuration, as `pulumi config set --secret` would store it: encrypted in the stack's settings
   * file, and marked secret in the program (`config.requireSecret`).
   * @default - No secret configuration.
   */
  readonly secretConfig?: Readonly<Record<string, string>>;
  /**
   * Where the stack's state lives, as `pulumi login` takes it: for example a self-managed S3 backend
   * (`s3://<bucket>?endpoint=...`), with its credentials in `env`.
   * @default - A file backend in a temp directory, deleted by {@link TestStack.dispose}.
   */
  readonly backendUrl?: string;
  /**
   * What encrypts the stack's secrets, as `pulumi stack init --secrets-provider` takes it: for example a KMS key on
   * LocalStack (`awskms://<key id>?region=us-east-1&endpoint=http://127.0.0.1:4566`), as a team's S3 backend pairs
   * with one, with its credentials in `env`.
   * @default "passphrase" - with a throwaway passphrase.
   */
  readonly secretsProvider?: string;
  /**
   * Extra environment for the engine and its plugins.
   * @default - None.
   */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The Automation API's command for the `pulumi` on PATH, checked ({@link requirePulumiCli}) and made once per binary
 * (path, size and modification time) rather than once per stack: each check and each workspace would otherwise run
 * `pulumi version`, a Go binary's start-up, twice for every stack.
 */
const pulumiCommands = new Map<string, Promise<PulumiCommand>>();

function pulumiCommand(): Promise<PulumiCommand> {
  const found = onPath("pulumi");
  const stat = found === undefined ? undefined : statSync(found);
  const key = `${found}:${stat?.size}:${stat?.mtimeMs}`;
  let command = pulumiCommands.get(key);
  if (command === undefined) {
    requirePulumiCli();
    command = PulumiCommand.get();
    pulumiCommands.set(key, command);
    command.catch(() => pulumiCommands.delete(key));
  }
  return command;
}

/** A stack on its own file backend in a temp directory (or the one given), with passphrase secrets (or the given). */
export class TestStack {
  /** The last engine run was a `destroy` that succeeded, and nothing ran since: {@link dispose} need not destroy. */
  private destroyed = false;
  /** {@link dispose} finished: the stack is removed and its directory deleted. */
  private disposed = false;

  private constructor(
    readonly stack: Stack,
    readonly name: string,
    /**
     * The stack's temp directory: its file backend (unless `backendUrl` was given) and its private PULUMI_HOME.
     * {@link dispose} deletes it only once the stack is destroyed and removed.
     */
    readonly dir: string,
    /** The environment the engine runs in (backend, passphrase, private PULUMI_HOME): for the CLI by hand. */
    readonly env: Readonly<Record<string, string>>,
  ) {}

  /** Creates the stack; the `pulumi` on PATH must serve the SDK (same major, no older: {@link requirePulumiCli}). */
  static async create(args: TestStackArgs): Promise<TestStack> {
    const command = await pulumiCommand();
    if ((args.program === undefined) === (args.workDir === undefined)) {
      throw new Error(
        "TestStack.create needs exactly one of `program` (an inline function) or `workDir` (a project directory).",
      );
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), "keyless-stack-"));
    // Unique per call, so tests can run in parallel against one LocalStack.
    const name = `t${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
    try {
      const projectName = args.projectName ?? "keyless-test";
      const pulumiHome = path.join(dir, "home");
      const backendUrl = args.backendUrl ?? `file://${dir}`;
      const mode = args.awsProvider;
      const providerConfig = mode === "none" ? {} : installAwsProvider(pulumiHome, mode);
      const options = {
        pulumiCommand: command,
        pulumiHome,
        secretsProvider: args.secretsProvider ?? "passphrase",
        envVars: {
          // A throwaway passphrase for a throwaway backend: it protects nothing outside this temp dir.
          PULUMI_CONFIG_PASSPHRASE: "keyless-test-stack",
          PULUMI_SKIP_UPDATE_CHECK: "true",
          PULUMI_BACKEND_URL: backendUrl,
          KEYLESS_LOCALSTACK_ENDPOINT: localStackEndpoint(),
          KEYLESS_MOTO_ENDPOINT: motoEndpoint(),
          ...args.env,
        },
      };
      const stack =
        args.workDir !== undefined
          ? await LocalWorkspace.createStack({ stackName: name, workDir: args.workDir }, options)
          : await LocalWorkspace.createStack(
              { projectName, stackName: name, program: args.program as PulumiFn },
              {
                ...options,
                projectSettings: { name: projectName, runtime: "nodejs", backend: { url: backendUrl } },
              },
            );
      // One `pulumi config set-all` for every value, plain and secret.
      const config: ConfigMap = {};
      for (const [key, value] of Object.entries({ ...providerConfig, ...args.config })) config[key] = { value };
      for (const [key, value] of Object.entries(args.secretConfig ?? {})) config[key] = { value, secret: true };
      if (Object.keys(config).length > 0) await stack.setAllConfig(config);
      return new TestStack(stack, name, dir, { ...options.envVars, PULUMI_HOME: pulumiHome });
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * Runs the Pulumi CLI (the `pulumi` on PATH) in the stack's environment: its private PULUMI_HOME (where the `aws`
   * plugin is installed), backend, passphrase and `env`. For commands the Automation API does not cover, such as
   * `pulumi package add <path>` in a `workDir` project. Throws with the command's output when it exits non-zero.
   *
   * @param cwd where to run it. @default - The stack's project directory.
   * @example
   * await t.pulumi(["package", "add", "/path/to/components"]);
   */
  async pulumi(args: readonly string[], cwd: string = this.stack.workspace.workDir): Promise<CliResult> {
    this.destroyed = false;
    return this.cli(args, cwd);
  }

  /** {@link pulumi} for commands that only read: {@link dispose} may still skip its destroy afterwards. */
  private cli(args: readonly string[], cwd: string = this.stack.workspace.workDir): Promise<CliResult> {
    const env = { ...process.env, ...this.env, PULUMI_STACK: this.name };
    return new Promise((resolve, reject) => {
      execFile("pulumi", [...args], { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        // The command's own output says what went wrong; execFile's error would only repeat it.
        const code = (err as { code?: unknown }).code;
        const output = `${stdout}\n${stderr}`.trim();
        reject(new Error(`pulumi ${args.join(" ")} failed (exit ${String(code)}) in ${cwd}:\n${output}`));
      });
    });
  }

  /**
   * The resources the stack's state holds now (the Stack resource included). Secret values stay encrypted, as
   * `pulumi stack export` prints them: a `ciphertext` object in place of the value.
   */
  async resources(): Promise<StateResource[]> {
    return (await this.deployment()).resources ?? [];
  }

  /**
   * The operations the state records as begun and never finished: what a killed `pulumi up` leaves (read from
   * `pulumi stack export`, `deployment.pending_operations`). A pending `creating` may or may not exist in AWS: import
   * it or clear it with {@link refresh} before {@link dispose}, which refuses to destroy past one.
   *
   * @example
   * const pending = await t.pendingOperations();
   * // [{ type: "creating", resource: { type: "aws:iam/role:Role", urn: "urn:pulumi:…::worker", … } }]
   */
  async pendingOperations(): Promise<PendingOperation[]> {
    return (await this.deployment()).pending_operations ?? [];
  }

  private async deployment(): Promise<Deployment> {
    const checkpoint = this.checkpointFile();
    if (checkpoint !== undefined) {
      // The temp file backend's own checkpoint: what `pulumi stack export` prints as `deployment`, without a CLI start
      // (read after every run, for its pending operations).
      const file = JSON.parse(readFileSync(checkpoint, "utf8")) as { checkpoint?: { latest?: Deployment } };
      return file.checkpoint?.latest ?? {};
    }
    // Not the Automation API's exportStack: it always adds --show-secrets, and the CLI then derives the passphrase key
    // (a million PBKDF2 rounds, 0.25 s of CPU) to decrypt values no caller of this method needs.
    const { stdout } = await this.cli(["stack", "export", "--stack", this.name]);
    const state = JSON.parse(stdout) as { deployment?: Deployment };
    return state.deployment ?? {};
  }

  /**
   * The stack's checkpoint in the temp file backend (`.pulumi/stacks/<project>/<stack>.json`, the stack name being
   * unique); undefined for another backend, or a layout this does not know (gzip), which the CLI then reads.
   */
  private checkpointFile(): string | undefined {
    if (this.env["PULUMI_BACKEND_URL"] !== `file://${this.dir}`) return undefined;
    const stacks = path.join(this.dir, ".pulumi", "stacks");
    const projects = existsSync(stacks) ? readdirSync(stacks) : [];
    return projects.map((p) => path.join(stacks, p, `${this.name}.json`)).find((f) => existsSync(f));
  }

  /**
   * Runs `pulumi cancel`: removes the stack's lock, which a CLI killed during an update leaves behind (every later
   * run then fails with "the stack is currently locked"). Only for a stack whose update is known to be dead: on a
   * live update it lets a second one run beside it. The state may then hold pending operations
   * ({@link pendingOperations}); {@link refresh} with `importPendingCreates` or `clearPendingCreates` settles them.
   *
   * @example
   * await t.cancel();
   * await t.refresh({ clearPendingCreates: true });
   */
  async cancel(): Promise<void> {
    await this.stack.cancel();
  }

  /** Runs `pulumi preview`; throws {@link StackRunError} (carrying the result) when the engine fails. */
  async preview(opts: RunOptions = {}): Promise<RunResult> {
    return this.run("preview", opts);
  }

  /** Runs `pulumi up`; throws {@link StackRunError} (carrying the result) when the engine fails. */
  async up(opts: RunOptions = {}): Promise<RunResult> {
    return this.run("up", opts);
  }

  /**
   * Runs `pulumi refresh`; throws {@link StackRunError} when the engine fails. `drift` lists what the reads found
   * changed since the last update. `opts` settle the pending creates an interrupted update left: import those that
   * exist (by id), clear the rest.
   *
   * @example
   * const [op] = await t.pendingOperations();
   * await t.refresh({ importPendingCreates: [{ urn: op.resource.urn, id: "worker-1a2b3c4" }] });
   * await t.refresh({ clearPendingCreates: true });
   */
  async refresh(opts: StackRefreshOptions = {}): Promise<RunResult> {
    for (const [i, p] of (opts.importPendingCreates ?? []).entries()) {
      if (typeof p?.urn !== "string" || !p.urn.startsWith("urn:pulumi:") || typeof p.id !== "string" || p.id === "") {
        throw new Error(
          `refresh: \`importPendingCreates[${i}]\` must be { urn: "urn:pulumi:…", id: "<the provider's id>" }; ` +
            `received ${JSON.stringify(p)}.`,
        );
      }
    }
    return this.run("refresh", opts);
  }

  /** Runs `pulumi destroy` (the stack stays; {@link dispose} removes it). */
  async destroy(): Promise<RunResult> {
    return this.run("destroy", {});
  }

  private async run(
    kind: "preview" | "up" | "refresh" | "destroy",
    opts: RunOptions & StackRefreshOptions,
  ): Promise<RunResult> {
    const events: EngineEvent[] = [];
    const onEvent = (e: EngineEvent) => events.push(e);
    const policy = { policyPacks: opts.policyPacks, policyPackConfigs: opts.policyPackConfigs };
    // The Automation API reads the update's summary after up, refresh and destroy; unless told not to show secrets it
    // asks for them, and the CLI derives the passphrase key again (a million PBKDF2 rounds) only to print them.
    const summary = { showSecrets: false };
    this.destroyed = false;
    const started = Date.now();
    let outputs: Record<string, unknown> = {};
    let error: Error | undefined;
    try {
      if (kind === "preview") await this.stack.preview({ ...policy, onEvent, diff: false });
      else if (kind === "up") {
        const up = await this.stack.up({ ...policy, ...summary, onEvent });
        outputs = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value]));
      } else if (kind === "refresh") {
        const importing = opts.importPendingCreates ?? [];
        if (importing.length > 0) await this.importPendingCreates(importing, opts.clearPendingCreates === true);
        // What was imported is in the state now; its pending create goes with the rest.
        const clearPendingCreates = importing.length > 0 || opts.clearPendingCreates === true;
        await this.stack.refresh({ ...summary, onEvent, clearPendingCreates });
      } else await this.stack.destroy({ ...summary, onEvent });
    } catch (err) {
      error = err as Error;
    }
    const durationMs = Date.now() - started;
    // After any run, also a killed one: what the state holds as begun and never finished.
    const diagnostics: RunResult["diagnostics"] = [];
    let pending: PendingOperation[] = [];
    try {
      pending = await this.pendingOperations();
    } catch (err) {
      // A run that failed keeps its own error; a state that cannot be read after a run that succeeded is one too.
      if (!error) throw err;
      diagnostics.push({ severity: "warning", message: `could not read the state's pending operations: ${err}` });
    }
    const result = summarize(kind, events, outputs, durationMs, error, pending, diagnostics);
    if (error) throw new StackRunError(result, error);
    this.destroyed = kind === "destroy";
    return result;
  }

  /**
   * Imports pending creates by id with `pulumi import` (under the same parent and name, so under the URN the program
   * gives), leaving their pending entries for the refresh to clear. Not `pulumi refresh --import-pending-creates`:
   * the CLI (3.274) turns each into a pending "importing" operation that the refresh then drops unread (only pending
   * creates are carried into the new state; the refresh reads only `resources`), so the resource ends up in no state.
   */
  private async importPendingCreates(
    importing: NonNullable<StackRefreshOptions["importPendingCreates"]>,
    clearOthers: boolean,
  ): Promise<void> {
    const creates = (await this.pendingOperations()).filter((p) => p.type === "creating");
    const listed = new Set(importing.map((p) => p.urn));
    for (const { urn } of importing) {
      if (!creates.some((p) => p.resource.urn === urn)) {
        throw new Error(
          `refresh: \`importPendingCreates\` names ${urn}, which is not a pending create of ${this.name}.`,
        );
      }
    }
    const unlisted = creates.filter((p) => !listed.has(p.resource.urn));
    if (unlisted.length > 0 && !clearOthers) {
      // The refresh that follows the imports clears every pending create: refuse to drop one nobody decided on.
      throw new Error(
        `refresh: \`importPendingCreates\` leaves ${unlisted.map((p) => p.resource.urn).join(", ")} pending; list ` +
          "it with its id, or also set `clearPendingCreates: true` to drop it.",
      );
    }
    for (const { urn, id } of importing) {
      const op = creates.find((p) => p.resource.urn === urn) as PendingOperation;
      const name = urn.split("::").slice(3).join("::");
      const args = ["import", op.resource.type, name, id, "--yes", "--skip-preview", "--non-interactive"];
      args.push("--generate-code=false", "--protect=false", "--stack", this.name);
      if (op.resource.parent) args.push("--parent", `parent=${op.resource.parent}`);
      await this.cli(args);
    }
  }

  /**
   * Destroys everything, removes the stack and deletes its directory ({@link dir}: the file backend and PULUMI_HOME).
   * After a {@link destroy} that succeeded (and nothing since) it destroys again only if the stack's history says an
   * update ran after it, for example one run through {@link stack} directly.
   *
   * The state is never thrown away while it may still know of something: when the state holds pending operations
   * (an interrupted update), or the destroy or the stack's removal fails (a resource AWS refuses to delete, a lock
   * left by a killed CLI), the directory stays and {@link StackDisposeError} says where. Settle the cause
   * ({@link cancel}, {@link refresh} with pending-create options, deleting what blocks the destroy) and call `dispose()`
   * again; once it has succeeded, further calls do nothing.
   *
   * @example
   * try {
   *   await t.dispose();
   * } catch (err) {
   *   if (!(err instanceof StackDisposeError)) throw err;
   *   console.error(err.message); // …the state is kept in /tmp/keyless-stack-AbC123 (backend file:///tmp/…)…
   *   await t.cancel();
   *   await t.dispose();
   * }
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    const backendUrl = this.env["PULUMI_BACKEND_URL"] ?? "";
    let step: StackDisposeError["step"] = "pending-operations";
    try {
      // A destroy would drop pending operations from the state unresolved: a create that reached AWS is then known
      // to nothing. Refuse, and keep the state that still names them.
      const pending = this.destroyed ? [] : await this.pendingOperations();
      if (pending.length > 0) throw new PendingOperationsError(pending);
      step = "destroy";
      if (!(this.destroyed && (await this.lastUpdateWasDestroy()))) await this.stack.destroy({ showSecrets: false });
      step = "remove";
      await this.stack.workspace.removeStack(this.name);
    } catch (err) {
      throw new StackDisposeError({ stackName: this.name, dir: this.dir, backendUrl, step, cause: err as Error });
    }
    rmSync(this.dir, { recursive: true, force: true });
    this.disposed = true;
  }

  private async lastUpdateWasDestroy(): Promise<boolean> {
    const [last] = await this.stack.history(1, 1, false);
    return last?.kind === "destroy" && last.result === "succeeded";
  }
}

/** The part of a stack's state (`deployment` in `pulumi stack export`) the harness reads. */
interface Deployment {
  readonly resources?: StateResource[];
  readonly pending_operations?: PendingOperation[];
}

/** What a CLI command run by {@link TestStack.pulumi} printed. */
export interface CliResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** A resource as the stack's state stores it. */
export interface StateResource {
  readonly type: string;
  readonly urn: string;
  readonly id?: string;
  readonly custom?: boolean;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
  /** The parent's URN. @default - None: a top-level resource (the Stack resource itself). */
  readonly parent?: string;
}

/**
 * An operation the state records as begun and never finished (`pending_operations` in `pulumi stack export`): what
 * the engine was doing when it was killed. The engine clears them at the start of the next update, whatever became
 * of them in AWS.
 */
export interface PendingOperation {
  /** What was under way: a create that may or may not have reached AWS, an update, a delete, a read or an import. */
  readonly type: "creating" | "updating" | "deleting" | "reading" | "importing";
  /** The resource as the engine meant it: a pending create has its inputs but no id. */
  readonly resource: StateResource;
}

/** How {@link TestStack.refresh} settles the pending creates an interrupted update left in the state. */
export interface StackRefreshOptions {
  /**
   * Drop every pending create from the state (`--clear-pending-creates`): for creates that never reached AWS, or
   * whose resources were deleted by hand.
   * @default false
   */
  readonly clearPendingCreates?: boolean;
  /**
   * Pending creates that did reach AWS, each with the id the provider gives that resource (a role's name, an
   * instance's id): each is imported under its URN (`pulumi import <type> <name> <id> --parent …`) and read by the
   * refresh, so the next destroy deletes it. Every other pending create must then be dropped: it throws, before
   * changing anything, unless `clearPendingCreates` is set too.
   * @default - None.
   */
  readonly importPendingCreates?: ReadonlyArray<{ readonly urn: string; readonly id: string }>;
}

/** Options of a preview or an update. */
export interface RunOptions {
  /**
   * Policy pack directories (each with PulumiPolicy.yaml) the engine runs.
   * @default - No policy packs.
   */
  readonly policyPacks?: string[];
  /**
   * JSON files with configuration for `policyPacks`.
   * @default - The packs' own defaults.
   */
  readonly policyPackConfigs?: string[];
}

/** One step the engine took (or planned): its op, URN and type. */
export interface StepRecord {
  readonly op: OpType;
  readonly urn: string;
  readonly type: string;
}

/**
 * What the engine reported when a step finished (its outputs event). On a refresh the step's own op is always
 * "refresh"; this op is what the read found: "same", "update" (the resource drifted; `diffs` names the properties,
 * as the diff an `up` would undo) or "delete" (the resource is gone).
 */
export interface OutcomeRecord {
  readonly op: OpType;
  readonly urn: string;
  readonly type: string;
  /** Top-level properties that differ. */
  readonly diffs: readonly string[];
  /** Per property path, the kind of difference. @default - None: the provider gave no detailed diff. */
  readonly detailedDiff?: Readonly<Record<string, PropertyDiff>>;
}

/** A policy violation the engine reported. */
export interface ViolationRecord {
  readonly policyName: string;
  readonly policyPackName: string;
  readonly enforcementLevel: "warning" | "mandatory";
  readonly message: string;
  readonly urn?: string;
}

/** What a preview or update produced. */
export interface RunResult {
  readonly kind: "preview" | "up" | "refresh" | "destroy";
  /** The stack outputs (up only), unwrapped. */
  readonly outputs: Record<string, unknown>;
  /** Steps in the order the engine started them (resource pre-events); `same` steps included. */
  readonly steps: StepRecord[];
  /** Steps in the order they finished (resource outputs events), with what changed. */
  readonly outcomes: OutcomeRecord[];
  /**
   * On refresh, the resources whose read differs from the stack's state (op "update" or "delete"); empty when
   * nothing drifted, and for other kinds of run.
   */
  readonly drift: OutcomeRecord[];
  readonly violations: ViolationRecord[];
  /** Error and warning diagnostics the engine printed. */
  readonly diagnostics: Array<{ severity: string; message: string; urn?: string }>;
  readonly events: EngineEvent[];
  readonly durationMs: number;
  /**
   * What the state holds as begun and never finished after this run ({@link TestStack.pendingOperations}): empty
   * after a run that completed; a killed or failed `up` may leave pending creates.
   */
  readonly pendingOperations: readonly PendingOperation[];
  readonly error?: Error;
}

/** The engine failed; `result` holds what it reported (violations, diagnostics, steps). */
export class StackRunError extends Error {
  readonly result: RunResult;
  constructor(result: RunResult, cause: Error) {
    const diags = result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message.trim());
    const violations = result.violations.map((v) => `[${v.enforcementLevel}] ${v.policyName}: ${v.message}`);
    super(`pulumi ${result.kind} failed:\n${[...violations, ...diags].join("\n") || cause.message}`, { cause });
    this.result = result;
    this.name = "StackRunError";
  }
}

/** Why {@link TestStack.dispose} kept a stack's state. */
export class StackDisposeError extends Error {
  /** The stack that was not disposed of. */
  readonly stackName: string;
  /** The stack's directory, kept: its file backend (unless a `backendUrl` was given) and its PULUMI_HOME. */
  readonly dir: string;
  /** Where the state is, as `pulumi login` takes it. */
  readonly backendUrl: string;
  /** What failed: the state held pending operations, the destroy failed, or removing the stack failed. */
  readonly step: "pending-operations" | "destroy" | "remove";
  constructor(a: {
    stackName: string;
    dir: string;
    backendUrl: string;
    step: StackDisposeError["step"];
    cause: Error;
  }) {
    const what = {
      "pending-operations": "its state holds pending operations",
      destroy: "its destroy failed",
      remove: "removing it failed",
    }[a.step];
    super(
      `TestStack.dispose: stack ${a.stackName} was not disposed of because ${what}; its state is kept in ${a.dir} ` +
        `(backend ${a.backendUrl}). Settle the cause (TestStack.cancel() for a lock, refresh({ importPendingCreates, ` +
        `clearPendingCreates }) for pending creates, delete what AWS refuses to delete) and call dispose() again, or ` +
        `use the CLI with the stack's env.\nCause: ${a.cause.message}`,
      { cause: a.cause },
    );
    this.name = "StackDisposeError";
    this.stackName = a.stackName;
    this.dir = a.dir;
    this.backendUrl = a.backendUrl;
    this.step = a.step;
  }
}

/** The state holds pending operations, which a destroy would drop unresolved. */
export class PendingOperationsError extends Error {
  readonly pendingOperations: readonly PendingOperation[];
  constructor(pending: readonly PendingOperation[]) {
    const list = pending.map((p) => `${p.type} ${p.resource.urn}`).join("\n  ");
    super(
      `the state holds ${pending.length} pending operation(s) from an interrupted update:\n  ${list}\n` +
        "Import each create that reached AWS (refresh({ importPendingCreates: [{ urn, id }] })) and clear the rest " +
        "(refresh({ clearPendingCreates: true })) first.",
    );
    this.name = "PendingOperationsError";
    this.pendingOperations = pending;
  }
}

function summarize(
  kind: RunResult["kind"],
  events: EngineEvent[],
  outputs: Record<string, unknown>,
  durationMs: number,
  error: Error | undefined,
  pendingOperations: readonly PendingOperation[],
  extraDiagnostics: RunResult["diagnostics"],
): RunResult {
  const steps: StepRecord[] = [];
  const outcomes: OutcomeRecord[] = [];
  const violations: ViolationRecord[] = [];
  const diagnostics: RunResult["diagnostics"] = [...extraDiagnostics];
  for (const e of events) {
    const pre = e.resourcePreEvent?.metadata;
    if (pre) steps.push({ op: pre.op, urn: pre.urn, type: pre.type });
    const done = e.resOutputsEvent?.metadata;
    if (done) {
      outcomes.push({
        op: done.op,
        urn: done.urn,
        type: done.type,
        diffs: done.diffs ?? [],
        ...(done.detailedDiff ? { detailedDiff: done.detailedDiff } : {}),
      });
    }
    const p: PolicyEvent | undefined = e.policyEvent;
    if (p) {
      violations.push({
        policyName: p.policyName,
        policyPackName: p.policyPackName,
        enforcementLevel: p.enforcementLevel,
        message: p.message,
        ...(p.resourceUrn ? { urn: p.resourceUrn } : {}),
      });
    }
    const d = e.diagnosticEvent;
    if (d && (d.severity === "error" || d.severity === "warning")) {
      diagnostics.push({ severity: d.severity, message: d.message, ...(d.urn ? { urn: d.urn } : {}) });
    }
  }
  const drift = kind === "refresh" ? outcomes.filter((o) => o.op !== "same") : [];
  return {
    kind,
    outputs,
    steps,
    outcomes,
    drift,
    violations,
    diagnostics,
    events,
    durationMs,
    pendingOperations,
    ...(error ? { error } : {}),
  };
}

/**
 * Runs `fn` with a fresh test stack and always disposes of it, also when `fn` throws. When both fail, it throws an
 * AggregateError holding `fn`'s error and the {@link StackDisposeError} (which says where the state was kept).
 *
 * @example
 * await withTestStack({ program: async () => ({ answer: 42 }) }, async (t) => {
 *   const up = await t.stack.up();
 *   assert.equal(up.outputs.answer.value, 42);
 * });
 */
export async function withTestStack<T>(args: TestStackArgs, fn: (stack: TestStack) => Promise<T>): Promise<T> {
  const stack = await TestStack.create(args);
  let result: T;
  try {
    result = await fn(stack);
  } catch (err) {
    try {
      await stack.dispose();
    } catch (disposeErr) {
      throw new AggregateError(
        [err, disposeErr],
        `${(err as Error).message}\nand then: ${(disposeErr as Error).message}`,
      );
    }
    throw err;
  }
  await stack.dispose();
  return result;
}
