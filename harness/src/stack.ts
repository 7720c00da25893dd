/** Pulumi stacks for tests: a private file backend per stack, destroyed and removed whatever happens. */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LocalWorkspace, type PulumiFn, type Stack } from "@pulumi/pulumi/automation";
import { requirePulumiCli } from "./engine";

/** What a test stack runs and how. */
export interface TestStackArgs {
  /** The Pulumi program, as an inline function. */
  readonly program: PulumiFn;
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
   * Extra environment for the engine and its plugins.
   * @default - None.
   */
  readonly env?: Readonly<Record<string, string>>;
}

/** A stack on its own file backend in a temp directory, with passphrase secrets. */
export class TestStack {
  private constructor(
    readonly stack: Stack,
    readonly name: string,
    private readonly dir: string,
  ) {}

  /** Creates the stack; the engine must be on PATH at exactly the SDK's version. */
  static async create(args: TestStackArgs): Promise<TestStack> {
    requirePulumiCli();
    const dir = mkdtempSync(path.join(os.tmpdir(), "keyless-stack-"));
    // Unique per call, so tests can run in parallel against one LocalStack.
    const name = `t${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
    try {
      const projectName = args.projectName ?? "keyless-test";
      const stack = await LocalWorkspace.createStack(
        { projectName, stackName: name, program: args.program },
        {
          pulumiHome: path.join(dir, "home"),
          projectSettings: { name: projectName, runtime: "nodejs", backend: { url: `file://${dir}` } },
          secretsProvider: "passphrase",
          envVars: {
            // A throwaway passphrase for a throwaway backend: it protects nothing outside this temp dir.
            PULUMI_CONFIG_PASSPHRASE: "keyless-test-stack",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            ...args.env,
          },
        },
      );
      for (const [key, value] of Object.entries(args.config ?? {})) {
        await stack.setConfig(key, { value });
      }
      return new TestStack(stack, name, dir);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The resources the stack's state holds now (the Stack resource included). */
  async resources(): Promise<Array<{ type: string; urn: string }>> {
    const state = await this.stack.exportStack();
    return (state.deployment as { resources?: Array<{ type: string; urn: string }> }).resources ?? [];
  }

  /** Destroys everything, removes the stack and deletes the backend directory. */
  async dispose(): Promise<void> {
    try {
      await this.stack.destroy();
      await this.stack.workspace.removeStack(this.name);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/**
 * Runs `fn` with a fresh test stack and always disposes of it, also when `fn` throws.
 *
 * @example
 * await withTestStack({ program: async () => ({ answer: 42 }) }, async (t) => {
 *   const up = await t.stack.up();
 *   assert.equal(up.outputs.answer.value, 42);
 * });
 */
export async function withTestStack<T>(args: TestStackArgs, fn: (stack: TestStack) => Promise<T>): Promise<T> {
  const stack = await TestStack.create(args);
  try {
    return await fn(stack);
  } finally {
    await stack.dispose();
  }
}
