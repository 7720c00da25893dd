// `npm test`: everything a fresh clone needs, then the whole mocha suite.
//   install -> build -> lint -> toolchain (Pulumi CLI, launchers, LocalStack) -> LocalStack up -> mocha -> LocalStack down
// `--tier unit` stops after lint and runs only the tests that need no engine and no LocalStack.
import { spawn } from "node:child_process";
import { buildPackages, ensureNodeModules } from "./bootstrap.mjs";
import { npmBin as bin, root, run, step, toolsEnv } from "./lib.mjs";

const tier = process.argv.includes("--tier") ? process.argv[process.argv.indexOf("--tier") + 1] : "all";
/**
 * Spec files run in this many mocha workers at once. Integration specs spend most of their time waiting on the engine
 * and the emulators, and each stack has its own backend and PULUMI_HOME, so they run side by side safely.
 */
const jobs = Number(process.env.KEYLESS_TEST_JOBS ?? 4);

async function main() {
  await ensureNodeModules();
  await buildPackages();
  await step("type-check tests (tsc -p tests)", () => run(bin("tsc"), ["-p", "tests"], { cwd: root }));
  await step("type-check examples (tsc -p examples)", () => run(bin("tsc"), ["-p", "examples"], { cwd: root }));
  await step("lint (biome)", () => run(bin("biome"), ["ci", "."], { cwd: root }));

  const specs = ["tests/unit/**/*.spec.ts", "tests/policy/**/*.spec.ts"];
  const parallel = [];
  let env = toolsEnv();
  let localstack;
  if (tier !== "unit") {
    const { ensureToolchain } = await import("./toolchain.mjs");
    const { startLocalStack } = await import("./localstack.mjs");
    await ensureToolchain();
    localstack = await startLocalStack();
    env = toolsEnv(localstack.env);
    specs.push("tests/integration/**/*.spec.ts");
    if (jobs > 1) parallel.push("--parallel", "--jobs", String(jobs));
  }
  try {
    await step(`mocha (${tier})`, () =>
      mochaWithSummary([bin("c8"), bin("mocha"), ...parallel, ...specs.flatMap((s) => ["--spec", s])], env),
    );
  } finally {
    await localstack?.stop();
  }
  // The components issue asks for at least 90 % of lines; c8 kept the raw coverage of the run above.
  await step("coverage gate (components/ lines >= 90 %)", () =>
    run(
      bin("c8"),
      ["report", "--include", "components/**", "--reporter", "text-summary", "--check-coverage", "--lines", "90"],
      { cwd: root },
    ),
  );
}

/**
 * Runs mocha (under c8), echoing its output, and ends with one plain "N passed, N failed" line
 * that CI reads. Resolves only when mocha exits 0.
 */
function mochaWithSummary([cmd, ...args], env) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ["ignore", "pipe", "inherit"] });
    let text = "";
    child.stdout.on("data", (chunk) => {
      process.stdout.write(chunk);
      text += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const count = (word) => Number(text.match(new RegExp(`(\\d+) ${word}`))?.[1] ?? 0);
      const pending = count("pending");
      console.log(
        `mocha: ${count("passing")} passed, ${count("failing")} failed${pending ? `, ${pending} skipped` : ""}`,
      );
      if (code === 0) resolve();
      else reject(new Error(`mocha exited with ${code}`));
    });
  });
}

main().catch((err) => {
  console.error(`[keyless] ${err.message}`);
  process.exit(1);
});
