import * as assert from "node:assert/strict";
import { isUnboundedResource, unboundedWrites, wildcardMatches } from "@keyless/iam-rules";
import fc from "fast-check";
import { propertyParameters } from "../../support/fast-check";
import { oracleActions } from "../../support/iam-oracle";

describe("iam-rules: isUnboundedResource", () => {
  const cases: [string, string, boolean][] = [
    ["iam:PassRole", "*", true],
    ["iam:PassRole", "arn:aws:iam::*:role/*", true],
    ["iam:PassRole", "arn:aws:iam::123456789012:role/*", true],
    ["iam:PassRole", "arn:aws-cn:iam::*:role/*", true],
    ["iam:PassRole", "arn:*:iam::123456789012:role/*", true],
    ["iam:PassRole", "arn:aws:iam::*:*", true],
    ["iam:PassRole", "arn:aws:iam::*", true],
    ["iam:PassRole", "arn:aws:*", true],
    ["iam:PassRole", "arn:aws:iam::*:role/?*", true],
    ["iam:PassRole", "arn:*:123456789012:role/*", true], // the `*` swallows "aws:iam:", the account stays fixed
    ["iam:PassRole", "arn:aws:iam::123456789012:role/app/worker", false],
    ["iam:PassRole", "arn:aws:iam::*:role/app/deployer", false],
    ["iam:PassRole", "arn:aws:iam::123456789012:role/app/*", false],
    ["iam:PassRole", "arn:aws:iam::123456789012:role/worker-*", false],
    ["iam:PassRole", "arn:aws:iam::*:user/*", false],
    ["iam:PassRole", "arn:aws:s3:::*", false],
    ["sts:AssumeRole", "arn:aws:iam::*:role/*", true],
    ["sts:AssumeRole", "arn:aws:iam::210987654321:role/reader", false],
    ["s3:PutObject", "arn:aws:s3:::*", true],
    ["s3:PutObject", "arn:aws:s3:::*/*", true],
    ["s3:PutObject", "arn:aws:s3:::reports/*", false],
    ["s3:PutObject", "arn:aws:s3:::reports*", false],
    ["s3:PutObject", "arn:aws:s3:::*/daily/*", false],
    ["s3:PutObject", "arn:aws:s3:eu-west-1:123456789012:accesspoint/*", true], // every access point's objects
    ["s3:DeleteBucket", "arn:aws:s3:::*", true],
    ["s3:DeleteBucket", "arn:aws:s3:::reports", false],
    ["dynamodb:PutItem", "arn:aws:dynamodb:*:*:table/*", true],
    ["dynamodb:PutItem", "arn:aws:dynamodb:eu-west-1:123456789012:table/orders", false],
    ["xray:PutTraceSegments", "arn:aws:xray:*", false], // no resource type: only "*" reaches everything
    ["nosuchservice:Put", "arn:aws:nosuchservice:::*", false],
  ];
  for (const [action, resource, expected] of cases) {
    it(`${action} on ${resource}: ${expected ? "unbounded" : "bounded"}`, () =>
      assert.equal(isUnboundedResource(action, resource), expected));
  }

  describe("on the ARN format of every resource type of every action in iam-data", () => {
    const CONTEXT: Record<string, string> = { Partition: "aws", Region: "eu-west-1", Account: "123456789012" };
    const pairs: { action: string; format: string }[] = [];
    before(async function () {
      this.timeout(60_000);
      for (const a of await oracleActions()) {
        for (const format of a.formats) pairs.push({ action: `${a.service}:${a.name}`, format });
      }
      assert.ok(pairs.length > 10_000, `${pairs.length} action/format pairs`);
    });

    // A format split into its pieces: literal text, variables, and AWS's own `*`.
    const pieces = (format: string) => format.split(/(\$\{[A-Za-z0-9]+\}|\*)/).filter((p) => p !== "");
    const variable = (piece: string) => /^\$\{(.+)\}$/.exec(piece)?.[1] ?? (piece === "*" ? "*" : undefined);

    it("a pattern is unbounded exactly when every name in it is a wildcard, and then matches every resource", () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 1_000_000 }),
          fc.infiniteStream(fc.boolean()),
          fc.infiniteStream(
            fc.string({ unit: fc.constantFrom("a", "Z", "0", "-", "/", ":", "."), minLength: 1, maxLength: 12 }),
          ),
          (index, wild, names) => {
            // GIVEN one action's resource format, each variable either a wildcard or a fixed value
            const { action, format } = pairs[index % pairs.length]!;
            let pattern = "";
            let concrete = "";
            let namesFixed = false;
            for (const piece of pieces(format)) {
              const v = variable(piece);
              if (v === undefined) {
                pattern += piece;
                concrete += piece;
              } else if (v in CONTEXT) {
                pattern += wild.next().value ? "*" : CONTEXT[v];
                concrete += CONTEXT[v];
              } else {
                const star = wild.next().value;
                namesFixed ||= !star;
                pattern += star ? "*" : "fixedname1";
                concrete += names.next().value;
              }
            }
            // WHEN / THEN
            const unbounded = isUnboundedResource(action, pattern);
            assert.equal(unbounded, !namesFixed, `${action} on ${pattern} (format ${format})`);
            // and an unbounded pattern does match a resource with any names, in the account it names
            if (unbounded) assert.ok(wildcardMatches(pattern, concrete), `${pattern} matches ${concrete}`);
          },
        ),
        propertyParameters(1000),
      );
    });
  });
});

describe("iam-rules: unboundedWrites", () => {
  it("lists the writes a pattern grants on an unbounded resource, with the type it reaches", () => {
    assert.deepEqual(unboundedWrites("iam:PassRole", ["arn:aws:iam::123456789012:role/a", "arn:aws:iam::*:role/*"]), [
      { action: "iam:PassRole", accessLevel: "Write", resource: "arn:aws:iam::*:role/*", resourceType: "role" },
    ]);
    const puts = unboundedWrites("s3:Put*", ["*"]);
    assert.ok(puts.length > 10 && puts.every((w) => w.resourceType === "*" && w.action.startsWith("s3:Put")));
  });

  it("leaves out reads, bounded resources and actions AWS only allows on *", () => {
    assert.deepEqual(unboundedWrites("s3:GetObject", ["*", "arn:aws:s3:::*"]), []);
    assert.deepEqual(unboundedWrites("s3:PutObject", ["arn:aws:s3:::reports/*"]), []);
    assert.deepEqual(unboundedWrites("xray:PutTraceSegments", ["*"]), []);
    assert.deepEqual(unboundedWrites("nosuchservice:Put", ["*"]), []);
  });
});
