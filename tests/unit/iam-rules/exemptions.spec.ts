import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  EXEMPT_TAG,
  type Exemption,
  ExemptionError,
  exemptTagValue,
  expiredNote,
  findExemption,
  parseExemption,
  parseExemptTag,
  parsePolicyConfigExemptions,
} from "@keyless/iam-rules";
import { keylessPolicyNames } from "@keyless/scanner";

const FILE = path.resolve(__dirname, "..", "..", "fixtures", "exemptions", "keyless-policy.json");
const IMDS = "imdsv2-required";
const at = (iso: string): Date => new Date(iso);

/** Runs `fn`, which must throw an ExemptionError naming `argument`; returns its message. */
function refused(fn: () => unknown, argument: string): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ExemptionError, String(err));
    assert.equal(err.argument, argument);
    return err.message;
  }
  assert.fail(`expected an ExemptionError naming ${argument}`);
}

describe("exemptions (shared by the pack and hardenStack)", () => {
  describe("parsing", () => {
    it("reads the pack config file: each policy's exemptions, skipping other settings and string levels", () => {
      // GIVEN the exemptions file the engine tests pass with --policy-pack-config
      const file: unknown = JSON.parse(readFileSync(FILE, "utf8"));
      // WHEN it is parsed for hardenStack
      const exemptions = parsePolicyConfigExemptions(file, "options.exemptions", keylessPolicyNames);
      // THEN every exemption carries the policy it is listed under
      assert.deepEqual(
        exemptions.map((e) => [e.policy, e.resource, e.until]),
        [
          [IMDS, "legacy-agent", "2099-12-31"],
          [IMDS, "old-batch", "2020-06-30"],
          ["no-iam-access-keys", "onprem-ci", "2099-12-31"],
        ],
      );
    });

    const bad: Array<[string, unknown, string, RegExp]> = [
      ["no reason", { resource: "web" }, "p.exemptions[0].reason", /is required: say why/],
      ["a blank reason", { resource: "web", reason: "  " }, "p.exemptions[0].reason", /is required/],
      ["a reason too long", { resource: "web", reason: "x".repeat(257) }, "p.exemptions[0].reason", /at most 256/],
      [
        "a date that is not ISO",
        { resource: "web", reason: "r", until: "31/01/2027" },
        "p.exemptions[0].until",
        /YYYY-MM-DD/,
      ],
      [
        "a date that does not exist",
        { resource: "web", reason: "r", until: "2027-02-30" },
        "p.exemptions[0].until",
        /YYYY-MM-DD/,
      ],
      ["no resource", { reason: "r" }, "p.exemptions[0]", /exactly one of `resource`.*Received none/],
      ["two resources", { resource: "a", urn: "b", reason: "r" }, "p.exemptions[0]", /Received resource and urn/],
      [
        "an unknown field",
        { resource: "a", reason: "r", expires: "2027-01-01" },
        "p.exemptions[0].expires",
        /not an exemption field/,
      ],
      ["a tag without key", { tag: { value: "x" }, reason: "r" }, "p.exemptions[0].tag.key", /non-empty string/],
      [
        "another policy's name",
        { policy: "least-privilege", resource: "a", reason: "r" },
        "p.exemptions[0].policy",
        /listed under "p"/,
      ],
    ];
    for (const [what, entry, argument, message] of bad) {
      it(`refuses ${what}, naming the field`, () => {
        assert.match(
          refused(
            () => parsePolicyConfigExemptions({ p: { exemptions: [entry] } }, "p0", ["p"]).length,
            argument.replace(/^p\./, "p0.p."),
          ),
          message,
        );
      });
    }

    it("refuses a config key that names no keyless policy, so a typo exempts nothing silently", () => {
      const message = refused(
        () =>
          parsePolicyConfigExemptions(
            { "imdsv2-requried": { exemptions: [] } },
            "options.exemptions",
            keylessPolicyNames,
          ),
        "options.exemptions.imdsv2-requried",
      );
      assert.match(message, /names no keyless-aws policy; the policies are no-static-credentials-in-user-data/);
    });
  });

  describe("the keyless:exempt tag", () => {
    it("reads policies, an end date and the reason, within the characters a tag value allows", () => {
      const value = exemptTagValue([IMDS, "no-static-credentials-in-user-data"], "OPS-42 vendor agent", "2027-01-31");
      assert.equal(value, "imdsv2-required+no-static-credentials-in-user-data until 2027-01-31: OPS-42 vendor agent");
      assert.match(value, /^[\p{L}\p{N} _.:/=+\-@]+$/u);
      assert.deepEqual(parseExemptTag(value, "web.tags"), [
        { policy: IMDS, reason: "OPS-42 vendor agent", until: "2027-01-31" },
        { policy: "no-static-credentials-in-user-data", reason: "OPS-42 vendor agent", until: "2027-01-31" },
      ]);
      assert.deepEqual(parseExemptTag(`${IMDS}: no end`, "t"), [{ policy: IMDS, reason: "no end" }]);
    });

    it("refuses a value without a reason, or with a bad date, naming the tag", () => {
      assert.match(
        refused(() => parseExemptTag(IMDS, "web.tags"), "web.tags"),
        /must read "<policy>/,
      );
      assert.match(
        refused(() => parseExemptTag(`${IMDS}:  `, "web.tags"), "web.tags (reason)"),
        /is required/,
      );
      assert.match(
        refused(() => parseExemptTag(`${IMDS} until 2027-13-01: r`, "web.tags"), "web.tags (until)"),
        /YYYY-MM-DD/,
      );
    });
  });

  describe("matching, at a clock the test sets", () => {
    const legacy: Exemption = { policy: IMDS, resource: "legacy-*", reason: "OPS-42", until: "2027-01-31" };

    it("exempts through the last day (UTC) and not from the next midnight, saying when it expired", () => {
      const subject = { name: "legacy-agent" };
      assert.equal(findExemption(IMDS, subject, [legacy], at("2027-01-31T23:59:59Z"))?.status, "exempt");
      const after = findExemption(IMDS, subject, [legacy], at("2027-02-01T00:00:00Z"));
      assert.equal(after?.status, "expired");
      assert.ok(after?.status === "expired");
      assert.equal(
        expiredNote(after),
        'The exemption (config: "OPS-42") expired after 2027-01-31, so this applies again.',
      );
    });

    it("matches by name pattern, URN pattern or a tag, and only for the policy it names", () => {
      const now = at("2026-06-01T00:00:00Z");
      const urn = "urn:pulumi:prod::app::keyless:aws:SecureInstance$aws:ec2/instance:Instance::web";
      const byUrn: Exemption = {
        policy: IMDS,
        urn: "urn:pulumi:prod::*::*aws:ec2/instance:Instance::web",
        reason: "r",
      };
      const byTag: Exemption = { policy: IMDS, tag: { key: "team", value: "legacy" }, reason: "r" };
      assert.equal(findExemption(IMDS, { name: "legacy-a" }, [legacy], now)?.status, "exempt");
      assert.equal(findExemption(IMDS, { name: "web" }, [legacy], now), undefined);
      assert.equal(findExemption("least-privilege", { name: "legacy-a" }, [legacy], now), undefined);
      assert.equal(findExemption(IMDS, { name: "web", urn }, [byUrn], now)?.status, "exempt");
      assert.equal(findExemption(IMDS, { name: "web", urn: urn.replace("prod", "dev") }, [byUrn], now), undefined);
      assert.equal(findExemption(IMDS, { name: "web", tags: { team: "legacy" } }, [byTag], now)?.status, "exempt");
      assert.equal(findExemption(IMDS, { name: "web", tags: { team: "core" } }, [byTag], now), undefined);
      const tagged = { name: "web", tags: { [EXEMPT_TAG]: `${IMDS} until 2026-05-31: OPS-1` } };
      assert.equal(findExemption(IMDS, tagged, [], now)?.status, "expired");
      assert.equal(findExemption(IMDS, tagged, [], at("2026-05-31T12:00:00Z"))?.source, "tag");
    });

    it("lets a live exemption win over an expired one", () => {
      const old: Exemption = { ...legacy, until: "2020-01-01" };
      assert.equal(
        findExemption(IMDS, { name: "legacy-x" }, [old, legacy], at("2026-01-01T00:00:00Z"))?.status,
        "exempt",
      );
    });

    it("refuses a malformed keyless:exempt tag, naming it", () => {
      const subject = { name: "web", tags: { [EXEMPT_TAG]: "because" } };
      refused(() => findExemption(IMDS, subject, [], new Date()), `web.tags["${EXEMPT_TAG}"]`);
    });
  });

  it("parseExemption reads the policy from the entry when it is not listed under one", () => {
    assert.equal(parseExemption({ policy: IMDS, resource: "a", reason: "r" }, "x").policy, IMDS);
    refused(() => parseExemption({ resource: "a", reason: "r" }, "x"), "x.policy");
  });
});
