import { imdsv2Required, instanceProfileRequired } from "@keyless/policy-pack/policies";
import * as aws from "@pulumi/aws";
import {
  assertHasViolation,
  assertNotApplicable,
  assertNoViolations,
  assertUndecided,
  createResourceValidationArgs,
  runResourcePolicy,
  UNKNOWN,
} from "../support/policy";
import { check } from "../support/policy-credentials";

const happy = () => ({
  ami: "ami-0123456789abcdef0",
  instanceType: "t3.micro",
  iamInstanceProfile: "app-profile",
  metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1, httpEndpoint: "enabled" },
});

describe("#imdsv2-required", () => {
  const policy = imdsv2Required;
  const run = (
    type: typeof aws.ec2.Instance | typeof aws.ec2.LaunchTemplate,
    props: Record<string, unknown>,
    config = {},
  ) => runResourcePolicy(policy, createResourceValidationArgs(type, props, policy, config));

  it("passes the happy path on instances and launch templates", async () => {
    assertNoViolations(await run(aws.ec2.Instance, happy()));
    assertNoViolations(await run(aws.ec2.LaunchTemplate, { metadataOptions: happy().metadataOptions }));
  });

  it("flags missing metadataOptions", async () => {
    const o = await run(aws.ec2.Instance, { ...happy(), metadataOptions: undefined });
    assertHasViolation(o, { message: '`metadataOptions.httpTokens` must be "required" (IMDSv2 only); it is not set' });
    assertHasViolation(o, { message: "`metadataOptions.httpPutResponseHopLimit` must be set explicitly, at most 1" });
  });

  it("flags optional tokens", async () => {
    const props = happy();
    props.metadataOptions.httpTokens = "optional";
    assertHasViolation(await run(aws.ec2.LaunchTemplate, props), { message: 'it is "optional"' });
  });

  it("flags a hop limit above the configured maximum, and accepts it when configured", async () => {
    const props = happy();
    props.metadataOptions.httpPutResponseHopLimit = 2;
    assertHasViolation(await run(aws.ec2.Instance, props), { message: "must be at most 1; it is 2" });
    assertNoViolations(await run(aws.ec2.Instance, props, { maxHopLimit: 2 }));
  });

  it("accepts a disabled metadata endpoint", async () => {
    assertNoViolations(await run(aws.ec2.Instance, { ...happy(), metadataOptions: { httpEndpoint: "disabled" } }));
  });

  it("handles unknown metadata options", async () => {
    assertUndecided(await run(aws.ec2.Instance, { ...happy(), metadataOptions: UNKNOWN }));
    assertHasViolation(await run(aws.ec2.Instance, { ...happy(), metadataOptions: UNKNOWN }, { failOnUnknown: true }), {
      message: "`metadataOptions` is unknown during preview",
    });
  });

  it("is not applicable to other types", async () => {
    assertNotApplicable(await runResourcePolicy(policy, createResourceValidationArgs(aws.s3.Bucket, {}, policy)));
  });

  describe("remediation", () => {
    const remediate = async (props: Record<string, unknown>, config = {}) => {
      const args = createResourceValidationArgs(aws.ec2.Instance, props, policy, config);
      const out = await policy.remediateResource?.(args);
      return out as
        | Record<string, { httpTokens?: string; httpPutResponseHopLimit?: number; httpEndpoint?: string }>
        | undefined;
    };

    it("sets httpTokens required and the hop limit, keeping other options", async () => {
      const out = await remediate({
        ...happy(),
        metadataOptions: { httpTokens: "optional", httpEndpoint: "enabled", httpPutResponseHopLimit: 3 },
      });
      check(out?.["metadataOptions"]?.httpTokens === "required", "tokens required");
      check(out?.["metadataOptions"]?.httpPutResponseHopLimit === 1, "hop limit capped");
      check(out?.["metadataOptions"]?.httpEndpoint === "enabled", "endpoint kept");
      check((out as Record<string, unknown>)["ami"] === "ami-0123456789abcdef0", "other props kept");
      // THEN the remediated resource validates clean.
      assertNoViolations(
        await runResourcePolicy(
          policy,
          createResourceValidationArgs(aws.ec2.Instance, out as Record<string, unknown>, policy),
        ),
      );
    });

    it("adds metadataOptions when missing, honouring maxHopLimit", async () => {
      const out = await remediate({ ami: "ami-1" }, { maxHopLimit: 2 });
      check(
        out?.["metadataOptions"]?.httpTokens === "required" && out["metadataOptions"].httpPutResponseHopLimit === 2,
        "added",
      );
    });

    it("changes nothing on a compliant resource or another type", async () => {
      check((await remediate(happy())) === undefined, "compliant untouched");
      const other = await policy.remediateResource?.(createResourceValidationArgs(aws.s3.Bucket, {}, policy));
      check(other === undefined, "other type untouched");
    });
  });
});

describe("#instance-profile-required", () => {
  const policy = instanceProfileRequired;
  const run = (props: Record<string, unknown>) =>
    runResourcePolicy(policy, createResourceValidationArgs(aws.ec2.Instance, props, policy));

  it("is advisory", () => check(policy.enforcementLevel === "advisory", "advisory"));
  it("passes an instance with a profile", async () => assertNoViolations(await run(happy())));
  it("passes a profile computed from another resource", async () =>
    assertNoViolations(await run({ ...happy(), iamInstanceProfile: UNKNOWN })));
  it("flags an instance without a profile", async () => {
    assertHasViolation(await run({ ...happy(), iamInstanceProfile: undefined }), {
      message: "must have an IAM instance profile",
    });
  });
  it("is not applicable to launch templates", async () => {
    assertNotApplicable(
      await runResourcePolicy(policy, createResourceValidationArgs(aws.ec2.LaunchTemplate, {}, policy)),
    );
  });
});
