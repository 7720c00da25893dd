// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${...}` here is IAM policy-variable syntax, not a template.
import * as assert from "node:assert/strict";
import {
  type AssumeRoleRequest,
  type ContextValue,
  conditionHolds,
  evaluateTrust,
  parseTrustPolicy,
  requestContext,
} from "@keyless/iam-rules";
import fc from "fast-check";
import { propertyParameters } from "../../support/fast-check";
import { referenceCondition, referenceEvaluate } from "../../support/trust-reference";

// Property tests: iam-rules' evaluateTrust against the reference evaluator written from IAM's documentation
// (tests/support/trust-reference.ts). Small alphabets, so that generated policies and requests collide often: the
// same account, role, key or value on both sides, in another case, with and without wildcards.

/** The suite's seed and 10 000 runs of each property; `KEYLESS_FC_RUNS=20` searches 200 000. */
const PARAMETERS = propertyParameters(10_000);
const RUNS = PARAMETERS.numRuns ?? 10_000;

const ACCOUNTS = ["111122223333", "444455556666"] as const;
const PROVIDERS = [
  "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
  "arn:aws:iam::111122223333:oidc-provider/gitlab.com",
  "arn:aws:iam::111122223333:saml-provider/okta",
  "cognito-identity.amazonaws.com",
] as const;
const SERVICES = ["ec2.amazonaws.com", "EC2.amazonaws.com", "lambda.amazonaws.com"] as const;

/** A string with its letters' case flipped at random: `aws:SourceAccount` -> `AWS:sourceaccount`. */
const caseVariant = (s: string): fc.Arbitrary<string> =>
  fc
    .array(fc.boolean(), { minLength: s.length, maxLength: s.length })
    .map((flips) =>
      [...s].map((c, i) => (flips[i] ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c)).join(""),
    );
const sometimesCased = (s: string): fc.Arbitrary<string> =>
  fc.oneof({ weight: 4, arbitrary: fc.constant(s) }, { weight: 1, arbitrary: caseVariant(s) });

// ---- principals ----------------------------------------------------------------------------------------------

const account = fc.constantFrom(...ACCOUNTS);
const partition = fc.constantFrom("aws", "aws", "aws", "aws-cn");
const roleName = fc.constantFrom("ci", "Ci", "deploy");
const rolePath = fc.constantFrom("", "", "team/");
const session = fc.constantFrom("s1", "s2");

/** ARNs of AWS principals; the same alphabet serves requests and policies, so they meet. */
const awsArn = fc.oneof(
  fc.tuple(partition, account).map(([p, a]) => `arn:${p}:iam::${a}:root`),
  fc.tuple(partition, account, rolePath, roleName).map(([p, a, path, r]) => `arn:${p}:iam::${a}:role/${path}${r}`),
  fc.tuple(partition, account, roleName, session).map(([p, a, r, s]) => `arn:${p}:sts::${a}:assumed-role/${r}/${s}`),
  fc.tuple(partition, account, fc.constantFrom("ci", "bob")).map(([p, a, u]) => `arn:${p}:iam::${a}:user/${u}`),
  fc.tuple(partition, account).map(([p, a]) => `arn:${p}:sts::${a}:federated-user/bob`),
);
const awsIdentifier = fc.oneof(
  { weight: 6, arbitrary: awsArn },
  { weight: 2, arbitrary: account },
  { weight: 1, arbitrary: fc.constant("*") },
  { weight: 1, arbitrary: account.map((a) => `arn:aws:iam::${a}:role/*`) },
);
const service = fc.constantFrom(...SERVICES, "*");
const federated = fc.constantFrom(...PROVIDERS, "*");

const oneOrMany = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | T[]> =>
  fc.oneof(arb, fc.array(arb, { minLength: 0, maxLength: 3 }));

const principalBlock: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: fc.constant("*") },
  {
    weight: 8,
    arbitrary: fc
      .record(
        {
          aws: fc.tuple(sometimesCased("AWS"), oneOrMany(awsIdentifier)),
          service: fc.tuple(sometimesCased("Service"), oneOrMany(service)),
          federated: fc.tuple(sometimesCased("Federated"), oneOrMany(federated)),
        },
        { requiredKeys: [] },
      )
      .map((r) => Object.fromEntries(Object.values(r))),
  },
);

