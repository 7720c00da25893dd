// The keyless-scan hook run the way pre-commit runs it: pre-commit (from PyPI, installed into .tools/ by
// tools/pre-commit.mjs) reads this repository's .pre-commit-hooks.yaml, installs the repository as a
// `language: node` package (npm install -g git+file://..., whose `prepare` builds the scanner) and runs the
// hook on the files. Needs PyPI and the npm registry (or warm caches) the first time.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { assertNoSecrets, check, credentials } from "../../support/policy-credentials";

const root = path.resolve(__dirname, "../../..");

// Without c8's NODE_V8_COVERAGE: the coverage of pre-commit's npm install, the scanner's build and the hook counts for
// nothing (the gate reads components/), and recording it cost these tests about 3 s of 40.
const { NODE_V8_COVERAGE: _coverage, ...baseEnv } = process.env;

const gitEnv = {
  ...baseEnv,
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@example.com",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@example.com",
  GIT_CONFIG_NOSYSTEM: "1",
};

function sh(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = gitEnv) {
  const res = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: 600_000 });
  const out = `${res.stdout ?? ""}${res.stderr ?? ""}`;
  assertNoSecrets(out, `${path.basename(cmd)} ${args[0] ?? ""}`);
  return { status: res.status, out };
}

describe("pre-commit hook (.pre-commit-hooks.yaml)", function () {
  this.timeout(900_000);
  let preCommit: string;
  let work: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    const install = spawnSync(process.execPath, [path.join(root, "tools", "pre-commit.mjs")], {
      env: baseEnv,
      encoding: "utf8",
      timeout: 600_000,
    });
    check(install.status === 0, `tools/pre-commit.mjs failed: ${install.stderr}`);
    preCommit = install.stdout.trim().split("\n").pop() ?? "";
    work = mkdtempSync(path.join(tmpdir(), "keyless-pre-commit-"));
    // Its own cache: the hook environment is built from this checkout, never reused from another run.
    env = { ...gitEnv, PRE_COMMIT_HOME: path.join(work, "cache") };
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("declares the hook as pre-commit expects it", () => {
    const manifest = readFileSync(path.join(root, ".pre-commit-hooks.yaml"), "utf8");
    for (const line of ["- id: keyless-scan", "entry: keyless-scan", "language: node", "pass_filenames: true"]) {
      check(manifest.includes(line), `manifest lacks ${line}`);
    }
  });

  it("try-repo: fails on a staged file holding a key, passes clean files, prints no value", () => {
    // GIVEN a project with one clean and one dirty file
    const repo = path.join(work, "try");
    sh("git", ["init", "-q", repo], work);
    const c = credentials();
    writeFileSync(path.join(repo, "clean.sh"), "#!/bin/sh\necho hello\n");
    writeFileSync(path.join(repo, "user-data.sh"), `#!/bin/sh\nexport AWS_SECRET_ACCESS_KEY=${c.secretAccessKey}\n`);
    sh("git", ["add", "."], repo);
    // WHEN pre-commit runs the hook from this checkout (uncommitted changes included)
    const dirty = sh(preCommit, ["try-repo", root, "keyless-scan", "--files", "clean.sh", "user-data.sh"], repo, env);
    // THEN
    check(dirty.status === 1 && /keyless-scan.*Failed/.test(dirty.out), `exit ${dirty.status}: ${dirty.out}`);
    check(/user-data\.sh: AWS secret access key at raw, line 2/.test(dirty.out), dirty.out);
    check(!/clean\.sh:/.test(dirty.out), "clean file not flagged");
  });

  it("as a git hook: blocks the commit, then lets a clean one through", function () {
    // The committed HEAD of this checkout, as a hook repository at a rev (CI runs a fresh clone of main).
    const rev = sh("git", ["rev-parse", "HEAD"], root).out.trim();
    const manifestAtRev = spawnSync("git", ["cat-file", "-e", `${rev}:.pre-commit-hooks.yaml`], { cwd: root });
    if (manifestAtRev.status !== 0) this.skip(); // only before the manifest's first commit
    const repo = path.join(work, "hooked");
    sh("git", ["init", "-q", repo], work);
    writeFileSync(
      path.join(repo, ".pre-commit-config.yaml"),
      `repos:\n  - repo: ${root}\n    rev: ${rev}\n    hooks:\n      - id: keyless-scan\n`,
    );
    check(sh(preCommit, ["install"], repo, env).status === 0, "pre-commit install");
    const c = credentials();
    writeFileSync(path.join(repo, "deploy.sh"), `aws configure set aws_access_key_id ${c.accessKeyId}\n`);
    sh("git", ["add", "."], repo);
    const blocked = sh("git", ["commit", "-qm", "deploy"], repo, env);
    check(
      blocked.status !== 0 && /deploy\.sh: AWS access key id/.test(blocked.out),
      `exit ${blocked.status}: ${blocked.out}`,
    );
    check(sh("git", ["rev-parse", "--verify", "-q", "HEAD"], repo).status !== 0, "nothing was committed");
    writeFileSync(path.join(repo, "deploy.sh"), "aws sts get-caller-identity\n");
    sh("git", ["add", "."], repo);
    const passed = sh("git", ["commit", "-qm", "deploy"], repo, env);
    check(passed.status === 0, `exit ${passed.status}: ${passed.out}`);
  });
});
