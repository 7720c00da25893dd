// What `npm run demo` and `npm run example` share: the workspace built, the toolchain a program needs (no YAML host),
// LocalStack and moto started, and @keyless/testing loaded with their endpoints in the environment.
import { createRequire } from "node:module";
import path from "node:path";
import { buildPackages, ensureNodeModules } from "./bootstrap.mjs";
import { binDir, compileCacheEnv, root, toolsEnv } from "./lib.mjs";

/** The keyless-aws policy pack, as `pulumi preview --policy-pack` takes it. */
export const POLICY_PACK = path.join(root, "policy-pack");

/** Builds what is missing and starts the emulators; returns the harness and a `stop` for the emulators. */
export async function startLocalRun() {
  await ensureNodeModules();
  await buildPackages();
  const { ensureToolchain } = await import("./toolchain.mjs");
  await ensureToolchain({ yamlHost: false });
  const { startLocalStack } = await import("./localstack.mjs");
  const localstack = await startLocalStack();
  Object.assign(process.env, toolsEnv({ ...localstack.env, ...compileCacheEnv() }));
  const testing = createRequire(import.meta.url)(path.join(root, "harness"));
  return { testing, stop: () => localstack.stop() };
}

/**
 * A policy violation as one line: level, policy, resource and the finding. The engine prefixes each message with the
 * policy's description, which is left out.
 */
export function violationLine(v) {
  const finding = v.message.trim().split("\n").slice(1).join(" ").trim() || v.message.trim();
  const resource = v.urn ? ` on ${String(v.urn).split("::").pop()}` : "";
  return `[${v.enforcementLevel}] ${v.policyName}${resource}: ${finding}`;
}

/** Prints how to reach a stack left up with `--keep`: the CLI in the stack's environment, then destroy. */
export function printKeepInstructions(stack, workDir) {
  const env = ["PULUMI_BACKEND_URL", "PULUMI_HOME", "PULUMI_CONFIG_PASSPHRASE", "KEYLESS_LOCALSTACK_ENDPOINT"]
    .map((k) => `${k}=${stack.env[k]}`)
    .join(" ");
  const cli = `${env} ${path.join(binDir, "pulumi")}`;
  const cwd = path.relative(process.cwd(), workDir) || ".";
  console.log(`\nLeft up (--keep): stack ${stack.name}, LocalStack and moto still running.`);
  console.log(`  inspect:  ${cli} stack output --stack ${stack.name} --cwd ${cwd}`);
  console.log(`  destroy:  ${cli} destroy --yes --remove --stack ${stack.name} --cwd ${cwd}`);
  const backend = String(stack.env.PULUMI_BACKEND_URL).replace(/^file:\/\//, "");
  console.log(`  then:     npm run localstack -- stop && rm -rf ${backend}`);
}
