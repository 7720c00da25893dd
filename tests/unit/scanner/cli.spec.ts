import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { assertNoSecrets, check, credentials } from "../../support/policy-credentials";

const root = path.resolve(__dirname, "../../..");
const bin = path.join(root, "node_modules", ".bin", "keyless-scan");
const shim = path.join(root, "scanner", "bin", "keyless-scan.js");

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function keylessScan(args: readonly string[], input?: string): Run {
  const res = spawnSync(process.execPath, [shim, ...args], { cwd: root, input, encoding: "utf8" });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe("keyless-scan CLI", () => {
  let dir: string;
  let dirty: string;
  let clean: string;
  let creds: ReturnType<typeof credentials>;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "keyless-scan-"));
    creds = credentials();
    dirty = path.join(dir, "user-data.b64");
    clean = path.join(dir, "clean.sh");
    const script = `#!/bin/bash\nexport AWS_ACCESS_KEY_ID=${creds.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${creds.secretAccessKey}\n`;
    writeFileSync(dirty, gzipSync(script).toString("base64"));
    writeFileSync(clean, "#!/bin/bash\nyum install -y nginx\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is linked as a bin of the workspace (npx keyless-scan)", () => {
    const res = spawnSync(bin, [clean], { cwd: root, encoding: "utf8" });
    check(res.status === 0, `npx bin exit ${res.status}: ${res.stderr}`);
  });

  it("exits 0 and says so when nothing is found", () => {
    const res = keylessScan([clean]);
    check(res.status === 0 && /no AWS credentials found/.test(res.stdout), `exit ${res.status}`);
  });

  it("exits 1 and prints one line per finding, without values", () => {
    const res = keylessScan([dirty, clean]);
    check(res.status === 1, `exit ${res.status}`);
    const lines = res.stdout.trim().split("\n");
    check(lines.length === 2, `${lines.length} lines`);
    check(lines[0] === `${dirty}: AWS access key id at base64 > gzip, line 2 (AKIA…)`, lines[0] ?? "");
    assertNoSecrets(res.stdout + res.stderr, "CLI output");
  });

  it("prints one JSON document with --json", () => {
    const res = keylessScan(["--json", dirty, clean]);
    check(res.status === 1, `exit ${res.status}`);
    const doc = JSON.parse(res.stdout) as { file: string; findings: Record<string, unknown>[] }[];
    check(doc.length === 2 && doc[0]?.file === dirty && doc[1]?.findings.length === 0, "one entry per input");
    const f = doc[0]?.findings[1];
    check(
      f !== undefined &&
        Object.keys(f).join(",") === "kind,level,layer,line,preview,description,fingerprint" &&
        f.level === "error" &&
        /^[0-9a-f]{32}$/.test(String(f.fingerprint)) &&
        f.kind === "aws-secret-access-key" &&
        f.layer === "base64 > gzip" &&
        f.line === 3,
      "finding shape",
    );
    assertNoSecrets(res.stdout + res.stderr, "CLI JSON output");
  });

  it("reads standard input as -", () => {
    const res = keylessScan(["--json", "-"], `aws_secret_access_key = ${creds.secretAccessKey}\n`);
    check(res.status === 1 && JSON.parse(res.stdout)[0].file === "<stdin>", `exit ${res.status}`);
    assertNoSecrets(res.stdout + res.stderr, "CLI output");
  });

  it("exits 2 on usage errors and unreadable files", () => {
    check(keylessScan([]).status === 2, "no path");
    check(keylessScan(["--bogus", clean]).status === 2, "unknown option");
    check(keylessScan(["--max-depth", "x", clean]).status === 2, "bad number");
    const res = keylessScan([path.join(dir, "missing")]);
    check(res.status === 2 && /ENOENT/.test(res.stderr), `exit ${res.status}`);
  });

  it("passes limits through", () => {
    const res = keylessScan(["--max-depth", "1", dirty]);
    check(res.status === 1 && /nested deeper than maxDepth \(1\)/.test(res.stdout), res.stdout);
  });
});
