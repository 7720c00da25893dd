// keyless-scan on directories, git's index and git history (issue 11 item 2), through the real bin.
// Keys are generated at run time; every output is checked for them.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { assertNoSecrets, check, credentials } from "../../support/policy-credentials";

const root = path.resolve(__dirname, "../../..");
const shim = path.join(root, "scanner", "bin", "keyless-scan.js");

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function keylessScan(args: readonly string[], cwd: string): Run {
  const res = spawnSync(process.execPath, [shim, ...args], { cwd, encoding: "utf8" });
  const run = { status: res.status, stdout: res.stdout, stderr: res.stderr };
  assertNoSecrets(run.stdout + run.stderr, `keyless-scan ${args.join(" ")}`);
  return run;
}

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@example.com",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@example.com",
  GIT_CONFIG_NOSYSTEM: "1",
};

function git(cwd: string, ...args: string[]): string {
  const res = spawnSync("git", args, { cwd, encoding: "utf8", env: gitEnv });
  check(res.status === 0, `git ${args.join(" ")}: ${res.stderr}`);
  return res.stdout.trim();
}

const keyLine = (c: ReturnType<typeof credentials>): string => `export AWS_ACCESS_KEY_ID=${c.accessKeyId}\n`;

interface JsonEntry {
  file: string;
  commit?: string;
  findings: { kind: string; layer: string; line: number; fingerprint: string }[];
}

