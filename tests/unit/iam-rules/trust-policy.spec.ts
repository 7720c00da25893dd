import * as assert from "node:assert/strict";
import { evaluateTrust, parseTrustPolicy, TrustPolicyError } from "@keyless/iam-rules";

const GITHUB = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
const SUB = "token.actions.githubusercontent.com:sub";

/** A GitHub trust policy whose StringLike block names `sub` twice: the reviewer sees the pin, IAM keeps the wildcard. */
const SHADOWED = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": { "Federated": "${GITHUB}" },
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {
      "StringLike": {
        "${SUB}": "repo:octo/app:ref:refs/heads/main",
        "${SUB}": "repo:*"
      }
    }
  }]
}`;

describe("iam-rules: parseTrustPolicy", () => {
  it("normalises statements: single values become lists, operators split into set prefix, base and IfExists", () => {
    // GIVEN one statement written as an object, with single values
    const policy = parseTrustPolicy(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: {
          Sid: "Ci",
          Effect: "Allow",
          Principal: { Federated: GITHUB },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            "ForAnyValue:StringLikeIfExists": { [SUB]: "repo:octo/*" },
            Bool: { "aws:SecureTransport": true },
          },
        },
      }),
    );
    // THEN
    assert.equal(policy.version, "2012-10-17");
    const [statement] = policy.statements;
    assert.deepEqual(statement?.principal, { Federated: [GITHUB] });
    assert.deepEqual(statement?.actions, ["sts:AssumeRoleWithWebIdentity"]);
    assert.deepEqual(statement?.conditions, [
      {
        operator: "ForAnyValue:StringLikeIfExists",
        base: "StringLike",
        set: "ForAnyValue",
        ifExists: true,
        key: SUB,
        values: ["repo:octo/*"],
      },
      { operator: "Bool", base: "Bool", ifExists: false, key: "aws:SecureTransport", values: ["true"] },
    ]);
  });

  it("keeps NullIfExists whole (Null takes no IfExists) and reads at most one set prefix", () => {
    const conditions = parseTrustPolicy(
      JSON.stringify({
        Statement: {
          Effect: "Allow",
          Principal: "*",
          Action: "*",
          Condition: { NullIfExists: { k: "true" }, "ForAnyValue:ForAllValues:StringEquals": { k: "a" } },
        },
      }),
    ).statements[0]?.conditions;
    assert.deepEqual(
      conditions?.map((c) => [c.base, c.set, c.ifExists]),
      [
        ["NullIfExists", undefined, false],
        ["ForAllValues:StringEquals", "ForAnyValue", false],
      ],
    );
  });

  describe("duplicate JSON members", () => {
    it("lists each member written twice in one object, with the object's path", () => {
      assert.deepEqual(parseTrustPolicy(SHADOWED).duplicates, [
        { path: "Statement[0].Condition.StringLike", member: SUB },
      ]);
    });

    it("evaluates the last one, as IAM and JSON.parse do: the shadowed pin does not hold", () => {
      // GIVEN a token from another repository
      const request = { principal: { federated: GITHUB }, context: { [SUB]: "repo:evil/app:ref:refs/heads/main" } };
      // THEN the wildcard written last admits it, and the parsed condition holds only the last value
      assert.equal(evaluateTrust(SHADOWED, request).allowed, true);
      assert.deepEqual(parseTrustPolicy(SHADOWED).statements[0]?.conditions[0]?.values, ["repo:*"]);
      assert.equal(JSON.parse(SHADOWED).Statement[0].Condition.StringLike[SUB], "repo:*");
    });

    it("finds duplicates at every level: the document, a statement, a principal block", () => {
      const text = `{"Version":"2012-10-17","Version":"2008-10-17","Statement":{"Effect":"Deny","Effect":"Allow",
        "Principal":{"AWS":"111122223333","AWS":"*"},"Action":"sts:AssumeRole"}}`;
      assert.deepEqual(parseTrustPolicy(text).duplicates, [
        { path: "(document)", member: "Version" },
        { path: "Statement", member: "Effect" },
        { path: "Statement.Principal", member: "AWS" },
      ]);
      // WHEN evaluated THEN the last Effect and the last AWS principal count
      assert.equal(evaluateTrust(text, { principal: { aws: "arn:aws:iam::444455556666:role/x" } }).decision, "Allow");
    });

    it("reports none for a document without them", () => {
      assert.deepEqual(parseTrustPolicy(JSON.stringify(JSON.parse(SHADOWED))).duplicates, []);
    });
  });

  it("reads URL-encoded text, as IAM's GetRole returns it, including its duplicates", () => {
    const encoded = encodeURIComponent(SHADOWED);
    assert.match(encoded, /^%7B/);
    assert.deepEqual(parseTrustPolicy(encoded).statements, parseTrustPolicy(SHADOWED).statements);
    assert.equal(parseTrustPolicy(encoded).duplicates.length, 1);
    assert.equal(parseTrustPolicy(encoded.replace(/%7B/, "%7b")).statements.length, 1);
  });

  describe("invalid documents throw TrustPolicyError naming the problem, never repeating the document", () => {
    const SECRETISH = "s3cr3t-looking-value";
    for (const [name, text, message] of [
      ["not JSON", `{"Statement": [${SECRETISH}`, /not valid JSON/],
      ["malformed URL encoding", `%7B%22${SECRETISH}%ZZ`, /URL-encoded/],
      ["not an object", `["${SECRETISH}"]`, /JSON object/],
      ["no Statement", `{"Version": "${SECRETISH}"}`, /no Statement/],
      ["a statement that is no object", `{"Statement": ["${SECRETISH}"]}`, /Statement\[0\] must be an object/],
      ["a bad Effect", `{"Statement": {"Effect": "${SECRETISH}", "Principal": "*", "Action": "*"}}`, /Effect must be/],
      [
        "no Principal",
        `{"Statement": {"Effect": "Allow", "Action": "${SECRETISH}"}}`,
        /exactly one of Principal and NotPrincipal/,
      ],
      [
        "both Action and NotAction",
        `{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "NotAction": "${SECRETISH}"}}`,
        /exactly one of Action and NotAction/,
      ],
      [
        "a principal that is neither * nor an object",
        `{"Statement": {"Effect": "Allow", "Principal": ["${SECRETISH}"], "Action": "*"}}`,
        /Principal must be "\*" or an object/,
      ],
      [
        "an action that is no string",
        `{"Statement": {"Effect": "Allow", "Principal": "*", "Action": [{"${SECRETISH}": 1}]}}`,
        /Action must be a string/,
      ],
      [
        "a condition block that is no object",
        `{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Condition": {"StringEquals": ["${SECRETISH}"]}}}`,
        /Condition\.StringEquals must be an object/,
      ],
    ] as const) {
      it(name, () => {
        assert.throws(
          () => parseTrustPolicy(text),
          (error: unknown) =>
            error instanceof TrustPolicyError &&
            error.name === "TrustPolicyError" &&
            message.test(error.message) &&
            !error.message.includes(SECRETISH),
        );
        // evaluateTrust reads the same way
        assert.throws(() => evaluateTrust(text, { principal: { service: "ec2.amazonaws.com" } }), TrustPolicyError);
      });
    }
  });
});
