// The real Pulumi engine (.tools/bin/pulumi) with our Node.js language host and launchers, a private PULUMI_HOME
// and a local file backend in a temporary directory. Programs and policy packs are written to temporary
// directories outside the repository: they have no node_modules of their own and run on the repository's
// @pulumi/pulumi through the launchers' fallback.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";

export const repoRoot = path.resolve(__dirname, "..", "..", "..");
export const toolsDir = path.join(repoRoot, ".tools");
export const binDir = path.join(toolsDir, "bin");
export const pulumiBin = path.join(binDir, "pulumi");

export interface Sandbox {
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly pulumiCommand: PulumiCommand;
  /** A fresh directory under the sandbox. */
  mkdir(name: string): string;
  cleanup(): void;
}

/** Fails with a clear message when the CLI was not built; (re)writes the launchers. */
export function requireToolchain(): void {
  if (!existsSync(pulumiBin)) {
    throw new Error(`${pulumiBin} is missing: run \`npm run toolchain\` to build the Pulumi CLI first`);
  }
  const res = spawnSync(process.execPath, [path.join(repoRoot, "tools", "launchers.mjs")], { encoding: "utf8" });
  if (res.status !== 0) {
    throw new Error(`node tools/launchers.mjs failed (${res.status ?? res.signal}):\n${res.stdout}\n${res.stderr}`);
  }
}

export async function createSandbox(): Promise<Sandbox> {
  requireToolchain();
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyless-toolchain-"));
  const home = path.join(dir, "pulumi-home");
  const state = path.join(dir, "state");
  mkdirSync(home);
  mkdirSync(state);
  const env: Record<string, string> = {
    PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}`,
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: "keyless-toolchain-test",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
  const pulumiCommand = await PulumiCommand.get({ root: toolsDir });
  return {
    dir,
    env,
    pulumiCommand,
    mkdir(name: string) {
      const d = path.join(dir, name);
      mkdirSync(d, { recursive: true });
      return d;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

export function selectStack(sandbox: Sandbox, workDir: string, stackName: string): Promise<Stack> {
  return LocalWorkspace.createOrSelectStack(
    { workDir, stackName },
    { envVars: sandbox.env, pulumiCommand: sandbox.pulumiCommand, pulumiHome: sandbox.env.PULUMI_HOME },
  );
}

/** Removes the stack (and whatever it still holds) without masking the test's own failure. */
export async function removeStack(stack: Stack | undefined): Promise<void> {
  if (!stack) return;
  try {
    await stack.workspace.removeStack(stack.name, { force: true });
  } catch (err) {
    console.error(`could not remove stack ${stack.name}: ${(err as Error).message}`);
  }
}

/** The number of resources in the stack's current state. */
export async function resourceCount(stack: Stack): Promise<number> {
  const deployment = await stack.exportStack();
  return deployment.deployment?.resources?.length ?? 0;
}
