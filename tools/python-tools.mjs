// Python command-line tools the workload tests run as a user would (the AWS CLI, certbot), each pinned in a venv of
// its own under .tools/python-tools/<name>: one venv per tool, so their pinned dependencies (botocore above all) never
// meet. Installed once; a marker records the requirements, and a change of them reinstalls that venv only.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { exists, root, run, step, toolsDir } from "./lib.mjs";
import { findPython, PIP_VERSION } from "./localstack.mjs";

/** Only distributions uploaded before this day: a later release of a dependency cannot change what is installed. */
export const UPLOADED_PRIOR_TO = "2026-12-01";

/**
 * The venv of one tool, with `requirements` (pinned `name==version` lines) installed; returns its `bin` directory.
 * @param {string} name a folder name under .tools/python-tools
 * @param {readonly string[]} requirements
 */
export async function ensurePythonTool(name, requirements) {
  const venv = path.join(toolsDir, "python-tools", name);
  const bin = path.join(venv, "bin");
  const marker = path.join(venv, ".keyless-installed");
  const spec = `${requirements.join(" ")} uploaded-prior-to ${UPLOADED_PRIOR_TO}`;
  if (exists(marker) && readFileSync(marker, "utf8") === spec) {
    console.log(`[keyless] ${name}: venv ready at ${path.relative(root, venv)}`);
    return bin;
  }
  await step(`${name} venv (${requirements.join(", ")})`, () => {
    rmSync(venv, { recursive: true, force: true });
    run(findPython(), ["-m", "venv", venv]);
    const pip = (...args) =>
      run(path.join(bin, "python"), ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", ...args]);
    pip(`pip==${PIP_VERSION}`); // the first pip that reads --uploaded-prior-to
    pip("--uploaded-prior-to", UPLOADED_PRIOR_TO, ...requirements);
    writeFileSync(marker, spec);
  });
  return bin;
}
