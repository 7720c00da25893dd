// Scanner throughput: typical user data, a 10 MB input, and adversarial inputs (time per MB). The keyless-scan
// CLI side by side with gitleaks, and `keyless-scan audit` of 1,000 instances, are in bench/scanner-cli.ts.
// Targets (issue 5): >= 100 MB/s on plain text, any 1 MB input < 50 ms. The hex, percent-encoding, name/value
// and zlib rows (issue 11, issue 13) measure the decodings added since.
import { randomBytes } from "node:crypto";
import { deflateSync, gzipSync } from "node:zlib";
import { scan } from "@keyless/scanner";

const MB = 1024 * 1024;
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const rand = (n: number, alphabet: string): string => {
  const bytes = randomBytes(n);
  let out = "";
  for (let i = 0; i < n; i++) out += alphabet[(bytes[i] ?? 0) % alphabet.length];
  return out;
};

const scriptLines = [
  "#!/bin/bash",
  "set -euo pipefail",
  "yum install -y nginx amazon-cloudwatch-agent jq",
  'TOKEN=$(curl -sX PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 21600")',
  'REGION=$(curl -sH "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/placement/region)',
  'aws s3 cp s3://app-artifacts/releases/app-1.4.2.tgz /opt/app.tgz --region "$REGION"',
  "tar -xzf /opt/app.tgz -C /opt/app && chown -R app:app /opt/app",
  "cat > /etc/systemd/system/app.service <<'EOF'",
  "[Service]",
  "EnvironmentFile=/etc/app/app.env",
  "ExecStart=/opt/app/bin/app --port 8080 --log-level info",
  "EOF",
  "systemctl daemon-reload && systemctl enable --now app nginx",
];
function plainText(bytes: number): string {
  const out: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `${scriptLines[i % scriptLines.length]} # step ${i}`;
    out.push(line);
    size += line.length + 1;
  }
  return out.join("\n").slice(0, bytes);
}

function time(input: string | Uint8Array, minMs = 300): { ms: number; runs: number } {
  scan(input); // warm up
  let runs = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs || runs < 3) {
    scan(input);
    runs++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return { ms: elapsed / runs, runs };
}

const size = (x: string | Uint8Array): number => (typeof x === "string" ? Buffer.byteLength(x) : x.byteLength);

const rows: [string, string | Uint8Array][] = [];
const typical = plainText(16 * 1024);
rows.push(["typical user data, 16 KB plain script", typical]);
rows.push(["typical user data, 16 KB, gzip + base64", gzipSync(typical).toString("base64")]);
rows.push(["plain text, 10 MB", plainText(10 * MB)]);
rows.push([
  "base64 (76-column lines) of text, 10 MB",
  Buffer.from(plainText(7.5 * MB))
    .toString("base64")
    .replace(/(.{76})/g, "$1\n"),
]);

rows.push(["typical user data, 16 KB, zlib + base64", deflateSync(typical).toString("base64")]);
rows.push([
  "hex (xxd -p, 60 columns) of text, 1 MB",
  Buffer.from(plainText(MB / 2))
    .toString("hex")
    .replace(/(.{60})/g, "$1\n"),
]);
rows.push([
  "percent-encoded text (every byte %XX), 1 MB",
  Array.from(Buffer.from(plainText(MB / 3)), (b) => `%${b.toString(16).padStart(2, "0")}`).join(""),
]);
const taskEnv = Array.from({ length: 200 }, (_, i) => `{"name":"VAR_${i}","value":"${rand(40, B64)}"}`).join(",");
rows.push(["ECS-style name/value pairs (40-char values), 16 KB", `{"environment":[${taskEnv}]}`.slice(0, 16 * 1024)]);

const adversarial: [string, string | Uint8Array][] = [];
adversarial.push(["base64 alphabet, one 1 MB run", rand(MB, B64)]);
adversarial.push(["base64 alphabet, 1 MB of 76-column lines", rand(MB, B64).replace(/(.{76})/g, "$1\n")]);
adversarial.push([
  "base64 alphabet, 40-char tokens after secret names",
  Array.from({ length: MB / 64 }, () => `aws_secret_access_key=${rand(40, B64)}`)
    .join("\n")
    .slice(0, MB),
]);
adversarial.push([
  "near-miss key prefixes (AKIA + 15/17 chars)",
  Array.from({ length: MB / 40 }, (_, i) => `AKIA${rand(i % 2 === 0 ? 15 : 17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")} `)
    .join("")
    .slice(0, MB),
]);
adversarial.push(["'AKIA' repeated, no separators", "AKIA".repeat(MB / 4)]);
adversarial.push(["spaces and '=' (regex backtracking bait)", `${" ".repeat(MB / 2)}${"=".repeat(MB / 2)}`]);
adversarial.push([
  "MIME boundary lines",
  `Content-Type: multipart/mixed; boundary=B\n\n${"--B\n\nx\n".repeat(MB / 8)}`,
]);
let nested = `export AWS_SESSION_TOKEN=${rand(300, B64)}\n`.repeat(50);
for (let i = 0; i < 8; i++) nested = Buffer.from(nested).toString("base64");
adversarial.push(["nested base64 x8 (~1 MB)", nested.slice(0, Math.min(nested.length, 2 * MB))]);
adversarial.push(["gzip bomb, 1 MB compressed (reported, not expanded)", gzipSync(Buffer.alloc(1024 * MB))]);
adversarial.push(["random bytes, 1 MB", new Uint8Array(randomBytes(MB))]);
adversarial.push([
  "value fields with 40-char tokens (neighbour-label lookups)",
  Array.from({ length: MB / 56 }, () => `"value": "${rand(40, B64)}",\n`)
    .join("")
    .slice(0, MB),
]);
adversarial.push(["hex digits, one 1 MB run", rand(MB, "0123456789abcdef")]);
adversarial.push(["'%41' repeated (one 1 MB percent span)", "%41".repeat(MB / 3)]);
adversarial.push([
  "zlib header + random bytes, 1 MB (not zlib)",
  new Uint8Array(Buffer.concat([Buffer.from([0x78, 0x9c]), randomBytes(MB)])),
]);

const pad = (s: string, n: number): string => s.padEnd(n);
console.log(`\n${pad("input", 60)}${pad("size", 10)}${pad("ms/scan", 10)}${pad("MB/s", 10)}ms per MB`);
for (const [name, input] of [...rows, ...adversarial]) {
  const bytes = size(input);
  const { ms } = time(input);
  const mb = bytes / MB;
  console.log(
    `${pad(name, 60)}${pad(`${mb >= 1 ? `${mb.toFixed(1)} MB` : `${(bytes / 1024).toFixed(0)} KB`}`, 10)}${pad(ms.toFixed(2), 10)}${pad((mb / (ms / 1000)).toFixed(0), 10)}${(ms / mb).toFixed(1)}`,
  );
}
