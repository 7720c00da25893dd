import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { EXEMPT_TAG, ExemptionError } from "@keyless/iam-rules";
import { keylessPolicies } from "@keyless/policy-pack/policies";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  assertHasViolation,
  assertNoViolations,
  createResourceValidationArgs,
  createStackValidationArgs,
  runResourcePolicy,
  runStackPolicy,
  urnOf,
} from "../support/policy";

const INSTANCE = "aws:ec2/instance:Instance";
const ROLE = "aws:iam/role:Role";
const PROFILE = "aws:iam/instanceProfile:InstanceProfile";
const ACCESS_KEY = "aws:iam/accessKey:AccessKey";
const FILE = path.resolve(__dirname, "..", "fixtures", "exemptions", "keyless-policy.json");
const file = JSON.parse(readFileSync(FILE, "utf8")) as Record<string, Record<string, unknown>>;

/** The pack's policies judged at a fixed clock. */
function pack(now: string) {
  const policies = keylessPolicies({ now: () => new Date(now) });
  const byName = <P>(name: string) => policies.find((p) => p.name === name) as P;
  return {
    imds: byName<ResourceValidationPolicy>("imdsv2-required"),
    roleTrust: byName<StackValidationPolicy>("role-trust-matches-use"),
    inUse: byName<StackValidationPolicy>("exemptions-in-use"),
  };
}

const IMDSV1 = { ami: "ami-1", instanceType: "t3.micro", metadataOptions: { httpTokens: "optional" } };

