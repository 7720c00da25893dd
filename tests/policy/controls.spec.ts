import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { POLICY_DOCS_URL, policies } from "@keyless/policy-pack/policies";
import { controlTags, keylessPolicyNames, policyControls } from "@keyless/scanner";

const README = readFileSync(path.resolve(__dirname, "..", "..", "policy-pack", "README.md"), "utf8");

/** The rows of the README's controls table: policy -> [severity, fsbp, cis, prowler, checkov], ids as lists. */
function readmeTable(): Map<string, string[][]> {
  const section = README.slice(README.indexOf("## Controls"), README.indexOf("## Policy reference"));
  const rows = new Map<string, string[][]>();
  for (const line of section.split("\n")) {
    const m = /^\| \[`([a-z0-9-]+)`\]\(#([a-z0-9-]+)\) \|(.*)\|$/.exec(line);
    if (m === null) continue;
    assert.equal(m[2], m[1], `the row of ${m[1]} links to its own section`);
    const cells = (m[3] ?? "").split("|").map((c) => c.trim());
    rows.set(
      m[1] ?? "",
      cells.map((c) => (c === "—" ? [] : c.split(", ").map((id) => id.replace(/^`|`$/g, "")))),
    );
  }
  return rows;
}

describe("pack metadata for auditors", () => {
  it("every policy has a severity, a url to its README section and its controls as tags", () => {
    assert.deepEqual(
      policies.map((p) => p.name),
      [...keylessPolicyNames],
    );
    for (const p of policies) {
      assert.ok(["low", "medium", "high", "critical"].includes(p.severity ?? ""), `${p.name} severity`);
      assert.equal(p.url, `${POLICY_DOCS_URL}#${p.name}`);
      assert.ok(README.includes(`\n### \`${p.name}\`\n`), `README has a section for ${p.name}`);
      const controls = policyControls[p.name as keyof typeof policyControls];
      assert.ok(controls !== undefined, `${p.name} has controls`);
      for (const tag of controlTags(controls)) assert.ok(p.tags?.includes(tag), `${p.name} tags ${tag}`);
    }
    // the policies auditors ask about carry their framework ids
    const imds = policies.find((p) => p.name === "imdsv2-required");
    assert.ok(imds?.tags?.includes("aws-fsbp:EC2.8") && imds.tags.includes("checkov:CKV_AWS_79"));
    assert.equal(imds?.framework?.name, "AWS Foundational Security Best Practices");
  });

  it("the README's controls table is the metadata, row for row", () => {
    const table = readmeTable();
    assert.deepEqual([...table.keys()], [...keylessPolicyNames]);
    for (const p of policies) {
      const c = policyControls[p.name as keyof typeof policyControls];
      assert.deepEqual(table.get(p.name), [[p.severity ?? ""], c.awsFsbp, c.cisAws, c.prowler, c.checkov], p.name);
    }
  });
});
