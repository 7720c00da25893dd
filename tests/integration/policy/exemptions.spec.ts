import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { EXEMPT_TAG } from "@keyless/iam-rules";
import { StackRunError } from "@keyless/testing";
import * as aws from "@pulumi/aws";
import { withProviderStack } from "../provider/support";

const POLICY_PACK = path.resolve(__dirname, "..", "..", "..", "policy-pack");
// The same file the hardenStack unit tests read: one exemptions file for the pack and the components.
const EXEMPTIONS = path.resolve(__dirname, "..", "..", "fixtures", "exemptions", "keyless-policy.json");
const IMDSV1 = { ami: "ami-12345678", instanceType: "t3.micro", metadataOptions: { httpTokens: "optional" } };

/** `<policy> <resource name>` of each violation, sorted. */
const named = (violations: readonly { policyName: string; urn?: string }[]): string[] =>
  violations.map((v) => `${v.policyName} ${v.urn?.split("::").pop()}`).sort();

describe("policy: exemptions through the engine, with --policy-pack-config", function () {
  this.timeout(240_000);

  it("scenario 1: exempts by config and by tag until the end date, fails the expired one saying so, lists those in use", async () => {
    const program = async () => {
      new aws.ec2.Instance("legacy-agent", IMDSV1); // exempt by the file until 2099-12-31
      new aws.ec2.Instance("old-batch", IMDSV1); // its exemption ended 2020-06-30
      new aws.ec2.Instance("appliance", {
        ...IMDSV1,
        tags: { [EXEMPT_TAG]: "imdsv2-required until 2099-06-30: OPS-5 appliance firmware reads IMDSv1" },
      });
      new aws.ec2.Instance("web", IMDSV1); // no exemption
      new aws.iam.AccessKey("onprem-ci", { user: "onprem-ci" }); // exempt by the file
    };
    await withProviderStack({ program }, async (t) => {
      await assert.rejects(t.preview({ policyPacks: [POLICY_PACK], policyPackConfigs: [EXEMPTIONS] }), (err) => {
        assert.ok(err instanceof StackRunError, String(err));
        const { violations } = err.result;
        const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory");
        const advisory = violations.filter((v) => v.enforcementLevel !== "mandatory");
        // THEN only the expired and the unexempted instance fail; the expired one says so and when
        assert.deepEqual([...new Set(named(mandatory))], ["imdsv2-required old-batch", "imdsv2-required web"]);
        const expired = mandatory.filter((v) => v.urn?.endsWith("::old-batch")).map((v) => v.message);
        for (const m of expired) {
          assert.match(m, /The exemption \(config: "OPS-7: batch host to be rebuilt"\) expired after 2020-06-30/);
        }
        for (const m of mandatory.filter((v) => v.urn?.endsWith("::web")).map((v) => v.message)) {
          assert.doesNotMatch(m, /exemption/);
        }
        // AND exemptions-in-use lists each exemption applied, advisory, with reason and end
        assert.deepEqual(named(advisory), [
          "exemptions-in-use appliance",
          "exemptions-in-use legacy-agent",
          "exemptions-in-use onprem-ci",
        ]);
        const said = advisory.map((v) => v.message).join("\n");
        assert.match(
          said,
          /`appliance` is exempt from `imdsv2-required` by its `keyless:exempt` tag, until 2099-06-30: OPS-5/,
        );
        assert.match(
          said,
          /`legacy-agent` is exempt from `imdsv2-required` by the exemptions config, until 2099-12-31: OPS-42/,
        );
        assert.match(
          said,
          /`onprem-ci` is exempt from `no-iam-access-keys` by the exemptions config, until 2099-12-31: CI-9/,
        );
        return true;
      });
      assert.deepEqual(await t.resources(), [], "a refused preview deploys nothing");
    });
  });

  it("scenario 2: refuses a reasonless exemption in the config file before any policy runs, naming the field", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "keyless-exemptions-"));
    try {
      const file = path.join(dir, "bad.json");
      writeFileSync(file, JSON.stringify({ "imdsv2-required": { exemptions: [{ resource: "web" }] } }));
      const program = async () => {
        new aws.ec2.Instance("web", IMDSV1);
      };
      await withProviderStack({ program }, async (t) => {
        await assert.rejects(t.preview({ policyPacks: [POLICY_PACK], policyPackConfigs: [file] }), (err: unknown) => {
          const text =
            err instanceof StackRunError ? `${err.message}\n${err.result.error?.message ?? ""}` : String(err);
          // the CLI checks the file against the policy's configSchema, and names policy, entry and field
          assert.match(
            text,
            /validating policy config: keyless-aws \S+ +imdsv2-required: exemptions\.0: reason is required/,
          );
          return true;
        });
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