const requestPrincipal: fc.Arbitrary<AssumeRoleRequest["principal"]> = fc.oneof(
  fc.constantFrom(...SERVICES, "ecs-tasks.amazonaws.com").map((s) => ({ service: s })),
  awsArn.map((a) => ({ aws: a })),
  fc.constantFrom(...PROVIDERS).map((f) => ({ federated: f })),
);

// ---- actions -----------------------------------------------------------------------------------------------

const actionPattern = fc.constantFrom(
  "sts:AssumeRole",
  "sts:assumerole",
  "sts:AssumeRole*",
  "sts:AssumeRoleWith*",
  "sts:AssumeRoleWithWebIdentity",
  "sts:AssumeRoleWith?ebIdentity",
  "STS:ASSUMEROLEWITHSAML",
  "sts:TagSession",
  "sts:Tag*",
  "sts:*",
  "*",
  "iam:*",
);
const requestAction = fc.option(
  fc.constantFrom(
    "sts:AssumeRole",
    "STS:assumerole",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoleWithSAML",
    "sts:TagSession",
  ),
  { nil: undefined },
);

// ---- conditions --------------------------------------------------------------------------------------------

/** Condition keys: two claims, a tag and the source ARN, in any case. */
const KEYS = ["iss:sub", "iss:aud", "aws:RequestTag/team", "aws:SourceArn"] as const;
const conditionKey = fc.constantFrom(...KEYS).chain(sometimesCased);

const requestText = fc.string({ unit: fc.constantFrom("a", "b", "A", ":", "*"), maxLength: 4 });
const policyText = fc.string({ unit: fc.constantFrom("a", "b", "A", ":", "*", "?"), maxLength: 4 });
/** Six ARN fields from a tiny alphabet, so ArnLike values and request ARNs meet. */
const arnish = (field: fc.Arbitrary<string>) =>
  fc.tuple(field, field, field, field, field).map((f) => `arn:${f.join(":")}`);
const requestArnish = arnish(fc.constantFrom("", "a", "b", "A", "a:b"));
const policyArnish = arnish(fc.constantFrom("", "a", "b", "*", "?", "a*"));
const variable = fc.constantFrom(
  "${iss:sub}",
  "${ISS:SUB}",
  "${aws:RequestTag/team, 'a'}",
  "${iss:aud}*",
  "a${*}",
  "${?}",
  "${$}",
  "${nothing}",
  "${not a key}",
  "${",
);
const policyValue: fc.Arbitrary<string | boolean> = fc.oneof(
  { weight: 6, arbitrary: policyText },
  { weight: 2, arbitrary: policyArnish },
  { weight: 1, arbitrary: fc.constantFrom("true", "false", "True", "FALSE", "maybe") },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: variable },
);
const requestValue = fc.oneof({ weight: 3, arbitrary: requestText }, { weight: 1, arbitrary: requestArnish });

const BASES = [
  "StringEquals",
  "StringNotEquals",
  "StringEqualsIgnoreCase",
  "StringNotEqualsIgnoreCase",
  "StringLike",
  "StringNotLike",
  "Bool",
  "ArnEquals",
  "ArnLike",
  "ArnNotEquals",
  "ArnNotLike",
  "Null",
  "IpAddress",
  "StringSoundsLike",
] as const;
const operator = fc
  .tuple(
    fc.constantFrom("", "", "", "ForAnyValue:", "ForAllValues:"),
    fc.constantFrom(...BASES),
    fc.constantFrom("", "", "IfExists"),
  )
  .chain(([set, base, ifExists]) => sometimesCased(`${set}${base}${ifExists}`));

const condition = fc.tuple(operator, conditionKey, oneOrMany(policyValue));

/** A Condition element from 0-3 (operator, key, values); a repeated operator or key overwrites, as in JSON. */
const conditionBlock = fc.array(condition, { maxLength: 3 }).map((items) => {
  const block: Record<string, Record<string, unknown>> = {};
  for (const [op, key, values] of items) {
    block[op] ??= {};
    (block[op] as Record<string, unknown>)[key] = values;
  }
  return block;
});

