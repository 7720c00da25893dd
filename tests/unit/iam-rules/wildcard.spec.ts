import * as assert from "node:assert/strict";
import { wildcardMatches } from "@keyless/iam-rules";
import fc from "fast-check";
import { propertyParameters } from "../../support/fast-check";
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
    // a `*` or `?` in the text is an ordinary character: the pattern's `*` still spans it
    ["*", "*a", true],
    ["a*b", "a*cb", true],
    ["repo:octo/*", "repo:octo/*x", true],
    ["?", "*", true],
    ["a?", "a*b", false],
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
      propertyParameters(2000),
    );
  });

  it("agrees with the reference on texts that hold `*` and `?` themselves", () => {
    const unit = fc.constantFrom("a", "*", "?", "b");
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 8 }), fc.string({ unit, maxLength: 10 }), (p, t) =>
        assert.equal(wildcardMatches(p, t), reference(p, t), `${p} vs ${t}`),
      ),
      propertyParameters(3000),
    );
  });

  describe("caseSensitive option", () => {
    for (const [pattern, text, insensitive, sensitive] of [
      ["repo:Octo/*", "repo:octo/app", true, false],
      ["repo:octo/*", "repo:octo/App", true, true],
      ["arn:aws:iam::*:role/CI", "arn:aws:iam::111122223333:role/ci", true, false],
      ["S3:Get?bject", "s3:GetObject", true, false],
    ] as const) {
      it(`${JSON.stringify(pattern)} vs ${JSON.stringify(text)}: ${insensitive} by default, ${sensitive} case-sensitively`, () => {
        assert.equal(wildcardMatches(pattern, text), insensitive);
        assert.equal(wildcardMatches(pattern, text, { caseSensitive: false }), insensitive);
        assert.equal(wildcardMatches(pattern, text, { caseSensitive: true }), sensitive);
      });
    }

    it("agrees with a case-sensitive regular-expression reference", () => {
      const unit = fc.constantFrom("a", "A", "b", "*", "?");
      fc.assert(
        fc.property(fc.string({ unit, maxLength: 8 }), fc.string({ unit, maxLength: 10 }), (p, t) =>
          assert.equal(wildcardMatches(p, t, { caseSensitive: true }), reference(p, t, true), `${p} vs ${t}`),
        ),
        propertyParameters(3000),
      );
    });
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