describe("keyless-scan paths and git", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "keyless-scan-paths-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe("directories", () => {
    let tree: string;
    before(() => {
      // GIVEN a git work tree whose root .gitignore ignores some of what holds keys
      tree = path.join(dir, "tree");
      mkdirSync(path.join(tree, "app", "sub"), { recursive: true });
      mkdirSync(path.join(tree, "build"), { recursive: true });
      mkdirSync(path.join(tree, "vendor"), { recursive: true });
      git(tree, "init", "-q");
      writeFileSync(path.join(tree, ".gitignore"), "build/\n*.log\nvendor/*\n!vendor/keep.sh\n");
      writeFileSync(path.join(tree, "app", ".gitignore"), "local.env\n");
      writeFileSync(path.join(tree, "app", "user-data.sh"), `#!/bin/bash\n${keyLine(credentials())}`);
      writeFileSync(path.join(tree, "app", "sub", "layer.gz"), gzipSync(keyLine(credentials())));
      writeFileSync(path.join(tree, "app", "local.env"), keyLine(credentials()));
      writeFileSync(path.join(tree, "build", "out.sh"), keyLine(credentials()));
      writeFileSync(path.join(tree, "debug.log"), keyLine(credentials()));
      writeFileSync(path.join(tree, "vendor", "lib.sh"), keyLine(credentials()));
      writeFileSync(path.join(tree, "vendor", "keep.sh"), keyLine(credentials()));
      writeFileSync(path.join(tree, ".git", "stray"), keyLine(credentials()));
      // Binary with a key inside it: skipped (not a layer the scanner opens).
      writeFileSync(
        path.join(tree, "app", "image.bin"),
        Buffer.concat([Buffer.alloc(64), Buffer.from(keyLine(credentials())), Buffer.alloc(64)]),
      );
      // An xz stream by magic: skipped, and said so.
      writeFileSync(
        path.join(tree, "app", "archive.xz"),
        Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3, 4]),
      );
      writeFileSync(path.join(tree, "app", "clean.txt"), "hello\n");
      // Symlinks: to a file already scanned, a loop back up, a dangling one.
      symlinkSync(path.join(tree, "app", "user-data.sh"), path.join(tree, "app", "link-to-user-data.sh"));
      symlinkSync(tree, path.join(tree, "app", "sub", "loop"));
      symlinkSync(path.join(tree, "missing"), path.join(tree, "app", "dangling"));
    });

    it("walks recursively, honours .gitignore at every level, skips binary and .git, follows links once", () => {
      // WHEN
      const res = keylessScan(["--json", "."], tree);
      // THEN only the files git would track, once each
      check(res.status === 1, `exit ${res.status}: ${res.stderr}`);
      const doc = JSON.parse(res.stdout) as JsonEntry[];
      const flagged = doc.filter((e) => e.findings.length > 0).map((e) => e.file);
      check(
        flagged.join(",") === ["app/sub/layer.gz", "app/user-data.sh", "vendor/keep.sh"].join(","),
        `flagged: ${flagged.join(", ")}`,
      );
      check(doc.find((e) => e.file === "app/sub/layer.gz")?.findings[0]?.layer === "gzip", "gzip opened");
      check(
        doc.some((e) => e.file === "app/clean.txt"),
        "clean text scanned",
      );
      check(!doc.some((e) => e.file.includes("loop") || e.file.includes("link-to")), "no file twice");
      check(/skipped app\/archive\.xz: xz data/.test(res.stderr), `xz said: ${res.stderr}`);
      check(/skipped app\/dangling: broken symlink/.test(res.stderr), "dangling link said");
    });

    it("answers `keyless-scan .` in text too, with a summary on standard error", () => {
      const res = keylessScan(["."], tree);
      check(res.status === 1 && res.stdout.split("\n").filter(Boolean).length === 3, res.stdout);
      check(/files scanned, \d+ skipped, 3 findings/.test(res.stderr), res.stderr);
    });

    it("honours the work tree's .gitignore when a subdirectory is scanned", () => {
      const res = keylessScan(["--json", "vendor"], tree);
      const doc = JSON.parse(res.stdout) as JsonEntry[];
      check(doc.map((e) => e.file).join(",") === "vendor/keep.sh", doc.map((e) => e.file).join(","));
    });

    it("scans a file named explicitly even when ignored", () => {
      check(keylessScan(["build/out.sh"], tree).status === 1, "explicit path");
    });

    it("reports a file over --max-file-size as not scanned, which fails the run", () => {
      const big = path.join(dir, "big");
      mkdirSync(big);
      writeFileSync(path.join(big, "large.sh"), `# ${"x".repeat(4000)}\n`);
      const res = keylessScan(["--max-file-size", "1000", "big"], dir);
      check(
        res.status === 1 &&
          /large\.sh: Undecodable layer at raw, line 1: .*over the --max-file-size cap of 1000 bytes/.test(res.stdout),
        res.stdout,
      );
      check(keylessScan(["big"], dir).status === 0, "under the default cap");
    });
  });

  describe("--staged and --git", () => {
    let repo: string;
    let first: string;
    let second: string;
    before(() => {
      // GIVEN a history where a key is committed, copied, then deleted
      repo = path.join(dir, "repo");
      mkdirSync(repo);
      git(repo, "init", "-q");
      writeFileSync(path.join(repo, "README.md"), "# app\n");
      git(repo, "add", ".");
      git(repo, "commit", "-qm", "start");
      const c = credentials();
      writeFileSync(path.join(repo, "deploy.sh"), `#!/bin/bash\necho deploying\n${keyLine(c)}`);
      writeFileSync(path.join(repo, "copy.sh"), `#!/bin/bash\necho deploying\n${keyLine(c)}`);
      git(repo, "add", ".");
      git(repo, "commit", "-qm", "add deploy");
      first = git(repo, "rev-parse", "HEAD");
      rmSync(path.join(repo, "deploy.sh"));
      rmSync(path.join(repo, "copy.sh"));
      writeFileSync(path.join(repo, "app.sh"), "#!/bin/bash\necho clean\n");
      git(repo, "add", "-A");
      git(repo, "commit", "-qm", "remove the key");
      second = git(repo, "rev-parse", "HEAD");
    });

    it("--git finds a key that was deleted, once per blob, naming commit, path and line", () => {
      const res = keylessScan(["--git", "--format", "json"], repo);
      check(res.status === 1, `exit ${res.status}: ${res.stderr}`);
      const doc = (JSON.parse(res.stdout) as JsonEntry[]).filter((e) => e.findings.length > 0);
      check(doc.length === 1, `${doc.length} blobs with findings (one blob, two paths)`);
      check(
        doc[0]?.commit === first && doc[0].file === "copy.sh" && doc[0].findings[0]?.line === 3,
        JSON.stringify(doc),
      );
      const text = keylessScan(["--git"], repo);
      check(text.stdout.startsWith(`${first.slice(0, 12)}:copy.sh: AWS access key id at raw, line 3`), text.stdout);
    });

    it("--git RANGE scans only that range", () => {
      check(keylessScan(["--git", `${first}..${second}`], repo).status === 0, "after the key");
      check(keylessScan(["--git", `${first}~1..${first}`], repo).status === 1, "the commit that added it");
    });

    it("--staged scans the index, not the work tree", () => {
      // GIVEN a staged key, then the work-tree copy cleaned without staging
      writeFileSync(path.join(repo, "staged.sh"), keyLine(credentials()));
      git(repo, "add", "staged.sh");
      writeFileSync(path.join(repo, "staged.sh"), "echo clean\n");
      writeFileSync(path.join(repo, "unstaged.sh"), keyLine(credentials()));
      // WHEN / THEN
      const res = keylessScan(["--staged", "--json"], repo);
      const doc = JSON.parse(res.stdout) as JsonEntry[];
      check(res.status === 1 && doc.length === 1 && doc[0]?.file === "staged.sh", res.stdout);
      git(repo, "reset", "-q");
      check(keylessScan(["--staged"], repo).status === 0, "nothing staged");
    });

    it("names the argument on bad input", () => {
      const notRepo = mkdtempSync(path.join(tmpdir(), "keyless-scan-norepo-"));
      try {
        const staged = keylessScan(["--staged"], notRepo);
        check(staged.status === 2 && /--staged: git rev-parse failed/.test(staged.stderr), staged.stderr);
      } finally {
        rmSync(notRepo, { recursive: true, force: true });
      }
      const range = keylessScan(["--git", "no-such-ref..HEAD"], repo);
      check(range.status === 2 && /^keyless-scan: --git: git log failed/.test(range.stderr), range.stderr);
      check(keylessScan(["--git", "--all"], repo).status === 2, "an option is not a range");
      check(/--staged and --git/.test(keylessScan(["--staged", "--git"], repo).stderr), "exclusive");
      check(/--staged takes no PATH/.test(keylessScan(["--staged", "x"], repo).stderr), "no paths");
    });
  });
});
