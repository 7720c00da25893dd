// keyless-scan's SARIF rules carry the compliance controls of the pack policies that make the same check, from the
// one table the pack's metadata and README read (@keyless/scanner's policyControls).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { controlTags, findingKindControls, policyControls } from "@keyless/scanner";

const shim = path.resolve(__dirname, "..", "..", "..", "scanner", "bin", "keyless-scan.js");

interface Rule {
  readonly id: string;
  readonly properties: { readonly tags: readonly string[]; readonly controls: Record<string, readonly string[]> };
}

describe("keyless-scan SARIF: controls on each rule", () => {
  it("gives each rule the controls of the pack policies that check the same thing, as a property and as tags", () => {
    // GIVEN an empty directory scanned with --format sarif (the rule table is written whatever is found)
    const dir = mkdtempSync(path.join(os.tmpdir(), "keyless-sarif-"));
    try {
      const res = spawnSync(process.execPath, [shim, "--format", "sarif", "."], { cwd: dir, encoding: "utf8" });
      assert.equal(res.status, 0, res.stderr);
      const rules = (JSON.parse(res.stdout) as { runs: { tool: { driver: { rules: Rule[] } } }[] }).runs[0]?.tool.driver
        .rules;
      assert.ok(rules !== undefined);
      const byId = new Map(rules.map((r) => [r.id, r]));
      // THEN a key in user data or environment carries both credential policies' ids
      const key = byId.get("aws-access-key-id");
      assert.deepEqual(key?.properties.controls.checkov, ["CKV_AWS_46", "CKV_AWS_45"]);
      assert.ok(key?.properties.tags.includes("aws-fsbp:ECS.8"));
      assert.ok(key?.properties.tags.includes("prowler:ec2_instance_secrets_user_data"));
      // AND the unscoped web-identity trust carries web-identity-trust-scoped's, exactly
      assert.deepEqual(
        byId.get("web-identity-trust-unscoped")?.properties.controls,
        policyControls["web-identity-trust-scoped"],
      );
      // AND every rule's tags hold its controls, from the same table
      for (const r of rules) {
        const kind = r.id as Parameters<typeof findingKindControls>[0];
        for (const tag of controlTags(findingKindControls(kind)))
          assert.ok(r.properties.tags.includes(tag), `${r.id} ${tag}`);
        assert.ok(r.properties.tags.includes("security"), `${r.id} keeps its own tags`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
