// `keyless-scan --pulumi-state FILE|-` (issue 11 item 5): every resource's inputs and outputs in
// `pulumi stack export` output, findings named by URN and property path, ciphertext reported as encrypted.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { assertNoSecrets, check, credentials } from "../../support/policy-credentials";

const root = path.resolve(__dirname, "../../..");
const shim = path.join(root, "scanner", "bin", "keyless-scan.js");
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";

function keylessScan(args: readonly string[], input?: string) {
  const res = spawnSync(process.execPath, [shim, ...args], { cwd: root, encoding: "utf8", input });
  assertNoSecrets(res.stdout + res.stderr, `keyless-scan ${args.join(" ")}`);
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

const urn = (type: string, name: string) => `urn:pulumi:dev::shop::${type}::${name}`;

describe("keyless-scan --pulumi-state", () => {
  let dir: string;
  let file: string;
  let clean: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "keyless-state-"));
    const web = credentials();
    const fn = credentials();
    const ecs = credentials();
    const shown = credentials();
    const state = {
      version: 3,
      deployment: {
        manifest: { time: "2026-11-26T00:00:00Z" },
        resources: [
          { urn: urn("pulumi:pulumi:Stack", "shop-dev"), type: "pulumi:pulumi:Stack", outputs: {} },
          {
            urn: urn("aws:ec2/instance:Instance", "web"),
            type: "aws:ec2/instance:Instance",
            inputs: {
              ami: "ami-03cf127a",
              userDataBase64: gzipSync(
                `#!/bin/bash\nexport AWS_ACCESS_KEY_ID=${web.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${web.secretAccessKey}\n`,
              ).toString("base64"),
            },
            outputs: { id: "i-0abc", tags: { Name: "web" } },
          },
          {
            urn: urn("aws:lambda/function:Function", "api"),
            type: "aws:lambda/function:Function",
            inputs: { environment: { variables: { TABLE: "orders", AWS_SECRET_ACCESS_KEY: fn.secretAccessKey } } },
            outputs: {
              environment: { variables: { TABLE: "orders", AWS_SECRET_ACCESS_KEY: fn.secretAccessKey } },
              // A secret output the state holds encrypted.
              apiKey: { [SIG]: SECRET, ciphertext: "v1:Zm9vYmFyYmF6cXV4cXV1eA==:bm9ub25jZQ==" },
            },
          },
          {
            urn: urn("aws:ecs/taskDefinition:TaskDefinition", "worker"),
            type: "aws:ecs/taskDefinition:TaskDefinition",
            inputs: {
              containerDefinitions: JSON.stringify([
                {
                  name: "worker",
                  image: "worker:1",
                  environment: [{ name: "AWS_SECRET_ACCESS_KEY", value: ecs.secretAccessKey }],
                },
              ]),
            },
          },
          {
            urn: urn("aws:iam/accessKey:AccessKey", "deployer"),
            type: "aws:iam/accessKey:AccessKey",
            // Exported with --show-secrets: the secret is plaintext (JSON of the value), next to its key id.
            outputs: {
              id: shown.accessKeyId,
              secret: { [SIG]: SECRET, plaintext: JSON.stringify(shown.secretAccessKey) },
            },
          },
        ],
      },
    };
    file = path.join(dir, "state.json");
    writeFileSync(file, JSON.stringify(state, null, 2));
    clean = path.join(dir, "clean.json");
    writeFileSync(
      clean,
      JSON.stringify({
        version: 3,
        deployment: {
          resources: [
            {
              urn: urn("aws:lambda/function:Function", "api"),
              inputs: { environment: { variables: { TABLE: "orders", SIGNING_SALT: "Ab3".repeat(13).slice(0, 40) } } },
              outputs: { role: "arn:aws:iam::123456789012:role/api", sourceCodeHash: "x".repeat(44) },
            },
          ],
        },
      }),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("finds keys in inputs and outputs, named by URN and property path", () => {
    const res = keylessScan(["--pulumi-state", file, "--json"]);
    check(res.status === 1, `exit ${res.status}: ${res.stderr}`);
    const doc = JSON.parse(res.stdout) as { file: string; findings: { kind: string; layer: string }[] }[];
    const got = doc.map((d) => `${d.file} ${d.findings.map((f) => f.kind).join(",")}`);
    const want = [
      `${urn("aws:ec2/instance:Instance", "web")}#inputs.userDataBase64 aws-access-key-id,aws-secret-access-key`,
      `${urn("aws:lambda/function:Function", "api")}#inputs.environment.variables.AWS_SECRET_ACCESS_KEY aws-secret-access-key`,
      `${urn("aws:lambda/function:Function", "api")}#outputs.environment.variables.AWS_SECRET_ACCESS_KEY aws-secret-access-key`,
      `${urn("aws:ecs/taskDefinition:TaskDefinition", "worker")}#inputs.containerDefinitions aws-secret-access-key`,
      `${urn("aws:iam/accessKey:AccessKey", "deployer")}#outputs.id aws-access-key-id`,
      `${urn("aws:iam/accessKey:AccessKey", "deployer")}#outputs.secret aws-secret-access-key`,
    ];
    check(got.join("\n") === want.join("\n"), got.join("\n"));
    check(doc[0]?.findings[0]?.layer === "base64 > gzip", "user data layers");
  });

  it("reports ciphertext as encrypted, not scanned", () => {
    const res = keylessScan(["--pulumi-state", file]);
    check(
      res.stderr.includes(
        `${urn("aws:lambda/function:Function", "api")}#outputs.apiKey: encrypted in the state, not scanned`,
      ),
      res.stderr,
    );
    check(/5 resources, 1 encrypted value not scanned/.test(res.stderr), res.stderr);
  });

  it("reads standard input, passes a clean state, and names the argument on bad input", () => {
    check(
      keylessScan(["--pulumi-state", "-"], JSON.stringify({ version: 3, deployment: { resources: [] } })).status === 0,
      "stdin",
    );
    check(keylessScan(["--pulumi-state", clean]).status === 0, "clean state");
    const bad = keylessScan(["--pulumi-state", "-"], "[1, 2]");
    check(bad.status === 2 && /--pulumi-state -: no deployment\.resources/.test(bad.stderr), bad.stderr);
    const missing = keylessScan(["--pulumi-state", path.join(dir, "nope.json")]);
    check(missing.status === 2 && /cannot read it: ENOENT/.test(missing.stderr), missing.stderr);
    check(
      /--pulumi-state and --git cannot be combined|--git and --pulumi-state cannot be combined/.test(
        keylessScan(["--pulumi-state", file, "--git"]).stderr,
      ),
      "exclusive",
    );
  });
});
