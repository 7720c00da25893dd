// grants() (tests/integration/examples/support.ts) is how the example journeys compare a role's permissions: every
// statement with every element, so that a broader statement or a condition on any statement changes the lines.
import * as assert from "node:assert/strict";
import { grants, type Statement } from "../../integration/examples/support";

const READ: Statement = { Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::b/*"] };

describe("suite: the example journeys' grants()", () => {
  it("lists an Allow of actions on resources as `action resource`", () => {
    assert.deepEqual(grants([READ]), ["s3:GetObject arn:aws:s3:::b/*"]);
  });

  it("shows an Allow with NotAction or NotResource: it grants every other action or resource", () => {
    // GIVEN a role whose second statement allows everything but IAM
    const broad: Statement = { Effect: "Allow", NotAction: ["iam:*"], Resource: ["*"] };
    const elsewhere: Statement = { Effect: "Allow", Action: ["s3:PutObject"], NotResource: ["arn:aws:s3:::b/*"] };
    // WHEN / THEN the lines differ from the read alone
    assert.deepEqual(grants([READ, broad, elsewhere]), [
      "not iam:* *",
      "s3:GetObject arn:aws:s3:::b/*",
      "s3:PutObject not arn:aws:s3:::b/*",
    ]);
  });

  it("shows a Deny, and the conditions of every statement, not only the first one matching", () => {
    const list = (prefix: string): Statement => ({
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: ["arn:aws:s3:::b"],
      Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } },
    });
    const deny: Statement = { Effect: "Deny", Action: ["s3:DeleteObject"], Resource: ["*"] };
    assert.deepEqual(grants([list("daily/"), { ...list("x"), Condition: {} }, deny]), [
      "Deny s3:DeleteObject *",
      "s3:ListBucket arn:aws:s3:::b",
      's3:ListBucket arn:aws:s3:::b when StringLike s3:prefix ["daily/*"]',
    ]);
  });

  it("writes conditions in one order whatever their order in the document", () => {
    const a: Statement = {
      ...READ,
      Condition: { StringEquals: { "s3:x": ["2", "1"], "s3:a": ["z"] }, Bool: { "aws:SecureTransport": ["true"] } },
    };
    assert.deepEqual(grants([a]), [
      's3:GetObject arn:aws:s3:::b/* when Bool aws:SecureTransport ["true"] and StringEquals s3:a ["z"] and StringEquals s3:x ["1","2"]',
    ]);
  });
});
