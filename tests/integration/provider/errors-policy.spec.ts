import assert from "node:assert/strict";
import path from "node:path";
import { StackRunError } from "@keyless/testing";
import * as aws from "@pulumi/aws";
import { trust, withProviderStack } from "./support";

const POLICY_PACK = path.resolve(__dirname, "..", "..", "..", "policy-pack");

function rejectsWith(re: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof StackRunError, String(err));
    assert.match(err.message, re);
    return true;
  };
}

describe("provider: clear errors, policy packs", function () {
  this.timeout(240_000);

  it("an unsupported resource type fails, naming the type", async () => {
    await withProviderStack({ program: async () => void new aws.sqs.Queue("q") }, async (t) => {
      await assert.rejects(
        t.up(),
        rejectsWith(/resource type aws:sqs\/queue:Queue is not supported by the keyless LocalStack aws provider/),
      );
    });
  });

  it("an unsupported property fails, naming the property", async () => {
    const program = async () =>
      void new aws.iam.Role("r", {
        assumeRolePolicy: trust("ec2.amazonaws.com"),
        inlinePolicies: [{ name: "x", policy: "{}" }],
      });
    await withProviderStack({ program }, async (t) => {
      await assert.rejects(t.preview(), rejectsWith(/property `inlinePolicies` is not supported/));
    });
  });

  it("an explicit provider setting it cannot honour is refused, not dropped", async () => {
    const program = async () => {
      const p = new aws.Provider("p", { region: "us-east-1", defaultTags: { tags: { team: "x" } } });
      new aws.iam.Role("r", { assumeRolePolicy: trust("ec2.amazonaws.com") }, { provider: p });
    };
    await withProviderStack({ program }, async (t) => {
      await assert.rejects(t.preview(), rejectsWith(/provider setting `defaultTags` cannot be honoured/));
    });
  });

  it("a preview with the keyless-aws policy pack fails on a mandatory violation (an IAM access key)", async () => {
    const program = async () => {
      const u = new aws.iam.User("ci");
      new aws.iam.AccessKey("ci-key", { user: u.name });
    };
    await withProviderStack({ program }, async (t) => {
      await assert.rejects(t.preview({ policyPacks: [POLICY_PACK] }), (err: unknown) => {
        assert.ok(err instanceof StackRunError, String(err));
        const v = err.result.violations.find((x) => x.policyName === "no-iam-access-keys");
        assert.ok(v, JSON.stringify(err.result.violations));
        assert.equal(v.enforcementLevel, "mandatory");
        return true;
      });
    });
  });
});
