// One generic spec for every rule, in the manner of gitleaks' utils.Validate: each rule's own samples.
import { rules, scan } from "@keyless/scanner";
import { assertNoSecrets, check, fill } from "../../support/policy-credentials";

describe("rules", () => {
  for (const rule of rules) {
    describe(rule.id, () => {
      it("has a description, keywords and samples both ways", () => {
        check(rule.description.startsWith("Identified "), "description reads 'Identified ...'");
        check(rule.keywords.length > 0 && rule.truePositives.length > 0 && rule.falsePositives.length > 0, "samples");
      });
      rule.truePositives.forEach((template, i) => {
        it(`finds true positive #${i + 1}`, () => {
          const text = fill(template);
          const fs = scan(text);
          check(
            fs.some((f) => f.kind === rule.id),
            `sample #${i + 1} of ${rule.id}: got [${fs.map((f) => f.kind).join(", ")}]`,
          );
          assertNoSecrets(JSON.stringify(fs), "findings");
        });
      });
      rule.falsePositives.forEach((template, i) => {
        it(`ignores false positive #${i + 1}`, () => {
          const fs = scan(fill(template));
          check(!fs.some((f) => f.kind === rule.id), `false positive #${i + 1} of ${rule.id} was flagged`);
        });
      });
    });
  }
});
