/**
 * What `pulumi policy publish` needs from policy-pack/, checked offline. Publishing (the CLI's
 * cloudPolicyPack.Publish, read in pulumi/pulumi) first starts the pack and asks it for GetAnalyzerInfo (name, version from package.json, each
 * policy's metadata), then uploads what `npm pack` makes of the directory. This spec does both steps without Pulumi
 * Cloud: it starts the built pack as the CLI does (node, in the pack's directory), calls the same gRPC method, and lists
 * what `npm pack --dry-run` would upload.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { controlTags, keylessPolicyNames, policyControls } from "@keyless/scanner";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type { AnalyzerInfo } from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { npmCommand } from "../../support/npm";

const PACK = path.resolve(__dirname, "..", "..", "..", "policy-pack");
const manifest = JSON.parse(readFileSync(path.join(PACK, "package.json"), "utf8")) as { version: string; main: string };

/** PulumiPolicy.yaml's top-level `key: value` pairs (the file is flat). */
function pulumiPolicyYaml(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path.join(PACK, "PulumiPolicy.yaml"), "utf8").split("\n")) {
    const m = /^([a-z]+):\s*"?(.*?)"?\s*$/.exec(line);
    if (m?.[1] !== undefined) out[m[1]] = m[2] ?? "";
  }
  return out;
}

/** Starts the pack as the CLI does and resolves with the port it prints. */
function startPack(): Promise<{ child: ChildProcess; port: number }> {
  const main = path.join(PACK, pulumiPolicyYaml()["main"] ?? "");
  const child = spawn(process.execPath, [main], { cwd: PACK, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\s*$/m.exec(out);
      if (m?.[1] !== undefined) resolve({ child, port: Number(m[1]) });
    });
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("exit", (code) => reject(new Error(`the pack exited (${code}) before printing its port: ${err}`)));
  });
}

describe("policy pack: what `pulumi policy publish` reads", function () {
  this.timeout(60_000);

  it("PulumiPolicy.yaml names the nodejs runtime and a main that the build produced", () => {
    const yaml = pulumiPolicyYaml();
    assert.equal(yaml["runtime"], "nodejs");
    assert.ok(existsSync(path.join(PACK, yaml["main"] ?? "", "index.js")), "main/index.js exists: run `tsc -b` first");
    assert.equal(path.posix.normalize(manifest.main), "dist/index.js");
    assert.match(manifest.version, /^\d+\.\d+\.\d+/);
  });

  it("the built pack answers GetAnalyzerInfo with its name, package.json's version and each policy's metadata", async () => {
    // GIVEN the pack started as the CLI starts it
    const { child, port } = await startPack();
    const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      // WHEN asked for its metadata, as `pulumi policy publish` does first
      const info = await new Promise<AnalyzerInfo>((resolve, reject) =>
        client.getAnalyzerInfo(new Empty(), (err, res) => (err ? reject(err) : resolve(res))),
      );
      // THEN it names itself and the version publish will tag, and every policy carries url, severity and controls
      assert.equal(info.getName(), "keyless-aws");
      assert.equal(info.getVersion(), manifest.version);
      const policies = info.getPoliciesList();
      assert.deepEqual(
        policies.map((p) => p.getName()),
        [...keylessPolicyNames],
      );
      for (const p of policies) {
        const name = p.getName() as keyof typeof policyControls;
        assert.match(p.getUrl(), new RegExp(`#${name}$`), `${name} url`);
        assert.notEqual(p.getSeverity(), 0, `${name} severity is set`);
        for (const tag of controlTags(policyControls[name])) assert.ok(p.getTagsList().includes(tag), `${name} ${tag}`);
      }
    } finally {
      client.close();
      child.kill();
    }
  });

  it("npm pack of the pack's directory holds PulumiPolicy.yaml, package.json and the built entry point", () => {
    const [cmd, pre] = npmCommand();
    const out = execFileSync(cmd, [...pre, "pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: PACK,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const files = new Set((JSON.parse(out) as [{ files: { path: string }[] }])[0].files.map((f) => f.path));
    for (const f of ["PulumiPolicy.yaml", "package.json", "dist/index.js", "dist/policies.js", "README.md"]) {
      assert.ok(files.has(f), `npm pack uploads ${f}`);
    }
  });
});
