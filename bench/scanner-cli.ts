// keyless-scan as teams run it, side by side with gitleaks in the same run (issue 11 item 6):
//   1. a directory of 10,000 files (mostly source, some user data), `keyless-scan DIR` vs `gitleaks dir DIR`;
//   2. a git history of 2,000 commits, `keyless-scan --git` vs `gitleaks git`;
//   3. `keyless-scan audit` of 1,000 EC2 instances in a LocalStack this script starts on its own ports.
// gitleaks is built here from the Go module proxy (go install, into .tools/gitleaks/); without Go, or without
// the LocalStack venv, the part that needs it says so and is skipped. Wall time and peak memory come from
// /usr/bin/time. A few generated keys are planted so both tools have something to find; no output is printed.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { keyPair, pick } from "./support/generated-keys";

const root = path.resolve(__dirname, "..");
const cli = path.join(root, "scanner", "bin", "keyless-scan.js");
const GITLEAKS_VERSION = "8.30.1";
const gitleaksBin = path.join(root, ".tools", "gitleaks", `bin-${GITLEAKS_VERSION}`, "gitleaks");
const work = mkdtempSync(path.join(tmpdir(), "keyless-bench-cli-"));

const words = ["user", "order", "item", "price", "total", "cache", "client", "request", "result", "config"];
const ident = (): string =>
  `${words[(randomBytes(1)[0] ?? 0) % words.length]}${pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 1)}${pick("abcdefghij", 4)}`;
function sourceFile(lines: number): string {
  const out: string[] = ['import { readFileSync } from "node:fs";', ""];
  for (let i = 0; i < lines; i++) {
    const a = ident();
    out.push(
      i % 7 === 0
        ? `export function ${a}(input: string): number {`
        : i % 7 === 6
          ? "}"
          : `  const ${a} = ${ident()}.get("${ident()}") ?? ${i}; // ${pick("abcdefghijklmnopqrstuvwxyz ", 40)}`,
    );
  }
  return `${out.join("\n")}\n`;
}
function userData(i: number): string {
  const script = `#!/bin/bash\nset -euo pipefail\nyum install -y nginx jq\naws s3 cp s3://artifacts-${i}/app.tgz /opt/app.tgz\nsystemctl enable --now nginx\n`;
  if (i % 3 === 0) return `#!/bin/bash\necho ${gzipSync(script).toString("base64")} | base64 -d | gunzip | bash\n`;
  if (i % 3 === 1)
    return `#cloud-config\nwrite_files:\n  - path: /etc/app.env\n    encoding: b64\n    content: ${Buffer.from("LOG_LEVEL=info\nPORT=8080\n").toString("base64")}\nruncmd:\n  - systemctl restart app\n`;
  return script;
}

/** gitleaks on `target` (a directory or a repository), redacted, its JSON report in `report`, never failing the run. */
function gitleaksArgs(mode: "dir" | "git", target: string, report: string): string[] {
  const quiet = ["--no-banner", "--redact", "--exit-code", "0", "--log-level", "error"];
  return [mode, target, ...quiet, "--report-format", "json", "--report-path", report];
}

/** Wall time (s) and peak resident memory (MB) of a command, the better of `runs`. */
function measure(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env, runs = 2) {
  let best = { seconds: Number.POSITIVE_INFINITY, mb: 0, status: -1 as number | null };
  for (let i = 0; i < runs; i++) {
    const res = spawnSync("/usr/bin/time", ["-f", "%e %M", cmd, ...args], {
      cwd,
      env,
      encoding: "utf8",
      maxBuffer: 1 << 28,
    });
    const last = res.stderr.trim().split("\n").pop() ?? "";
    const [s, kb] = last.split(" ").map(Number);
    if ((s ?? Number.POSITIVE_INFINITY) < best.seconds)
      best = { seconds: s ?? 0, mb: (kb ?? 0) / 1024, status: res.status };
  }
  return best;
}

function ensureGitleaks(): string | undefined {
  if (existsSync(gitleaksBin)) return gitleaksBin;
  const res = spawnSync("go", ["install", `github.com/zricethezav/gitleaks/v8@v${GITLEAKS_VERSION}`], {
    env: { ...process.env, GOBIN: path.dirname(gitleaksBin), GOFLAGS: "-mod=mod" },
    encoding: "utf8",
    timeout: 900_000,
  });
  if (res.status !== 0 || !existsSync(gitleaksBin)) {
    console.log(
      `gitleaks ${GITLEAKS_VERSION} could not be built (${res.error?.message ?? res.stderr.trim().split("\n").pop()}); its columns are skipped`,
    );
    return undefined;
  }
  return gitleaksBin;
}

const keylessCount = (report: string): number =>
  (JSON.parse(readFileSync(report, "utf8")) as { findings: unknown[] }[]).reduce((n, e) => n + e.findings.length, 0);
const gitleaksCount = (report: string): number => (JSON.parse(readFileSync(report, "utf8")) as unknown[]).length;

function row(what: string, tool: string, m: { seconds: number; mb: number }, found: number): void {
  console.log(
    `${what.padEnd(44)}${tool.padEnd(22)}${`${m.seconds.toFixed(2)} s`.padEnd(10)}${`${m.mb.toFixed(0)} MB`.padEnd(9)}${found} findings`,
  );
}

