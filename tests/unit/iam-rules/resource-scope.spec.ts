import * as assert from "node:assert/strict";
import { isUnboundedResource, unboundedWrites, wildcardMatches } from "@keyless/iam-rules";
import fc from "fast-check";
import { propertyParameters } from "../../support/fast-check";
import { oracleActions, referenceCoversFormat, referenceMatches } from "../../support/iam-oracle";

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
    ["iam:PassRole", "arn:*1*6789012:role/*", true], // every role of account 111116789012 (the property found it)
    ["dynamodb:PutItem", "a*est-1:1234567?9012:table/*", true], // every table of an account in eu-west-1
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

describe("iam-rules: isUnboundedResource on partial and cross-segment wildcards", function () {
  // About 6 s idle for 1000 patterns; the timeout only stops a hang, with room for a loaded runner.
  this.timeout(180_000);
  // Patterns are built from one ARN format of an action that has only that format (so the action's answer is the
  // format's), and judged against a reference decision written separately (tests/support/iam-oracle.ts). The way a
  // pattern is built also says what to expect, which holds the reference itself: a pattern whose every name is a
  // wildcard matching any name (`*`, `**`, `?*`) or lies inside a `*` that swallows several segments
  // (`arn:*:123456789012:role/*`) matches, by the regular-expression matcher, a resource with random names in the
  // context it was built from, and is unbounded; one with a partial wildcard (`qj-*`, `*jq`, `q*j`, in letters found
  // nowhere in the format or that context) or a fixed name misses a resource whose names are filler. Partial
  // wildcards in the partition, region or account (`eu-*`, `12345678901?`) bound nothing.
  const CONTEXT: Record<string, string> = { Partition: "aws", Region: "eu-west-1", Account: "123456789012" };
  const FILL = "\u0001";
  const pairs: { action: string; format: string }[] = [];
  before(async function () {
    this.timeout(60_000);
    for (const a of await oracleActions()) {
      if (a.formats.length === 1) pairs.push({ action: `${a.service}:${a.name}`, format: a.formats[0]! });
    }
    assert.ok(pairs.length > 10_000, `${pairs.length} single-format actions`);
  });

  type Token = { kind: "literal" | "context" | "name"; text: string };
  const tokens = (format: string): Token[] =>
    format
      .split(/(\$\{[A-Za-z0-9]+\}|\*)/)
      .filter((p) => p !== "")
      .map((p) => {
        const v = /^\$\{(.+)\}$/.exec(p)?.[1];
        if (v !== undefined && v in CONTEXT) return { kind: "context", text: CONTEXT[v]! };
        return v !== undefined || p === "*" ? { kind: "name", text: "" } : { kind: "literal", text: p };
      });

  /** How a piece of the pattern is written: the choice fast-check draws for each context and name. */
  const contextForms = ["exact", "star", "prefix", "suffix", "infix", "question"] as const;
  const nameForms = ["star", "double", "question-star", "fixed", "prefix", "suffix", "infix"] as const;
  const wildName = new Set<string>(["star", "double", "question-star"]);

  function contextPattern(value: string, form: (typeof contextForms)[number], cut: number): string {
    const at = 1 + (cut % (value.length - 1));
    if (form === "exact") return value;
    if (form === "star") return "*";
    if (form === "prefix") return `${value.slice(0, at)}*`;
    if (form === "suffix") return `*${value.slice(at)}`;
    if (form === "infix") return `${value.slice(0, 1)}*${value.slice(at)}`;
    return `${value.slice(0, at - 1)}?${value.slice(at)}`;
  }

  function namePattern(form: (typeof nameForms)[number], letters: string): string | undefined {
    if (form === "star") return "*";
    if (form === "double") return "**";
    if (form === "question-star") return "?*";
    if (form === "fixed") return "fixedname1";
    // Partial wildcards, `logs-*` and `a*b` alike, in letters no other part of the resource holds.
    if (letters.length < 2) return undefined;
    const [a, b] = [letters[0]!, letters[1]!];
    return form === "prefix" ? `${a}${b}-*` : form === "suffix" ? `*${b}${a}` : `${a}*${b}`;
  }

  it("judges patterns with partial and cross-segment wildcards as the reference does", () => {
    const seen = { unbounded: 0, bounded: 0, crossSegment: 0, partial: 0 };
    fc.assert(
      fc.property(
        fc.nat(),
        fc.infiniteStream(fc.constantFrom(...contextForms)),
        fc.infiniteStream(fc.constantFrom(...nameForms)),
        fc.infiniteStream(fc.nat()),
        fc.option(fc.tuple(fc.nat(), fc.nat()), { freq: 2 }),
        fc.infiniteStream(
          fc.string({ unit: fc.constantFrom("a", "Z", "0", "-", "/", ":", "."), minLength: 1, maxLength: 12 }),
        ),
        (index, contexts, names, cuts, swallow, randomNames) => {
          // GIVEN one action's only ARN format, each context and name written in one of the forms above
          const { action, format } = pairs[index % pairs.length]!;
          const used = `${format}${Object.values(CONTEXT).join("")}`.toLowerCase();
          const letters = [..."qjzxkvy"].filter((c) => !used.includes(c)).join("");
          const pieces: { text: string; token: Token; wild: boolean }[] = [];
          for (const token of tokens(format)) {
            if (token.kind === "literal") pieces.push({ text: token.text, token, wild: true });
            else if (token.kind === "context") {
              const text = contextPattern(token.text, contexts.next().value, cuts.next().value);
              pieces.push({ text, token, wild: true });
            } else {
              const form = names.next().value;
              const text = namePattern(form, letters) ?? "*";
              if (text.length > 2 && form !== "fixed") seen.partial++;
              pieces.push({ text, token, wild: wildName.has(form) || text === "*" });
            }
          }
          // and maybe one `*` swallowing a run of text that spans a colon, from inside a literal or a context to
          // inside a later one (never cutting a name: a name inside the run is swallowed whole, so it is wild)
          if (swallow !== null) {
            const cuttable = pieces.flatMap((p, i) => (p.token.kind === "name" ? [] : [i]));
            const i = cuttable[swallow[0] % cuttable.length]!;
            const j = cuttable[swallow[1] % cuttable.length]!;
            const [from, to] = i <= j ? [i, j] : [j, i];
            const start = cuts.next().value % (pieces[from]!.text.length + 1);
            const end = cuts.next().value % (pieces[to]!.text.length + 1);
            const swallowed =
              from === to
                ? pieces[from]!.text.slice(start, Math.max(start, end))
                : pieces[from]!.text.slice(start) +
                  pieces
                    .slice(from + 1, to)
                    .map((p) => p.text)
                    .join("") +
                  pieces[to]!.text.slice(0, end);
            if (swallowed.includes(":")) {
              seen.crossSegment++;
              const head = pieces[from]!.text.slice(0, start);
              const tail = pieces[to]!.text.slice(from === to ? Math.max(start, end) : end);
              const merged = { text: `${head}*${tail}`, token: { kind: "literal" as const, text: "" }, wild: true };
              pieces.splice(from, to - from + 1, merged);
            }
          }
          const pattern = pieces.map((p) => p.text).join("");
          const unbounded = pieces.every((p) => p.wild);
          // The expectation, held to the reference matcher in the context the pattern was built from.
          const resource = (name: () => string) =>
            tokens(format)
              .map((t) => (t.kind === "name" ? name() : t.text))
              .join("");
          if (unbounded) {
            seen.unbounded++;
            const concrete = resource(() => randomNames.next().value);
            assert.ok(referenceMatches(pattern, concrete), `reference: ${pattern} matches ${concrete}`);
          } else {
            seen.bounded++;
            const witness = resource(() => FILL.repeat(3));
            assert.ok(!referenceMatches(pattern, witness), `reference: ${pattern} misses a name of filler`);
          }
          // WHEN / THEN iam-rules decides as the reference does; every pattern built unbounded is unbounded (a context
          // value may also be made to hold a bounded name's letters: the model lets it be any text without a colon)
          const expected = referenceCoversFormat(pattern, format);
          if (unbounded) assert.ok(expected, `reference: ${pattern} covers ${format}`);
          assert.equal(isUnboundedResource(action, pattern), expected, `${action} on ${pattern} (format ${format})`);
        },
      ),
      propertyParameters(1000),
    );
    // The forms this property exists for were drawn, not only whole-segment wildcards.
    assert.ok(seen.crossSegment > 100 && seen.partial > 100, JSON.stringify(seen));
    assert.ok(seen.unbounded > 100 && seen.bounded > 100, JSON.stringify(seen));
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