describe("exemptions in the pack", () => {
  it("lifts imdsv2-required for a resource the config names, until its end date, and lists it as in use", async () => {
    // GIVEN the exemptions file's imdsv2-required settings, before legacy-agent's end date
    const { imds, inUse } = pack("2099-12-31T12:00:00Z");
    const config = file["imdsv2-required"] ?? {};
    // WHEN legacy-agent (exempt) and web (not) are checked
    const legacy = createResourceValidationArgs(INSTANCE, IMDSV1, imds, config, "legacy-agent");
    const web = createResourceValidationArgs(INSTANCE, IMDSV1, imds, config, "web");
    // THEN legacy-agent passes, web does not
    assertNoViolations(await runResourcePolicy(imds, legacy));
    assertHasViolation(await runResourcePolicy(imds, web), {
      message: '`metadataOptions.httpTokens` must be "required"',
    });
    // AND exemptions-in-use reports legacy-agent's exemption, with its reason and end, on its URN
    const stack = createStackValidationArgs([{ type: INSTANCE, name: "legacy-agent", props: IMDSV1 }], inUse);
    const listed = await runStackPolicy(inUse, stack);
    assert.deepEqual(
      listed.violations.map((v) => [v.urn, v.message]),
      [
        [
          urnOf(INSTANCE, "legacy-agent"),
          "`legacy-agent` is exempt from `imdsv2-required` by the exemptions config, until 2099-12-31: OPS-42: the vendor agent reads IMDSv1 until its 5.x release",
        ],
      ],
    );
  });

  it("reports the violation again once the exemption expired, saying when", async () => {
    // GIVEN the day after legacy-agent's end date
    const { imds } = pack("2100-01-01T00:00:00Z");
    const args = createResourceValidationArgs(INSTANCE, IMDSV1, imds, file["imdsv2-required"], "legacy-agent");
    // THEN the violation is back and names the expired exemption
    assertHasViolation(await runResourcePolicy(imds, args), {
      message:
        'The exemption (config: "OPS-42: the vendor agent reads IMDSv1 until its 5.x release") expired after 2099-12-31, so this applies again.',
    });
  });

  it("does not remediate an exempt resource, and still remediates the others", async () => {
    const { imds } = pack("2026-01-01T00:00:00Z");
    const config = file["imdsv2-required"];
    const remediate = imds.remediateResource;
    assert.ok(remediate !== undefined);
    const exempt = createResourceValidationArgs(INSTANCE, IMDSV1, imds, config, "legacy-agent");
    const other = createResourceValidationArgs(INSTANCE, IMDSV1, imds, config, "old-batch");
    assert.equal(await remediate(exempt), undefined);
    const fixed = (await remediate(other)) as Record<string, Record<string, unknown>>;
    assert.equal(fixed["metadataOptions"]?.["httpTokens"], "required");
  });

  it("honours the resource's own keyless:exempt tag, and refuses a malformed one naming it", async () => {
    const { imds } = pack("2026-01-01T00:00:00Z");
    const tagged = (value: string) =>
      createResourceValidationArgs(INSTANCE, { ...IMDSV1, tags: { [EXEMPT_TAG]: value } }, imds, {}, "tagged");
    assertNoViolations(await runResourcePolicy(imds, tagged("imdsv2-required until 2026-12-31: OPS-5 appliance")));
    assertHasViolation(await runResourcePolicy(imds, tagged("imdsv2-required until 2025-12-31: OPS-5 appliance")), {
      message: 'The exemption (tag `keyless:exempt`: "OPS-5 appliance") expired after 2025-12-31',
    });
    await assert.rejects(runResourcePolicy(imds, tagged("imdsv2-required")), (err: unknown) => {
      assert.ok(err instanceof ExemptionError);
      assert.equal(err.argument, `tagged.tags["${EXEMPT_TAG}"]`);
      return true;
    });
  });

  it("refuses a reasonless exemption in the config, naming the field", async () => {
    const { imds } = pack("2026-01-01T00:00:00Z");
    const args = createResourceValidationArgs(INSTANCE, IMDSV1, imds, { exemptions: [{ resource: "web" }] }, "web");
    await assert.rejects(runResourcePolicy(imds, args), (err: unknown) => {
      assert.ok(err instanceof ExemptionError);
      assert.equal(err.argument, "imdsv2-required.exemptions[0].reason");
      return true;
    });
    // AND the JSON schema the CLI checks the config with requires it too
    const items = imds.configSchema?.properties["exemptions"];
    assert.ok(typeof items === "object" && typeof items.items === "object" && !Array.isArray(items.items));
    assert.deepEqual(items.items.required, ["reason"]);
  });

  it("lists an access key the deprecated allowedUsers lets through, saying it has no reason or end", async () => {
    const policies = keylessPolicies();
    const keys = policies.find((p) => p.name === "no-iam-access-keys") as ResourceValidationPolicy;
    const inUse = policies.find((p) => p.name === "exemptions-in-use") as StackValidationPolicy;
    const args = createResourceValidationArgs(
      ACCESS_KEY,
      { user: "legacy-ci" },
      keys,
      { allowedUsers: ["legacy-ci"] },
      "ci",
    );
    assertNoViolations(await runResourcePolicy(keys, args));
    const listed = await runStackPolicy(
      inUse,
      createStackValidationArgs([{ type: ACCESS_KEY, name: "ci", props: {} }], inUse),
    );
    assertHasViolation(listed, {
      message: "`ci` passes `no-iam-access-keys` through `allowedUsers` (user `legacy-ci`), with no reason or end date",
      urn: urnOf(ACCESS_KEY, "ci"),
    });
  });

  it("lifts a stack policy's violation on the resource it names", async () => {
    // GIVEN a role in an instance profile that does not trust EC2, exempted by its name
    const { roleTrust } = pack("2026-01-01T00:00:00Z");
    const lambdaTrust = JSON.stringify({
      Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
    const specs = [
      { type: ROLE, name: "shared", props: { assumeRolePolicy: lambdaTrust } },
      { type: PROFILE, name: "profile", props: { role: "shared" }, propertyDependencies: { role: ["shared"] } },
    ];
    const plain = createStackValidationArgs(specs, roleTrust);
    assertHasViolation(await runStackPolicy(roleTrust, plain), { message: "must trust `ec2.amazonaws.com`" });
    const exempt = createStackValidationArgs(specs, roleTrust, {
      exemptions: [{ resource: "shared", reason: "OPS-8: role reused by a Lambda; split by Q3" }],
    });
    assertNoViolations(await runStackPolicy(roleTrust, exempt));
  });
});
