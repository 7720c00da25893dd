// `npm test`: everything a fresh clone needs, then the whole mocha suite.
//   install -> build -> lint -> toolchain (Pulumi CLI, launchers, LocalStack) -> LocalStack up -> mocha -> LocalStack down
// `--tier unit` stops after lint and runs only the tests that need no engine and no LocalStack.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { buildPackages, ensureNodeModules } from "./bootstrap.mjs";
import { npmBin as bin, compileCacheEnv, root, run, step, toolsEnv } from "./lib.mjs";
import { useSupportedNode } from "./node.mjs";

const tier = process.argv.includes("--tier") ? process.argv[process.argv.indexOf("--tier") + 1] : "all";
/**
 * Spec files run in this many mocha workers at once. Integration specs spend most of their time waiting on the engine
 * and the emulators, and each stack has its own backend and PULUMI_HOME, so they run side by side safely.
 */
const jobs = Number(process.env.KEYLESS_TEST_JOBS ?? 4);

async function main() {
  await useSupportedNode();
  await ensureNodeModules();
  await buildPackages();
  await step("type-check tests (tsc -p tests)", () => run(bin("tsc"), ["-p", "tests"], { cwd: root }));
  await step("type-check examples (tsc -p examples)", () => run(bin("tsc"), ["-p", "examples"], { cwd: root }));
  await step("lint (biome)", () => run(bin("biome"), ["ci", "."], { cwd: root }));

  const quick = ["tests/unit/**/*.spec.ts", "tests/policy/**/*.spec.ts"];
  if (tier === "unit") {
    await step("mocha (unit)", () => reportTotals([mocha("unit and policy", quick, toolsEnv(), { echo: true })]));
  } else {
    const { ensureToolchain } = await import("./toolchain.mjs");
    const { startLocalStack } = await import("./localstack.mjs");
    await ensureToolchain();
    const localstack = await startLocalStack();
    const env = toolsEnv(localstack.env);
    try {
      // The unit and policy specs run in one process beside the integration workers: one process writes its
      // coverage reliably (mocha's workers can be stopped before theirs is written), and the coverage gate reads it.
      // The integration specs run without coverage: c8's NODE_V8_COVERAGE is inherited by every process the engine
      // starts (program, language host, analyzer), each of which would record @pulumi/aws and the AWS SDK and write
      // megabytes of JSON at exit: a quarter of an example journey's CPU time. The unit specs alone cover components/.
      const installed = installStamp();
      await step(`mocha (unit and policy in one process; integration in ${jobs} workers beside it)`, () =>
        reportTotals([
          mocha("unit and policy", quick, env, { echo: false }),
          mocha("integration", ["tests/integration/**/*.spec.ts"], env, { echo: true, jobs, coverage: false }),
        ]),
      );
      await step("node_modules untouched by the tests", async () => {
        if (installStamp() !== installed) {
          throw new Error(
            "something ran `npm install` in the repository during the tests (node_modules/.package-lock.json or " +
              "package-lock.json changed). Specs share this node_modules: an install re-places packages under the " +
              "specs running beside it. Install into a temp project, or dry-run npm where the engine installs.",
          );
        }
      });
    } finally {
      await localstack.stop();
    }
  }
  // The components issue asks for at least 90 % of lines; c8 kept the raw coverage of the unit and policy run.
  mergeCoverage();
  await step("coverage gate (components/ lines >= 90 %)", () =>
    run(
      bin("c8"),
      ["report", "--include", "components/**", "--reporter", "text-summary", "--check-coverage", "--lines", "90"],
      { cwd: root },
    ),
  );
}

/** When npm last wrote the installed tree: it rewrites both lockfiles whenever it installs into the repository. */
function installStamp() {
  const mtime = (f) => (existsSync(path.join(root, f)) ? statSync(path.join(root, f)).mtimeMs : 0);
  return `${mtime("node_modules/.package-lock.json")} ${mtime("package-lock.json")}`;
}

const coverageDir = path.join(root, "coverage");
const coverageRuns = path.join(coverageDir, "runs");

/**
 * One mocha run, under c8 in its own coverage directory unless `coverage` is false. Resolves with its counts and exit
 * code; its output is echoed as it comes, or held and printed when it ends (so two runs side by side do not interleave).
 */
function mocha(title, specs, env, { echo, jobs: workers = 1, coverage = true }) {
  const tempDir = path.join(coverageRuns, title.replaceAll(" ", "-"));
  rmSync(tempDir, { recursive: true, force: true });
  const args = [];
  if (workers > 1) args.push("--parallel", "--jobs", String(workers));
  for (const s of specs) args.push("--spec", s);
  const [command, commandArgs] = coverage
    ? [bin("c8"), ["--temp-directory", tempDir, "--reporter", "none", bin("mocha"), ...args]]
    : [bin("mocha"), args];
  return new Promise((resolve, reject) => {
    const runEnv = coverage ? env : { ...env, ...compileCacheEnv() };
    const child = spawn(command, commandArgs, { cwd: root, env: runEnv, stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    const take = (chunk) => {
      if (echo) process.stdout.write(chunk);
      text += chunk.toString();
    };
    child.stdout.on("data", take);
    child.stderr.on("data", (chunk) => {
      if (echo) process.stderr.write(chunk);
      else text += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (!echo) process.stdout.write(`\n[keyless] mocha: ${title}\n${text}`);
      const count = (word) => Number(text.match(new RegExp(`(\\d+) ${word}`))?.[1] ?? 0);
      resolve({ title, code, passed: count("passing"), failed: count("failing"), pending: count("pending") });
    });
  });
}

/** Waits for the runs, then prints one plain "N passed, N failed" line for all of them, which CI reads. */
async function reportTotals(runs) {
  const results = await Promise.all(runs);
  const sum = (k) => results.reduce((n, r) => n + r[k], 0);
  const pending = sum("pending");
  console.log(`mocha: ${sum("passed")} passed, ${sum("failed")} failed${pending ? `, ${pending} skipped` : ""}`);
  const bad = results.filter((r) => r.code !== 0);
  if (bad.length > 0) throw new Error(bad.map((r) => `mocha (${r.title}) exited with ${r.code}`).join("; "));
}

/** Gathers each run's raw coverage into c8's default directory, where `c8 report` reads it. */
function mergeCoverage() {
  const target = path.join(coverageDir, "tmp");
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  if (!existsSync(coverageRuns)) return;
  for (const run of readdirSync(coverageRuns)) {
    for (const file of readdirSync(path.join(coverageRuns, run))) {
      cpSync(path.join(coverageRuns, run, file), path.join(target, `${run}-${file}`));
    }
  }
}

main().catch((err) => {
  console.error(`[keyless] ${err.message}`);
  process.exit(1);
});