const context: fc.Arbitrary<Record<string, ContextValue>> = fc
  .record(
    Object.fromEntries(
      KEYS.map((k) => [
        k,
        fc.tuple(
          sometimesCased(k),
          fc.oneof(
            { weight: 4, arbitrary: requestValue },
            { weight: 3, arbitrary: fc.array(requestValue, { maxLength: 3 }) },
            { weight: 1, arbitrary: fc.boolean() },
            { weight: 1, arbitrary: fc.constant("") },
          ),
        ),
      ]),
    ) as Record<(typeof KEYS)[number], fc.Arbitrary<[string, ContextValue]>>,
    { requiredKeys: [] },
  )
  .map((r) => Object.fromEntries(Object.values(r)));

// ---- policies and requests ---------------------------------------------------------------------------------

const statement = fc
  .record({
    effect: fc.constantFrom("Allow", "Allow", "Deny"),
    sid: fc.option(fc.constantFrom("Pin", "Guard"), { nil: undefined }),
    notPrincipal: fc.boolean(),
    principal: principalBlock,
    notAction: fc.boolean(),
    actions: oneOrMany(actionPattern),
    conditions: conditionBlock,
  })
  .map((s) => ({
    ...(s.sid === undefined ? {} : { Sid: s.sid }),
    Effect: s.effect,
    [s.notPrincipal ? "NotPrincipal" : "Principal"]: s.principal,
    [s.notAction ? "NotAction" : "Action"]: s.actions,
    ...(Object.keys(s.conditions).length === 0 ? {} : { Condition: s.conditions }),
  }));

const policy = fc
  .record({
    version: fc.constantFrom("2012-10-17", "2012-10-17", "2012-10-17", "2008-10-17", undefined),
    statements: fc.array(statement, { minLength: 1, maxLength: 4 }),
    single: fc.boolean(),
  })
  .map(({ version, statements, single }) => ({
    ...(version === undefined ? {} : { Version: version }),
    Statement: single && statements.length === 1 ? statements[0] : statements,
  }));

const request: fc.Arbitrary<AssumeRoleRequest> = fc
  .record({ principal: requestPrincipal, action: requestAction, context })
  .map(({ principal, action, context: c }) => ({ principal, ...(action === undefined ? {} : { action }), context: c }));

/** The document as IAM's API may hand it over: plain JSON text, or URL-encoded. */
const asText = (doc: unknown, encoded: boolean): string =>
  encoded ? encodeURIComponent(JSON.stringify(doc)) : JSON.stringify(doc, null, 2);

describe("iam-rules: evaluateTrust against the reference evaluator (property tests)", function () {
  // About 0.2 ms a run on an idle runner, ten times that on a loaded one; the timeout only stops a hang (a run is
  // never timed), so it leaves room for both and for a long search (KEYLESS_FC_RUNS).
  this.timeout(Math.max(180_000, RUNS * 20));

  it(`agrees on allowed, decision and deciding statements for ${RUNS} generated policies and requests`, () => {
    const seen = { Allow: 0, ExplicitDeny: 0, ImplicitDeny: 0 };
    fc.assert(
      fc.property(policy, request, fc.boolean(), (doc, req, encoded) => {
        const expected = referenceEvaluate(doc, req);
        const actual = evaluateTrust(asText(doc, encoded), req);
        seen[actual.decision]++;
        assert.equal(actual.decision, expected.decision, actual.reason);
        assert.equal(actual.allowed, expected.decision === "Allow");
        assert.deepEqual(actual.statements, expected.statements);
      }),
      PARAMETERS,
    );
    // THEN the generators reach every outcome often enough for the agreement to mean something
    for (const [decision, count] of Object.entries(seen)) {
      assert.ok(count > RUNS / 20, `only ${count} of ${RUNS} runs ended in ${decision}`);
    }
  });

  it(`agrees with the reference on single conditions for ${RUNS} generated operators, keys, values and contexts`, () => {
    const seen = { true: 0, false: 0, undefined: 0 };
    fc.assert(
      fc.property(condition, context, fc.boolean(), ([op, key, values], ctx, variables) => {
        const doc = {
          ...(variables ? { Version: "2012-10-17" } : {}),
          Statement: { Effect: "Allow", Principal: "*", Action: "*", Condition: { [op]: { [key]: values } } },
        };
        const [parsed] = parseTrustPolicy(JSON.stringify(doc)).statements[0]?.conditions ?? [];
        assert.ok(parsed);
        const texts = (Array.isArray(values) ? values : [values]).map((v) => (typeof v === "string" ? v : String(v)));
        const expected = referenceCondition(op, key, texts, { context: ctx }, variables);
        const actual = conditionHolds(parsed, requestContext(ctx), { policyVariables: variables });
        seen[String(actual) as keyof typeof seen]++;
        assert.equal(actual === undefined ? "unknown" : actual, expected, `${op} ${key} ${JSON.stringify(values)}`);
      }),
      PARAMETERS,
    );
    for (const [result, count] of Object.entries(seen)) {
      assert.ok(count > RUNS / 20, `only ${count} of ${RUNS} conditions came out ${result}`);
    }
  });
});

