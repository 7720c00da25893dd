// The fixture corpus: tests/fixtures/user-data/{positive,negative}/ templates, filled and encoded at
// test time as corpus.json says. Positives must report exactly the expected kinds at the expected
// layer; negatives must report nothing.
import { readFileSync } from "node:fs";
import path from "node:path";
import { formatFinding, scan } from "@keyless/scanner";
import { assertNoSecrets, check, fill } from "../../support/policy-credentials";
import { encode, type StepName } from "../../support/policy-encodings";

interface Case {
  readonly name: string;
  readonly file: string;
  readonly chain: readonly StepName[];
  readonly expect?: readonly string[];
}

const dir = path.resolve(__dirname, "../../fixtures/user-data");
const corpus = JSON.parse(readFileSync(path.join(dir, "corpus.json"), "utf8")) as {
  positive: Case[];
  negative: Case[];
};

function run(c: Case): { findings: ReturnType<typeof scan>; layer: string } {
  const text = fill(readFileSync(path.join(dir, c.file), "utf8"));
  const { bytes, layer } = encode(text, c.chain);
  return { findings: scan(c.chain.length === 0 ? text : bytes), layer };
}

describe("user-data corpus", () => {
  it("holds at least 30 samples each way", () => {
    check(corpus.positive.length >= 30 && corpus.negative.length >= 30, "corpus size");
  });

  describe("positive samples are flagged", () => {
    for (const c of corpus.positive) {
      it(c.name, () => {
        const { findings, layer } = run(c);
        const got = [...new Set(findings.map((f) => f.kind))].sort().join(",");
        const want = [...(c.expect ?? [])].sort().join(",");
        check(got === want, `kinds [${got}], want [${want}]: ${findings.map(formatFinding).join("; ")}`);
        check(
          findings.every((f) => f.layer === layer),
          `layers ${findings.map((f) => f.layer).join("; ")}, want ${layer}`,
        );
        assertNoSecrets(JSON.stringify(findings) + findings.map(formatFinding).join("\n"), "findings");
      });
    }
  });

  describe("negative samples pass", () => {
    for (const c of corpus.negative) {
      it(c.name, () => {
        const { findings } = run(c);
        check(findings.length === 0, `flagged: ${findings.map(formatFinding).join("; ")}`);
      });
    }
  });
});
