// What the example journeys (tests/integration/examples/support.ts) rest on: grants() compares a role's permissions,
// every statement with every element, so that a broader statement or a condition on any statement changes the lines;
// the second up asserts that the engine recorded a `same` step for every resource, not merely no other step.
import * as assert from "node:assert/strict";
import type { TestStack } from "@keyless/testing";
import { assertSecondUpChangesNothing, grants, type Statement } from "../../integration/examples/support";

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

describe("suite: the example journeys' second up", () => {
  // A stand-in for the TestStack the journey holds: its state, and what its second `up` recorded.
  const stack = (steps: { op: string; urn: string }[]) =>
    ({
      resources: async () => [
        { type: "pulumi:pulumi:Stack", urn: "urn:stack" },
        { type: "pulumi:providers:aws", urn: "urn:provider" },
        { type: "aws:iam/role:Role", urn: "urn:role", custom: true },
      ],
      up: async () => ({ steps: steps.map((s) => ({ ...s, type: "" })) }),
    }) as unknown as TestStack;

  it("passes when every resource has a same step", async () => {
    await assertSecondUpChangesNothing(
      stack([
        { op: "same", urn: "urn:stack" },
        { op: "same", urn: "urn:role" },
      ]),
    );
  });

  it("fails when the up recorded no steps at all, or none for a resource", async () => {
    await assert.rejects(assertSecondUpChangesNothing(stack([])), /must record a step for every resource/);
    await assert.rejects(
      assertSecondUpChangesNothing(stack([{ op: "same", urn: "urn:stack" }])),
      /must record a step for every resource/,
    );
  });

  it("fails when anything changes", async () => {
    await assert.rejects(
      assertSecondUpChangesNothing(
        stack([
          { op: "same", urn: "urn:stack" },
          { op: "update", urn: "urn:role" },
        ]),
      ),
      /must change nothing/,
    );
  });
});
