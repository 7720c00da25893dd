import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { EXEMPT_TAG, HardenedType, hardeningTransform, hardenStack, KeylessErrorCode } from "@keyless/aws";
import * as pulumi from "@pulumi/pulumi";
import { expectValidationError, useMocks } from "../../support/mocks";

// The same file the pack's engine test passes with --policy-pack-config.
const FILE = path.resolve(__dirname, "..", "..", "fixtures", "exemptions", "keyless-policy.json");
const exemptions = JSON.parse(readFileSync(FILE, "utf8")) as Record<string, unknown>;
const IMDSV1 = { ami: "ami-1", instanceType: "t3.micro", metadataOptions: { httpTokens: "optional" } };

type Props = Record<string, unknown>;

/** The props the transform hands the engine for one custom resource (undefined: unchanged). */
async function transformed(transform: pulumi.ResourceTransform, type: string, name: string, props: Props) {
  const result = await transform({ custom: true, type, name, props, opts: {} });
  return result?.props as Props | undefined;
}

const tokens = (props: Props | undefined): unknown => (props?.["metadataOptions"] as Props | undefined)?.["httpTokens"];

describe("hardenStack exemptions (the pack's config file)", () => {
  const mocks = useMocks();
  const info: string[] = [];
  const original = pulumi.log.info;
  beforeEach(() => {
    info.length = 0;
    pulumi.log.info = async (msg: string) => void info.push(msg);
  });
  afterEach(() => {
    pulumi.log.info = original;
  });

  it("leaves an exempt instance's IMDS options alone until the end date, and logs the exemption", async () => {
    // GIVEN hardenStack with the exemptions file, before legacy-agent's end date
    hardenStack({ exemptions, now: () => new Date("2099-12-31T23:00:00Z") });
    await mocks.settle();
    const [transform] = mocks.transforms;
    assert.ok(transform !== undefined, "hardenStack registered its transform");
    // WHEN legacy-agent and web (not exempt) go through it
    const legacy = await transformed(transform, HardenedType.Instance, "legacy-agent", { ...IMDSV1 });
    const web = await transformed(transform, HardenedType.Instance, "web", { ...IMDSV1 });
    // THEN legacy-agent keeps IMDSv1, web is hardened
    assert.equal(legacy?.["metadataOptions"] ?? IMDSV1.metadataOptions, IMDSV1.metadataOptions);
    assert.equal(tokens(web), "required");
    // AND the preview shows the exemption with its reason and end
    assert.ok(
      info.includes(
        'hardenStack: aws:ec2/instance:Instance "legacy-agent": `legacy-agent` is exempt from `imdsv2-required` by the exemptions config, until 2099-12-31: OPS-42: the vendor agent reads IMDSv1 until its 5.x release; not applied',
      ),
      info.join("\n"),
    );
  });

  it("hardens again once the exemption expired, saying so", async () => {
    const transform = hardeningTransform({ exemptions, now: () => new Date("2100-01-01T00:00:00Z") });
    assert.equal(
      tokens(await transformed(transform, HardenedType.Instance, "legacy-agent", { ...IMDSV1 })),
      "required",
    );
    assert.equal(tokens(await transformed(transform, HardenedType.Instance, "old-batch", { ...IMDSV1 })), "required");
    assert.ok(
      info.some((l) =>
        l.includes(
          '"old-batch": `imdsv2-required` applies: The exemption (config: "OPS-7: batch host to be rebuilt") expired after 2020-06-30',
        ),
      ),
      info.join("\n"),
    );
  });

  it("lets an exempt access key through, refuses it after the end date with the expired exemption in the message", async () => {
    const before = hardeningTransform({ exemptions, now: () => new Date("2030-01-01T00:00:00Z") });
    assert.equal(await transformed(before, HardenedType.AccessKey, "onprem-ci", { user: "ci" }), undefined);
    const after = hardeningTransform({ exemptions, now: () => new Date("2100-01-01T00:00:00Z") });
    const err = expectValidationError(
      () => after({ custom: true, type: HardenedType.AccessKey, name: "onprem-ci", props: { user: "ci" }, opts: {} }),
      KeylessErrorCode.StaticAccessKey,
      "onprem-ci",
    );
    assert.match(err.message, /expired after 2099-12-31, so this applies again\. \[StaticAccessKey\]$/);
  });

  it("honours the resource's keyless:exempt tag for one rule only", async () => {
    const transform = hardeningTransform({ now: () => new Date("2026-01-01T00:00:00Z") });
    const props = { ...IMDSV1, tags: { [EXEMPT_TAG]: "imdsv2-required until 2026-03-31: OPS-5 appliance" } };
    const out = await transformed(transform, HardenedType.Instance, "appliance", props);
    // the IMDS rule is lifted; the root volume advice (no policy) still runs and changes nothing
    assert.equal(out, undefined);
    assert.ok(info.some((l) => l.includes("by its `keyless:exempt` tag, until 2026-03-31: OPS-5 appliance")));
  });

  it("matches a URN pattern against the URN the engine will give the resource", async () => {
    const transform = hardeningTransform({
      exemptions: {
        "imdsv2-required": {
          exemptions: [{ urn: "urn:pulumi:unit::keyless::aws:ec2/instance:Instance::legacy-*", reason: "OPS-9" }],
        },
      },
    });
    assert.equal(await transformed(transform, HardenedType.Instance, "legacy-1", { ...IMDSV1 }), undefined);
    assert.equal(tokens(await transformed(transform, HardenedType.Instance, "web", { ...IMDSV1 })), "required");
  });

  it("refuses a reasonless exemption or a malformed tag before anything registers, naming it", () => {
    expectValidationError(
      () => hardenStack({ exemptions: { "imdsv2-required": { exemptions: [{ resource: "web" }] } } }),
      KeylessErrorCode.InvalidArgument,
      "options.exemptions.imdsv2-required.exemptions[0].reason",
    );
    expectValidationError(
      () => hardenStack({ exemptions: { "imdsv2-requried": {} } }),
      KeylessErrorCode.InvalidArgument,
      "options.exemptions.imdsv2-requried",
    );
    const transform = hardeningTransform({});
    expectValidationError(
      () =>
        transform({
          custom: true,
          type: HardenedType.Instance,
          name: "web",
          props: { ...IMDSV1, tags: { [EXEMPT_TAG]: "imdsv2-required" } },
          opts: {},
        }),
      KeylessErrorCode.InvalidArgument,
      `web.tags["${EXEMPT_TAG}"]`,
    );
  });
});
