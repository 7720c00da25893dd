import assert from "node:assert/strict";
import { TrustPolicyError, trustNames } from "@keyless/iam-rules";

const EC2 = { service: "ec2.amazonaws.com" } as const;
const policy = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const allow = (extra: object = {}) => ({
  Effect: "Allow",
  Principal: { Service: "ec2.amazonaws.com" },
  Action: "sts:AssumeRole",
  ...extra,
});

describe("iam-rules: trustNames (the static question: does the trust name this principal?)", () => {
  it("names a service its Allow statement lists, whatever the statement's conditions", () => {
    // GIVEN a confused-deputy condition only the service's request can satisfy
    const doc = policy(allow({ Condition: { StringEquals: { "aws:SourceAccount": "111122223333" } } }));
    // THEN the service is named (evaluateTrust would need the request to decide)
    assert.equal(trustNames(doc, EC2), true);
  });

  it("does not name another service, or the service for another action", () => {
    const doc = policy(allow());
    assert.equal(trustNames(doc, { service: "lambda.amazonaws.com" }), false);
    assert.equal(trustNames(doc, EC2, "sts:TagSession"), false);
  });

  it('reads action wildcards and Principal "*" as IAM does', () => {
    assert.equal(trustNames(policy(allow({ Action: "sts:*" })), EC2), true);
    assert.equal(trustNames(policy(allow({ Principal: "*" })), EC2), true);
  });

  it("a Deny without conditions refuses; a Deny with conditions decides nothing here", () => {
    const deny = { Effect: "Deny", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" };
    assert.equal(trustNames(policy(allow(), deny), EC2), false);
    const conditional = { ...deny, Condition: { StringNotEquals: { "aws:SourceAccount": "111122223333" } } };
    assert.equal(trustNames(policy(allow(), conditional), EC2), true);
  });

  it("throws TrustPolicyError on a document that is not a policy", () => {
    assert.throws(() => trustNames("{not json", EC2), TrustPolicyError);
  });
});
