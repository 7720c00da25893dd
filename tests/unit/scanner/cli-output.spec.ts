// keyless-scan's output and suppression (issue 11 item 3): --format text|json|sarif, SARIF validated against
// the SARIF 2.1.0 JSON schema (as published by Microsoft in @microsoft/jest-sarif) with ajv, fingerprints,
// inline `keyless:allow <reason>`, --baseline / --write-baseline.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { oidcProviderUnusedRule, undecodableLayerRule, webIdentityTrustRule } from "@keyless/scanner";
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import { assertNoSecrets, check, credentials } from "../../support/policy-credentials";

const root = path.resolve(__dirname, "../../..");
const shim = path.join(root, "scanner", "bin", "keyless-scan.js");
const schemaPath = require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function keylessScan(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Run {
  const res = spawnSync(process.execPath, [shim, ...args], { cwd, encoding: "utf8", env });
  assertNoSecrets(res.stdout + res.stderr, `keyless-scan ${args.join(" ")}`);
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
  partialFingerprints: Record<string, string>;
  properties: { layer: string; commit?: string };
  suppressions?: { kind: string; justification: string }[];
}
interface SarifLog {
  version: string;
  runs: { tool: { driver: { name: string; rules: { id: string }[] } }; results: SarifResult[] }[];
}

describe("keyless-scan output and suppression", () => {
  let dir: string;
  let c: ReturnType<typeof credentials>;
  let validate: (doc: unknown) => boolean;
  let errors: () => string;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "keyless-scan-out-"));
    c = credentials();
    mkdirSync(path.join(dir, "src dir"));
    writeFileSync(
      path.join(dir, "src dir", "user data.sh"),
      `#!/bin/bash\nexport AWS_ACCESS_KEY_ID=${c.accessKeyId}\n`,
    );
    writeFileSync(
      path.join(dir, "wrapped.sh"),
      `#!/bin/bash\n# unpack\necho ${gzipSync(`aws_secret_access_key = ${c.secretAccessKey}\n`).toString("base64")} | base64 -d | gunzip\n`,
    );
    writeFileSync(
      path.join(dir, "packed.b64"),
      Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, ...Array(30).fill(9)]).toString("base64"),
    );
    // unicodeRegExp off: the schema's `language` pattern has a stray `]` that only non-unicode regular expressions accept.
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    const compiled = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")));
    validate = (doc) => compiled(doc) === true;
    errors = () => ajv.errorsText(compiled.errors);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe("SARIF", () => {
    let log: SarifLog;
    before(() => {
      const res = keylessScan(["--format", "sarif", "."], dir);
      check(res.status === 1, `exit ${res.status}: ${res.stderr}`);
      log = JSON.parse(res.stdout) as SarifLog;
    });

    it("is valid SARIF 2.1.0 by the official JSON schema", () => {
      check(validate(log), errors());
      // The validator is not a rubber stamp: a log without its version, or with a bad level, fails.
      check(!validate({ ...log, version: undefined }), "a log without version must fail");
      const bad = JSON.parse(JSON.stringify(log)) as SarifLog;
      (bad.runs[0]?.results[0] as { level: string }).level = "fatal";
      check(!validate(bad), "a result with level fatal must fail");
    });

    it("has stable rule ids: the finding kinds, with results pointing at them", () => {
      const rules = log.runs[0]?.tool.driver.rules.map((r) => r.id) ?? [];
      check(
        rules.join(",") ===
          [
            "aws-access-key-id",
            "aws-secret-access-key",
            "aws-session-token",
            undecodableLayerRule.id,
            // The audit's IAM kinds: listed in every log, so a rule id never changes meaning between runs.
            webIdentityTrustRule.id,
            oidcProviderUnusedRule.id,
          ].join(","),
        rules.join(","),
      );
      for (const r of log.runs[0]?.results ?? [])
        check(rules[r.ruleIndex] === r.ruleId && r.level === "error", r.ruleId);
    });

    it("locates each finding in the file as given: path (URI-encoded), and the line the layer starts on", () => {
      const results = log.runs[0]?.results ?? [];
      const byRule = (id: string) => results.find((r) => r.ruleId === id);
      const id = byRule("aws-access-key-id")?.locations[0]?.physicalLocation;
      check(id?.artifactLocation.uri === "src%20dir/user%20data.sh" && id.region.startLine === 2, JSON.stringify(id));
      const secret = byRule("aws-secret-access-key");
      check(secret?.properties.layer === "base64 (line 3) > gzip", secret?.properties.layer ?? "");
      check(secret?.locations[0]?.physicalLocation.region.startLine === 3, "line of the base64 run");
      const xz = byRule("undecodable-layer");
      check(
        xz?.properties.layer === "base64 > xz" &&
          xz.locations[0]?.physicalLocation.artifactLocation.uri === "packed.b64",
        "xz",
      );
    });

    it("fingerprints each finding with a keyed hash: stable between runs, other under another key, never the value", () => {
      const fp = (l: SarifLog) => (l.runs[0]?.results ?? []).map((r) => r.partialFingerprints["keylessFingerprint/v1"]);
      const again = JSON.parse(keylessScan(["--format", "sarif", "."], dir).stdout) as SarifLog;
      check(fp(log).join() === fp(again).join() && fp(log).every((f) => /^[0-9a-f]{32}$/.test(f ?? "")), "stable");
      const env = { ...process.env, KEYLESS_SCAN_FINGERPRINT_KEY: "a private key" };
      const keyed = JSON.parse(keylessScan(["--format", "sarif", "."], dir, env).stdout) as SarifLog;
      check(
        fp(keyed).every((f, i) => f !== fp(log)[i]),
        "depends on the key",
      );
      const plain = [c.accessKeyId, c.secretAccessKey].map((v) => createHash("sha256").update(v).digest("hex"));
      check(!fp(log).some((f) => plain.some((p) => p.includes(f ?? "-"))), "not a plain hash of a value");
    });
  });

  it("--json is --format json; a bad --format names the argument", () => {
    check(keylessScan(["--json", "."], dir).stdout === keylessScan(["--format", "json", "."], dir).stdout, "alias");
    const bad = keylessScan(["--format", "xml", "."], dir);
    check(bad.status === 2 && /--format needs one of text, json, sarif, not "xml"/.test(bad.stderr), bad.stderr);
  });

  describe("inline keyless:allow", () => {
    it("allows a finding on its line with a reason, reports it as suppressed in SARIF", () => {
      const d = mkdtempSync(path.join(dir, "allow-"));
      writeFileSync(
        path.join(d, "fixture.sh"),
        `export AWS_ACCESS_KEY_ID=${credentials().accessKeyId} # keyless:allow revoked test fixture\n`,
      );
      const text = keylessScan(["."], d);
      check(
        text.status === 0 && /1 allowed inline/.test(text.stderr),
        `exit ${text.status}: ${text.stdout}${text.stderr}`,
      );
      const log = JSON.parse(keylessScan(["--format", "sarif", "."], d).stdout) as SarifLog;
      const s = log.runs[0]?.results[0]?.suppressions?.[0];
      check(s?.kind === "inSource" && s.justification === "revoked test fixture", JSON.stringify(s));
      check(validate(log), errors());
    });

    it("needs a reason, and the marker on its own line", () => {
      const d = mkdtempSync(path.join(dir, "noreason-"));
      writeFileSync(path.join(d, "a.sh"), `export AWS_ACCESS_KEY_ID=${credentials().accessKeyId} # keyless:allow\n`);
      const res = keylessScan(["a.sh"], d);
      check(res.status === 1 && /a\.sh:1: keyless:allow needs a reason/.test(res.stderr), res.stderr);
      writeFileSync(
        path.join(d, "b.sh"),
        `# keyless:allow a fixture\nexport AWS_ACCESS_KEY_ID=${credentials().accessKeyId}\n`,
      );
      check(keylessScan(["b.sh"], d).status === 1, "a marker on the line above allows nothing");
    });
  });

  describe("baselines", () => {
    it("holds fingerprints only; baselined findings are not reported, new ones are", () => {
      // GIVEN a tree with known findings, accepted into a baseline
      const d = mkdtempSync(path.join(dir, "base-"));
      writeFileSync(path.join(d, "old.sh"), `export AWS_ACCESS_KEY_ID=${credentials().accessKeyId}\n`);
      const baseline = path.join(dir, `baseline-${path.basename(d)}.json`);
      const wrote = keylessScan(["--write-baseline", baseline, "."], d);
      check(wrote.status === 0 && /wrote 1 fingerprint to/.test(wrote.stderr), wrote.stderr);
      const doc = JSON.parse(readFileSync(baseline, "utf8")) as Record<string, unknown>;
      check(Object.keys(doc).join() === "tool,version,fingerprints", Object.keys(doc).join());
      const text = readFileSync(baseline, "utf8");
      check(!text.includes("old.sh") && !text.includes("AKIA"), "no path, no preview");
      assertNoSecrets(text, "baseline");
      // WHEN the same tree is scanned with it, THEN nothing is reported
      const same = keylessScan(["--baseline", baseline, "."], d);
      check(same.status === 0 && /1 in the baseline/.test(same.stderr), `${same.stdout}${same.stderr}`);
      // WHEN a new key appears, THEN only it is reported
      writeFileSync(path.join(d, "new.sh"), `export AWS_ACCESS_KEY_ID=${credentials().accessKeyId}\n`);
      const next = keylessScan(["--baseline", baseline, "--json", "."], d);
      const flagged = (JSON.parse(next.stdout) as { file: string; findings: unknown[] }[]).filter(
        (e) => e.findings.length > 0,
      );
      check(next.status === 1 && flagged.length === 1 && flagged[0]?.file === "new.sh", next.stdout);
    });

    it("accepts a baselined key in its own file only: the same key in another file is a new finding", () => {
      // GIVEN a key accepted into a baseline where it is
      const d = mkdtempSync(path.join(dir, "moved-"));
      const key = credentials().accessKeyId;
      writeFileSync(path.join(d, "accepted.sh"), `export AWS_ACCESS_KEY_ID=${key}\n`);
      const baseline = path.join(dir, `baseline-${path.basename(d)}.json`);
      check(keylessScan(["--write-baseline", baseline, "."], d).status === 0, "baseline written");
      // WHEN the same key is pasted into another file, and the first file moves
      writeFileSync(path.join(d, "pasted.sh"), `# copied\nexport AWS_ACCESS_KEY_ID=${key}\n`);
      const moved = path.join(d, "sub");
      mkdirSync(moved);
      writeFileSync(path.join(moved, "accepted.sh"), readFileSync(path.join(d, "accepted.sh")));
      rmSync(path.join(d, "accepted.sh"));
      const run = keylessScan(["--baseline", baseline, "--json", "."], d);
      // THEN both are reported: a baseline entry is the key at its path (gitleaks' fingerprint holds the file too)
      const flagged = (JSON.parse(run.stdout) as { file: string; findings: unknown[] }[])
        .filter((e) => e.findings.length > 0)
        .map((e) => e.file)
        .sort();
      check(run.status === 1, `exit ${run.status}`);
      check(flagged.join() === "pasted.sh,sub/accepted.sh", `flagged: ${flagged.join()}`);
      // and the file where it was accepted, unchanged but for a line above, still is
      writeFileSync(path.join(d, "sub", "accepted.sh"), "");
      writeFileSync(path.join(d, "accepted.sh"), `#!/bin/bash\n\nexport AWS_ACCESS_KEY_ID=${key}\n`);
      rmSync(path.join(d, "pasted.sh"));
      const back = keylessScan(["--baseline", baseline, "."], d);
      check(back.status === 0 && /1 in the baseline/.test(back.stderr), `${back.stdout}${back.stderr}`);
    });

    it("names --baseline when its file is missing or is not a baseline", () => {
      const missing = keylessScan(["--baseline", "nope.json", "."], dir);
      check(
        missing.status === 2 && /--baseline nope\.json: cannot read it: ENOENT/.test(missing.stderr),
        missing.stderr,
      );
      writeFileSync(path.join(dir, "bad.json"), '{"fingerprints": ["x"]}');
      const bad = keylessScan(["--baseline", "bad.json", "."], dir);
      check(bad.status === 2 && /--baseline bad\.json: not a keyless-scan baseline/.test(bad.stderr), bad.stderr);
      check(/--write-baseline needs a FILE/.test(keylessScan(["--write-baseline"], dir).stderr), "no FILE");
    });
  });
});