function benchDirectory(gitleaks: string | undefined): void {
  const dir = path.join(work, "tree");
  let bytes = 0;
  for (let i = 0; i < 10_000; i++) {
    const sub = path.join(dir, `pkg${i % 40}`, `mod${i % 7}`);
    mkdirSync(sub, { recursive: true });
    const text = i % 10 === 9 ? userData(i) : sourceFile(40 + (i % 120));
    const planted = i % 2000 === 1234 ? `${text}${keyPair()}` : text;
    bytes += planted.length;
    writeFileSync(path.join(sub, i % 10 === 9 ? `user-data-${i}.sh` : `file${i}.ts`), planted);
  }
  const what = `directory, 10,000 files, ${(bytes / 1024 / 1024).toFixed(0)} MB`;
  const report = path.join(work, "report.json");
  const k = measure("sh", ["-c", `"${process.execPath}" "${cli}" --format json "${dir}" > "${report}"`], work);
  row(what, "keyless-scan", k, keylessCount(report));
  if (gitleaks !== undefined) {
    const args = gitleaksArgs("dir", dir, report);
    const g = measure(gitleaks, args, work);
    row(what, `gitleaks ${GITLEAKS_VERSION}`, g, gitleaksCount(report));
  }
  rmSync(report, { force: true });
}

function benchHistory(gitleaks: string | undefined): void {
  const repo = path.join(work, "repo");
  mkdirSync(repo);
  execFileSync("git", ["init", "-q", repo]);
  // git fast-import: 200 files, then 2,000 commits each changing 1-3 of them; three commits plant a key, the next removes it.
  const chunks: string[] = [];
  let mark = 0;
  const blob = (text: string): number => {
    mark++;
    chunks.push(`blob\nmark :${mark}\ndata ${Buffer.byteLength(text)}\n${text}\n`);
    return mark;
  };
  const files = Array.from({ length: 200 }, (_, i) => (i % 10 === 9 ? `deploy/user-data-${i}.sh` : `src/file${i}.ts`));
  for (let c = 0; c < 2000; c++) {
    const changes =
      c === 0
        ? files.map((f, i) => [f, i] as const)
        : Array.from(
            { length: 1 + (c % 3) },
            (_, j) => [files[(c * 7 + j * 13) % files.length] ?? "x", c + j] as const,
          );
    const ops = changes.map(([f, i]) => {
      let text = f.endsWith(".sh") ? userData(i) : sourceFile(30 + (i % 60));
      if (c % 700 === 350 && f === changes[0]?.[0]) text += keyPair();
      return `M 100644 :${blob(text)} ${f}\n`;
    });
    const message = `change ${c}`;
    chunks.push(
      `commit refs/heads/main\ncommitter bench <bench@example.com> ${1_700_000_000 + c * 60} +0000\ndata ${message.length}\n${message}\n${ops.join("")}\n`,
    );
  }
  execFileSync("git", ["fast-import", "--quiet"], { cwd: repo, input: chunks.join("") });
  execFileSync("git", ["checkout", "-q", "main"], { cwd: repo });
  const what = "git history, 2,000 commits";
  const report = path.join(work, "report.json");
  const k = measure("sh", ["-c", `"${process.execPath}" "${cli}" --git --format json > "${report}"`], repo);
  row(what, "keyless-scan --git", k, keylessCount(report));
  if (gitleaks !== undefined) {
    const args = gitleaksArgs("git", repo, report);
    const g = measure(gitleaks, args, repo);
    row(what, `gitleaks ${GITLEAKS_VERSION} git`, g, gitleaksCount(report));
  }
  rmSync(report, { force: true });
}

async function benchAudit(): Promise<void> {
  const port = 4690;
  const env = { ...process.env, KEYLESS_LOCALSTACK_PORT: String(port), KEYLESS_MOTO_PORT: String(port + 1) };
  const start = spawnSync(process.execPath, [path.join(root, "tools", "localstack.mjs"), "start"], {
    env,
    encoding: "utf8",
    timeout: 600_000,
  });
  if (start.status !== 0) {
    console.log(
      `audit: LocalStack could not start on port ${port}, skipped (${start.stderr.trim().split("\n").pop()})`,
    );
    return;
  }
  try {
    const { EC2Client, RunInstancesCommand } = await import("@aws-sdk/client-ec2");
    const endpoint = `http://127.0.0.1:${port}`;
    const ec2 = new EC2Client({
      endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    for (let i = 0; i < 10; i++) {
      const script = i === 3 ? `${userData(i)}${keyPair()}` : userData(i);
      await ec2.send(
        new RunInstancesCommand({
          ImageId: "ami-03cf127a",
          InstanceType: "t3.micro",
          MinCount: 100,
          MaxCount: 100,
          UserData: Buffer.from(script).toString("base64"),
        }),
      );
    }
    const report = path.join(work, "audit.json");
    const auditEnv = {
      ...process.env,
      AWS_ENDPOINT_URL: endpoint,
      AWS_ENDPOINT_URL_ECS: `http://127.0.0.1:${port + 1}`,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_REGION: "us-east-1",
    };
    const m = measure(
      "sh",
      ["-c", `"${process.execPath}" "${cli}" audit --format json --region us-east-1 > "${report}"`],
      work,
      auditEnv,
    );
    row("audit, 1,000 instances (LocalStack)", "keyless-scan audit", m, keylessCount(report));
  } finally {
    spawnSync(process.execPath, [path.join(root, "tools", "localstack.mjs"), "stop"], { env, encoding: "utf8" });
  }
}

async function main(): Promise<void> {
  const gitleaks = ensureGitleaks();
  console.log(`\n${"input".padEnd(44)}${"tool".padEnd(22)}${"wall".padEnd(10)}${"peak RSS".padEnd(9)}`);
  try {
    benchDirectory(gitleaks);
    benchHistory(gitleaks);
    await benchAudit();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench scanner-cli: ${(err as Error).message}`);
  process.exitCode = 1;
});
