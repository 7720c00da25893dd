// Shared plumbing for the toolchain scripts. Node built-ins only: these run
// before `npm ci`, on a fresh clone.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const toolsDir = path.join(root, ".tools");
export const binDir = path.join(toolsDir, "bin");

/**
 * Node.js's on-disk V8 code cache (NODE_COMPILE_CACHE) for the processes the engine starts: every preview and up
 * starts a program, a language host, the provider and the policy pack, each loading @pulumi/pulumi (0.70 s of CPU
 * without the cache, 0.37 s with it). Left out where coverage is recorded: cached code makes it less precise.
 */
export function compileCacheEnv() {
  return { NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE || path.join(toolsDir, "node-compile-cache") };
}

/** Prints a step, runs it, prints how long it took. */
export async function step(title, fn) {
  const started = process.hrtime.bigint();
  console.log(`[keyless] ${title} ...`);
  const result = await fn();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`[keyless] ${title}: done in ${seconds.toFixed(1)} s`);
  return result;
}

/** Runs a command, inheriting stdio; throws with the command line on failure. */
export function run(cmd, args, options = {}) {
  const res = spawnSync(cmd, args, { stdio: "inherit", ...options });
  if (res.error) throw new Error(`${cmd} ${args.join(" ")}: ${res.error.message}`);
  if (res.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited with ${res.status ?? res.signal}`);
  }
  return res;
}

/** Runs a command and returns its trimmed stdout, or undefined when it fails. */
export function capture(cmd, args, options = {}) {
  const res = spawnSync(cmd, args, { encoding: "utf8", ...options });
  if (res.error || res.status !== 0) return undefined;
  return res.stdout.trim();
}

/** The exact @pulumi/pulumi version the lockfile resolved: the SDK the CLI must serve (tools/pulumi-cli.mjs). */
export function lockedPulumiVersion() {
  const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8"));
  const entry = lock.packages?.["node_modules/@pulumi/pulumi"];
  if (!entry?.version) {
    throw new Error("package-lock.json has no node_modules/@pulumi/pulumi entry: run `npm install` first");
  }
  return entry.version;
}

/** An executable that npm installed into the workspace's node_modules/.bin. */
export function npmBin(name) {
  return path.join(root, "node_modules", ".bin", name);
}

/** PATH with .tools/bin first, so the engine finds the CLI's plugins and launchers. */
export function toolsEnv(extra = {}) {
  return { ...process.env, PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}`, ...extra };
}

export function exists(p) {
  return existsSync(p);
}
