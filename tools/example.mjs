// `npm run example -- <name> [--keep]`: deploys examples/<name> to LocalStack with the real engine and the keyless-aws
// pack, prints its outputs, and destroys it (or leaves it up with --keep and says how to destroy it).
import { readdirSync } from "node:fs";
import path from "node:path";
import { exists, root, step } from "./lib.mjs";
import { POLICY_PACK, printKeepInstructions, startLocalRun, violationLine } from "./local-run.mjs";
import { useSupportedNode } from "./node.mjs";

const examplesDir = path.join(root, "examples");

/** The runnable examples: every folder with a Pulumi.yaml, but not the anti-pattern of the migration runbook. */
function runnable() {
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === "node_modules") continue;
      const sub = path.join(dir, entry.name);
      if (exists(path.join(sub, "Pulumi.yaml"))) found.push(path.relative(examplesDir, sub));
      else walk(sub);
    }
  };
  walk(examplesDir);
  return found.filter((n) => !n.endsWith("before")).sort();
}

async function main() {
  await useSupportedNode();
  const args = process.argv.slice(2);
  const keep = args.includes("--keep");
  const name = args.find((a) => !a.startsWith("--"));
  const names = runnable();
  if (!name || !names.includes(name.replace(/\/$/, ""))) {
    console.error(`usage: npm run example -- <name> [--keep]\n  name: one of ${names.join(", ")}`);
    process.exit(2);
  }
  const workDir = path.join(examplesDir, name);
  const { testing, stop } = await startLocalRun();
  let stack;
  let kept = false;
  try {
    stack = await step(`create stack for examples/${name}`, () => testing.TestStack.create({ workDir }));
    const preview = await step("pulumi preview --policy-pack policy-pack", () =>
      stack.preview({ policyPacks: [POLICY_PACK] }),
    );
    console.log(`  keyless-aws pack: ${preview.violations.length} note(s) or violation(s)`);
    for (const v of preview.violations) console.log(`  ${violationLine(v)}`);
    const up = await step("pulumi up", () => stack.up({ policyPacks: [POLICY_PACK] }));
    console.log("\nOutputs:");
    for (const [key, value] of Object.entries(up.outputs)) console.log(`  ${key.padEnd(20)} ${JSON.stringify(value)}`);
    if (keep) {
      kept = true;
      printKeepInstructions(stack, workDir);
    }
  } finally {
    if (!kept) {
      if (stack) await step("pulumi destroy", () => stack.dispose());
      await stop();
    }
  }
}

main().catch((err) => {
  console.error(`[keyless] ${err.message}`);
  process.exit(1);
});
