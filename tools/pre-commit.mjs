// `node tools/pre-commit.mjs`: installs pre-commit (from PyPI, pinned) into .tools/pre-commit/venv-<version>
// and prints the path of its `pre-commit` executable. A second run does nothing. The scanner's hook test
// (tests/unit/scanner/pre-commit.spec.ts) calls it, then runs keyless-scan's hook the way pre-commit does.
// Node built-ins only, like the other toolchain scripts.
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { capture, exists, run, toolsDir } from "./lib.mjs";

export const PRE_COMMIT_VERSION = "4.7.0";
const MIN_PYTHON = [3, 9];

const home = path.join(toolsDir, "pre-commit");
const venv = path.join(home, `venv-${PRE_COMMIT_VERSION}`);
const marker = path.join(venv, ".keyless-installed");
/** The launcher this script writes: `python -m pre_commit` from the venv. */
export const preCommitBin = path.join(home, `pre-commit-${PRE_COMMIT_VERSION}`);

function pythonVersion(bin) {
  return capture(bin, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])?.split(".").map(Number);
}

/** $KEYLESS_PYTHON, then python3.13, python3.12, python3 on PATH: the first at least MIN_PYTHON with venv. */
function findPython() {
  for (const bin of [process.env.KEYLESS_PYTHON, "python3.13", "python3.12", "python3"]) {
    if (!bin) continue;
    const v = pythonVersion(bin);
    if (v && (v[0] > MIN_PYTHON[0] || (v[0] === MIN_PYTHON[0] && v[1] >= MIN_PYTHON[1]))) return bin;
  }
  throw new Error(
    `pre-commit ${PRE_COMMIT_VERSION} needs Python >= ${MIN_PYTHON.join(".")}; none found ` +
      "(tried $KEYLESS_PYTHON, python3.13, python3.12, python3). Install one, or set KEYLESS_PYTHON.",
  );
}

/**
 * Creates the venv and installs pre-commit into it, once; returns the path of a launcher for it. The venv is
 * built under a temporary name and renamed into place, so two test runs starting at once cannot leave a
 * half-installed one (the launcher runs `python -m pre_commit`, which works from the renamed venv).
 */
export function ensurePreCommit() {
  if (exists(marker) && exists(preCommitBin)) return preCommitBin;
  const python = findPython();
  const building = `${venv}.${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  run(python, ["-m", "venv", building]);
  run(path.join(building, "bin", "python"), [
    "-m",
    "pip",
    "install",
    "--disable-pip-version-check",
    "--quiet",
    `pre-commit==${PRE_COMMIT_VERSION}`,
  ]);
  writeFileSync(path.join(building, ".keyless-installed"), `pre-commit==${PRE_COMMIT_VERSION}\n`);
  if (exists(marker)) {
    rmSync(building, { recursive: true, force: true }); // another run finished first
  } else {
    rmSync(venv, { recursive: true, force: true });
    renameSync(building, venv);
  }
  writeFileSync(
    `${preCommitBin}.${process.pid}`,
    `#!/bin/sh\nexec "${path.join(venv, "bin", "python")}" -m pre_commit "$@"\n`,
    {
      mode: 0o755,
    },
  );
  renameSync(`${preCommitBin}.${process.pid}`, preCommitBin);
  return preCommitBin;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(ensurePreCommit());
}