// ---- documented cases ----------------------------------------------------------------------------------------

const GITHUB = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
const SUB = "token.actions.githubusercontent.com:sub";
const AUD = "token.actions.githubusercontent.com:aud";

/** A trust policy (version 2012-10-17) trusting GitHub's provider for web identity, with the given conditions. */
const github = (condition: Record<string, Record<string, unknown>>, effect = "Allow") =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: effect,
        Principal: { Federated: GITHUB },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: condition,
      },
    ],
  });
/** The same with an unconditional Allow before it, so that the statement under test decides through Deny. */
const allowThenDeny = (condition: Record<string, Record<string, unknown>>) => {
  const doc = JSON.parse(github(condition, "Deny"));
  doc.Statement.unshift({ Effect: "Allow", Principal: { Federated: GITHUB }, Action: "sts:AssumeRoleWithWebIdentity" });
  return JSON.stringify(doc);
};
const web = (ctx: Record<string, ContextValue>): AssumeRoleRequest => ({
  principal: { federated: GITHUB },
  context: ctx,
});
const MAIN = "repo:octo/app:ref:refs/heads/main";

describe("iam-rules: evaluateTrust, the documented cases", () => {
  describe('Condition operators: "If the key ... is not present in the request context ... the condition is false"', () => {
    it("a positive operator on a missing key fails: StringEquals on sub without a sub denies implicitly", () => {
      const decision = evaluateTrust(github({ StringEquals: { [SUB]: MAIN } }), web({ [AUD]: "sts.amazonaws.com" }));
      assert.equal(decision.decision, "ImplicitDeny");
    });

    it("a negated operator on a missing key holds: a Deny with StringNotEquals on sub denies a token without sub", () => {
      const doc = allowThenDeny({ StringNotEquals: { [SUB]: MAIN } });
      assert.equal(evaluateTrust(doc, web({ [AUD]: "sts.amazonaws.com" })).decision, "ExplicitDeny");
      assert.equal(evaluateTrust(doc, web({ [SUB]: MAIN })).decision, "Allow");
    });
  });

  describe('...IfExists: "If the key is not present, evaluate the condition element as true"', () => {
    const doc = github({ StringLikeIfExists: { [SUB]: "repo:octo/*" } });
    it("holds when the key is absent", () => assert.equal(evaluateTrust(doc, web({})).allowed, true));
    it("is the plain operator when the key is present", () => {
      assert.equal(evaluateTrust(doc, web({ [SUB]: "repo:octo/app:ref:x" })).allowed, true);
      assert.equal(evaluateTrust(doc, web({ [SUB]: "repo:evil/app:ref:x" })).allowed, false);
    });
  });

  describe('Null: "true (the key doesn\'t exist — it is null) or false (the key exists and its value is not null)"', () => {
    for (const [value, ctx, expected] of [
      ["true", {}, true],
      ["true", { [SUB]: MAIN }, false],
      ["false", {}, false],
      ["false", { [SUB]: MAIN }, true],
      ["TRUE", {}, true],
      ["false", { [SUB]: [] }, false],
    ] as const) {
      it(`Null ${value} ${expected ? "holds" : "fails"} with context ${JSON.stringify(ctx)}`, () =>
        assert.equal(evaluateTrust(github({ Null: { [SUB]: value } }), web(ctx)).allowed, expected));
    }
  });

  describe("Set operators on a missing key (single-vs-multivalued context keys)", () => {
    it('ForAllValues "also returns true if there are no context keys in the request": the trap admits a token without the claim', () => {
      const doc = github({ "ForAllValues:StringLike": { [SUB]: "repo:octo/*" } });
      assert.equal(evaluateTrust(doc, web({ [AUD]: "sts.amazonaws.com" })).allowed, true);
      assert.equal(evaluateTrust(doc, web({ [SUB]: "repo:evil/app:ref:x" })).allowed, false);
    });

    it("ForAnyValue on a missing key is false", () => {
      const doc = github({ "ForAnyValue:StringLike": { [SUB]: "repo:octo/*" } });
      assert.equal(evaluateTrust(doc, web({})).allowed, false);
      assert.equal(evaluateTrust(doc, web({ [SUB]: ["repo:evil/x", "repo:octo/app"] })).allowed, true);
    });

    it('an "empty data set (for example, an empty string)" is true under ForAllValues and false under ForAnyValue', () => {
      assert.equal(
        evaluateTrust(github({ "ForAllValues:StringEquals": { [SUB]: MAIN } }), web({ [SUB]: "" })).allowed,
        true,
      );
      assert.equal(
        evaluateTrust(github({ "ForAnyValue:StringEquals": { [SUB]: "" } }), web({ [SUB]: "" })).allowed,
        false,
      );
      // WHEN no set operator: the empty string is an ordinary value
      assert.equal(evaluateTrust(github({ StringEquals: { [SUB]: "" } }), web({ [SUB]: "" })).allowed, true);
    });

    it("ForAllValues with a negated operator: every request value must match none of the policy values", () => {
      const doc = allowThenDeny({ "ForAllValues:StringNotLike": { "aws:TagKeys": "key1*" } });
      assert.equal(evaluateTrust(doc, web({ "aws:TagKeys": ["key1:legal"] })).decision, "Allow");
      assert.equal(evaluateTrust(doc, web({ "aws:TagKeys": ["key2:audit"] })).decision, "ExplicitDeny");
      assert.equal(evaluateTrust(doc, web({})).decision, "ExplicitDeny");
    });
  });

  describe("Conditions with multiple context keys or values", () => {
    it('"values are evaluated using a logical OR"', () => {
      const doc = github({ StringEquals: { [SUB]: ["repo:octo/a:ref:x", MAIN] } });
      assert.equal(evaluateTrust(doc, web({ [SUB]: MAIN })).allowed, true);
      assert.equal(evaluateTrust(doc, web({ [SUB]: "repo:octo/b:ref:x" })).allowed, false);
    });

    it('"a single negated matching condition operator ... values are evaluated using a logical NOR"', () => {
      const doc = allowThenDeny({ StringNotEquals: { [SUB]: ["repo:octo/a:ref:x", MAIN] } });
      assert.equal(evaluateTrust(doc, web({ [SUB]: MAIN })).decision, "Allow");
      assert.equal(evaluateTrust(doc, web({ [SUB]: "repo:octo/b:ref:x" })).decision, "ExplicitDeny");
    });

    it('"multiple context keys attached to a single condition operator ... logical AND"', () => {
      const doc = github({ StringEquals: { [SUB]: MAIN, [AUD]: "sts.amazonaws.com" } });
      assert.equal(evaluateTrust(doc, web({ [SUB]: MAIN, [AUD]: "sts.amazonaws.com" })).allowed, true);
      assert.equal(evaluateTrust(doc, web({ [SUB]: MAIN, [AUD]: "other" })).allowed, false);
      assert.equal(evaluateTrust(doc, web({ [SUB]: MAIN })).allowed, false);
    });

    it('"multiple condition operators ... logical AND"', () => {
      const doc = github({ StringEquals: { [AUD]: "sts.amazonaws.com" }, StringLike: { [SUB]: "repo:octo/*" } });
      assert.equal(evaluateTrust(doc, web({ [SUB]: MAIN, [AUD]: "sts.amazonaws.com" })).allowed, true);
      assert.equal(evaluateTrust(doc, web({ [SUB]: "repo:evil/x:ref:y", [AUD]: "sts.amazonaws.com" })).allowed, false);
    });

    it('"Condition key names are not case-sensitive"; values are, under StringEquals', () => {
      const doc = github({ StringEquals: { "TOKEN.actions.GitHubUserContent.com:SUB": MAIN } });
      assert.equal(evaluateTrust(doc, web({ [SUB]: MAIN })).allowed, true);
      assert.equal(evaluateTrust(doc, web({ [SUB]: MAIN.toUpperCase() })).allowed, false);
    });
  });

  describe("String and Bool operators: case", () => {
    it("StringLike is case-sensitive matching", () => {
      const doc = github({ StringLike: { [SUB]: "repo:Octo/*" } });
      assert.equal(evaluateTrust(doc, web({ [SUB]: "repo:octo/app:ref:x" })).allowed, false);
      assert.equal(evaluateTrust(doc, web({ [SUB]: "repo:Octo/app:ref:x" })).allowed, true);
    });

    it("StringEqualsIgnoreCase is exact matching, ignoring case", () => {
      const doc = github({ StringEqualsIgnoreCase: { [SUB]: "REPO:OCTO/APP:REF:REFS/HEADS/MAIN" } });
      assert.equal(evaluateTrust(doc, web({ [SUB]: MAIN })).allowed, true);
      assert.equal(evaluateTrust(doc, web({ [SUB]: `${MAIN}x` })).allowed, false);
    });

    it("Bool compares true and false whatever their case, and JSON booleans as their text", () => {
      const doc = (v: unknown) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: {
            Effect: "Allow",
            Principal: "*",
            Action: "sts:AssumeRole",
            Condition: { Bool: { "aws:SecureTransport": v } },
          },
        });
      const req = (v: ContextValue): AssumeRoleRequest => ({
        principal: { service: "ec2.amazonaws.com" },
        context: { "aws:SecureTransport": v },
      });
      assert.equal(evaluateTrust(doc("true"), req(true)).allowed, true);
      assert.equal(evaluateTrust(doc(true), req("TRUE")).allowed, true);
      assert.equal(evaluateTrust(doc("True"), req(false)).allowed, false);
    });

    it("StringLike's `*` matches a `*` in the request value like any other character", () => {
      const doc = github({ StringLike: { [SUB]: "repo:octo/*" } });
      assert.equal(evaluateTrust(doc, web({ [SUB]: "repo:octo/*x" })).allowed, true);
    });
  });

  describe("Policy variables (Variables and tags)", () => {
    it('${*} "use where you need an * (asterisk) character": it is literal, no wildcard', () => {
      const doc = github({ StringLike: { [SUB]: "repo:octo/${*}" } });
      assert.equal(evaluateTrust(doc, web({ [SUB]: "repo:octo/*" })).allowed, true);
      assert.equal(evaluateTrust(doc, web({ [SUB]: "repo:octo/app" })).allowed, false);
    });

    it("a variable's value is literal too: a `*` in the request does not become a wildcard", () => {
      const doc = github({ StringLike: { [SUB]: "${aws:PrincipalTag/pin}" } });
      assert.equal(evaluateTrust(doc, web({ [SUB]: "repo:evil/x", "aws:PrincipalTag/pin": "repo:*" })).allowed, false);
      assert.equal(evaluateTrust(doc, web({ [SUB]: "repo:*", "aws:PrincipalTag/pin": "repo:*" })).allowed, true);
    });

    it('a variable that cannot be resolved "causes the statement to be invalid", even under a negated operator', () => {
      const doc = allowThenDeny({ StringNotEquals: { [SUB]: "${aws:PrincipalTag/pin}" } });
      assert.equal(evaluateTrust(doc, web({ [SUB]: MAIN })).decision, "Allow");
      assert.equal(evaluateTrust(doc, web({ [SUB]: MAIN, "aws:PrincipalTag/pin": "other" })).decision, "ExplicitDeny");
    });

    it("a default applies when the key is absent: ${key, 'default'}", () => {
      const doc = github({ StringEquals: { [SUB]: "${aws:PrincipalTag/pin, 'repo:octo/app:ref:refs/heads/main'}" } });
      assert.equal(evaluateTrust(doc, web({ [SUB]: MAIN })).allowed, true);
    });

    it('without "Version": "2012-10-17" a variable is literal text', () => {
      const doc = JSON.parse(github({ StringEquals: { [SUB]: "${aws:PrincipalTag/pin}" } }));
      delete doc.Version;
      const ctx = { [SUB]: "${aws:PrincipalTag/pin}", "aws:PrincipalTag/pin": MAIN };
      assert.equal(evaluateTrust(JSON.stringify(doc), web(ctx)).allowed, true);
      assert.equal(
        evaluateTrust(github({ StringEquals: { [SUB]: "${aws:PrincipalTag/pin}" } }), web(ctx)).allowed,
        false,
      );
    });
  });

  describe('Policy evaluation logic: "an explicit deny in any policy overrides any allows"', () => {
    it("a matching Deny wins over a matching Allow and is named by Sid", () => {
      const doc = JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
          { Sid: "NoEc2", Effect: "Deny", Principal: "*", Action: "sts:*" },
        ],
      });
      const decision = evaluateTrust(doc, { principal: { service: "ec2.amazonaws.com" } });
      assert.deepEqual([decision.decision, decision.allowed, decision.statements], ["ExplicitDeny", false, [1]]);
      assert.match(decision.reason, /NoEc2/);
    });

    it("no matching statement is an implicit deny; action names compare case-insensitively, with wildcards", () => {
      const doc = JSON.stringify({
        Statement: { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "STS:assumeRole*" },
      });
      assert.equal(evaluateTrust(doc, { principal: { service: "ec2.amazonaws.com" } }).decision, "Allow");
      assert.equal(
        evaluateTrust(doc, { principal: { service: "ec2.amazonaws.com" }, action: "sts:TagSession" }).decision,
        "ImplicitDeny",
      );
      assert.equal(evaluateTrust(doc, { principal: { service: "lambda.amazonaws.com" } }).decision, "ImplicitDeny");
    });

    it("an operator keyless does not evaluate never lets an Allow apply and never keeps a Deny from applying", () => {
      const allow = github({ IpAddress: { "aws:SourceIp": "203.0.113.0/24" } });
      assert.equal(evaluateTrust(allow, web({ "aws:SourceIp": "203.0.113.7" })).decision, "ImplicitDeny");
      const deny = allowThenDeny({ NullIfExists: { [SUB]: "true" } });
      assert.equal(evaluateTrust(deny, web({ [SUB]: MAIN })).decision, "ExplicitDeny");
    });
  });

  describe("Principal element", () => {
    const ACCOUNT = "111122223333";
    const ROLE = `arn:aws:iam::${ACCOUNT}:role/ci`;
    const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/ci/run-1`;
    const trusting = (principal: unknown) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: { Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" },
      });
    const asks = (doc: string, arn: string) => evaluateTrust(doc, { principal: { aws: arn } }).allowed;

    it('an account id or its root ARN "delegates permissions to the account": every principal in it', () => {
      for (const id of [ACCOUNT, `arn:aws:iam::${ACCOUNT}:root`]) {
        const doc = trusting({ AWS: id });
        assert.equal(asks(doc, `arn:aws:iam::${ACCOUNT}:root`), true);
        assert.equal(asks(doc, ROLE), true);
        assert.equal(asks(doc, SESSION), true);
        assert.equal(asks(doc, `arn:aws:iam::${ACCOUNT}:user/bob`), true);
        assert.equal(asks(doc, "arn:aws:iam::444455556666:role/ci"), false);
      }
      // WHEN the root ARN is in another partition THEN it names no principal of this one
      assert.equal(asks(trusting({ AWS: `arn:aws-cn:iam::${ACCOUNT}:root` }), ROLE), false);
    });

    it("a role ARN names the role and its sessions (role chaining), whatever the path, and nothing else", () => {
      const doc = trusting({ AWS: `arn:aws:iam::${ACCOUNT}:role/team/ci` });
      assert.equal(asks(doc, SESSION), true);
      assert.equal(asks(doc, ROLE), true);
      assert.equal(asks(doc, `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/run-1`), false);
      assert.equal(asks(doc, `arn:aws:iam::${ACCOUNT}:root`), false);
      assert.equal(asks(doc, `arn:aws:iam::${ACCOUNT}:user/ci`), false);
    });

    it('an assumed-role session ARN names that session only: "Principals must always name a specific session"', () => {
      const doc = trusting({ AWS: SESSION });
      assert.equal(asks(doc, SESSION), true);
      assert.equal(asks(doc, `arn:aws:sts::${ACCOUNT}:assumed-role/ci/run-2`), false);
      assert.equal(asks(doc, ROLE), false);
    });

    it('"In a Principal element, the user name part of the ARN is case sensitive"', () => {
      const doc = trusting({ AWS: `arn:aws:iam::${ACCOUNT}:user/Bob` });
      assert.equal(asks(doc, `arn:aws:iam::${ACCOUNT}:user/Bob`), true);
      assert.equal(asks(doc, `arn:aws:iam::${ACCOUNT}:user/bob`), false);
    });

    it('"*" names every principal; {"AWS": "*"} every AWS principal but no service and no identity provider', () => {
      for (const principal of [{ service: "ec2.amazonaws.com" }, { federated: GITHUB }, { aws: ROLE }]) {
        assert.equal(evaluateTrust(trusting("*"), { principal, action: "sts:AssumeRole" }).allowed, true);
      }
      assert.equal(asks(trusting({ AWS: "*" }), ROLE), true);
      assert.equal(
        evaluateTrust(trusting({ AWS: "*" }), { principal: { federated: GITHUB }, action: "sts:AssumeRole" }).allowed,
        false,
      );
      assert.equal(
        evaluateTrust(trusting({ AWS: "*" }), { principal: { service: "ec2.amazonaws.com" } }).allowed,
        false,
      );
    });

    it("service principals compare case-insensitively, identity providers exactly", () => {
      assert.equal(
        evaluateTrust(trusting({ Service: "EC2.amazonaws.com" }), { principal: { service: "ec2.amazonaws.com" } })
          .allowed,
        true,
      );
      const provider = trusting({ Federated: GITHUB.replace("token", "TOKEN") });
      assert.equal(
        evaluateTrust(provider, { principal: { federated: GITHUB }, action: "sts:AssumeRole" }).allowed,
        false,
      );
    });

    it("NotPrincipal with Deny denies everyone except the principals it names", () => {
      const doc = JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { AWS: ACCOUNT }, Action: "sts:AssumeRole" },
          { Effect: "Deny", NotPrincipal: { AWS: [ROLE, `arn:aws:iam::${ACCOUNT}:root`] }, Action: "sts:AssumeRole" },
        ],
      });
      assert.equal(evaluateTrust(doc, { principal: { aws: SESSION } }).decision, "Allow");
      assert.equal(
        evaluateTrust(doc, { principal: { aws: "arn:aws:iam::444455556666:user/eve" } }).decision,
        "ExplicitDeny",
      );
      assert.equal(evaluateTrust(doc, { principal: { service: "ec2.amazonaws.com" } }).decision, "ExplicitDeny");
    });

    it("NotPrincipal with Allow allows everyone except the principals it names", () => {
      const doc = JSON.stringify({
        Statement: { Effect: "Allow", NotPrincipal: { AWS: ROLE }, Action: "sts:AssumeRole" },
      });
      assert.equal(evaluateTrust(doc, { principal: { aws: SESSION } }).allowed, false);
      assert.equal(evaluateTrust(doc, { principal: { aws: `arn:aws:iam::${ACCOUNT}:user/bob` } }).allowed, true);
    });
  });
});
