// `npm test`: everything a fresh clone needs, then the whole mocha suite.
//   install -> build -> lint -> toolchain (Pulumi CLI, launchers, LocalStack) -> LocalStack up -> mocha -> LocalStack down
// `--tier unit` stops after lint and runs only the tests that need no engine and no LocalStack.
import path from "node:path";
import { ensureNodeModules } from "./bootstrap.mjs";
import { root, run, step, toolsEnv } from "./lib.mjs";

const tier = process.argv.includes("--tier") ? process.argv[process.argv.indexOf("--tier") + 1] : "all";
const bin = (name) => path.join(root, "node_modules", ".bin", name);

async function main() {
  await ensureNodeModules();
  await step("build (tsc -b)", () => {
    run(bin("tsc"), ["-b"], { cwd: root });
    run(bin("tsc"), ["-p", "tests"], { cwd: root });
  });
  await step("lint (biome)", () => run(bin("biome"), ["ci", "."], { cwd: root }));

  const specs = ["tests/unit/**/*.spec.ts", "tests/policy/**/*.spec.ts"];
  let env = toolsEnv();
  let localstack;
  if (tier !== "unit") {
    const { ensureToolchain } = await import("./toolchain.mjs");
    const { startLocalStack } = await import("./localstack.mjs");
    await ensureToolchain();
    localstack = await startLocalStack();
    env = toolsEnv(localstack.env);
    specs.push("tests/integration/**/*.spec.ts");
  }
  try {
    await step(`mocha (${tier})`, () =>
      run(bin("c8"), [bin("mocha"), ...specs.flatMap((s) => ["--spec", s])], { cwd: root, env }),
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

main().catch((err) => {
  console.error(`[keyless] ${err.message}`);
  process.exit(1);
});
