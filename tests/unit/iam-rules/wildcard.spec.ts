import * as assert from "node:assert/strict";
import { wildcardMatches } from "@keyless/iam-rules";
import fc from "fast-check";
import { referenceMatches as reference } from "../../support/iam-oracle";

describe("iam-rules: wildcardMatches", () => {
  for (const [pattern, text, expected] of [
    ["iam:Put*Policy", "iam:PutRolePolicy", true],
    ["iam:put*policy", "IAM:PutRolePolicy", true],
    ["s3:Get?bject", "s3:GetObject", true],
    ["s3:Get?bject", "s3:PutObject", false],
    ["s3:*", "s3:", true],
    ["*", "", true],
    ["?", "", false],
    ["s3:GetObject", "s3:GetObjectAcl", false],
    ["*Object", "s3:GetObjectAcl", false],
    ["a*b*c", "aXbYbZc", true],
  ] as const) {
    it(`${JSON.stringify(pattern)} ${expected ? "matches" : "does not match"} ${JSON.stringify(text)}`, () =>
      assert.equal(wildcardMatches(pattern, text), expected));
  }

  it("agrees with a regular-expression reference on random patterns and texts", () => {
    const unit = fc.constantFrom("a", "b", ":", "/", "*", "?", "A");
    fc.assert(
      fc.property(
        fc.string({ unit, maxLength: 12 }),
        fc.string({ unit: fc.constantFrom("a", "b", ":", "/", "B"), maxLength: 16 }),
        (p, t) => assert.equal(wildcardMatches(p, t), reference(p, t), `${p} vs ${t}`),
      ),
      { numRuns: 2000 },
    );
  });

  it("stays fast on patterns that make a backtracking regular expression explode", () => {
    // GIVEN 30 stars separated by the same letter, against 20 000 letters with no final `b`
    const pattern = `${"a*".repeat(30)}b`;
    const text = "a".repeat(20_000);
    // WHEN / THEN: quadratic at worst, well under a second
    const started = process.hrtime.bigint();
    assert.equal(wildcardMatches(pattern, text), false);
    assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 1000);
  });
});
