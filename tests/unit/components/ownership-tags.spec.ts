import * as assert from "node:assert/strict";
import {
  EcsTaskRoles,
  KEYLESS_COMPONENT_TAG,
  KEYLESS_STACK_TAG,
  KeylessErrorCode,
  LambdaExecutionRole,
  SecureInstance,
  SecureLaunchTemplate,
  WorkloadRole,
} from "@keyless/aws";
import * as pulumi from "@pulumi/pulumi";
import { deployFailures, expectFailure, expectValidationError, ownedBy, useMocks } from "../../support/mocks";

const ROLE = "aws:iam/role:Role";
const POLICY = "aws:iam/rolePolicy:RolePolicy";
const PROFILE = "aws:iam/instanceProfile:InstanceProfile";
const INSTANCE = "aws:ec2/instance:Instance";
const base = { ami: "ami-0123456789abcdef0", instanceType: "t3.micro" };
const READ = { actions: ["s3:GetObject"], resources: ["arn:aws:s3:::assets/*"] };

/** Types keyless children may have that AWS does not let carry tags. */
const UNTAGGABLE = new Set([POLICY, "aws:iam/rolePolicyAttachment:RolePolicyAttachment"]);

describe("ownership tags and retry-stable names", () => {
  const mocks = useMocks();

  it("exports the tag keys", () => {
    assert.equal(KEYLESS_STACK_TAG, "keyless:stack");
    assert.equal(KEYLESS_COMPONENT_TAG, "keyless:component");
  });

  it("tags every child that takes tags with the stack and the component, over the user's tags", async () => {
    // GIVEN components of each kind, one with user tags
    new SecureInstance("web", { ...base, permissions: { statements: [READ] }, tags: { app: "web" } });
    new SecureLaunchTemplate("workers", { imageId: "ami-0123456789abcdef0", permissions: { statements: [READ] } });
    new EcsTaskRoles("api", { statements: [READ] });
    new LambdaExecutionRole("fn", { statements: [READ] });
    await mocks.settle();
    // THEN every taggable child carries its own component's tags
    const children = mocks.resources.filter((r) => !r.type.startsWith("keyless:") && !UNTAGGABLE.has(r.type));
    assert.ok(children.length >= 8, `children: ${children.map((c) => c.type).join(", ")}`);
    const owner = (name: string) =>
      name.startsWith("web")
        ? "keyless:aws:SecureInstance::web"
        : name.startsWith("workers")
          ? "keyless:aws:SecureLaunchTemplate::workers"
          : name.startsWith("api")
            ? "keyless:aws:EcsTaskRoles::api"
            : "keyless:aws:LambdaExecutionRole::fn";
    for (const c of children) {
      const tags = c.inputs.tags as Record<string, string>;
      assert.deepEqual(
        { [KEYLESS_STACK_TAG]: tags[KEYLESS_STACK_TAG], [KEYLESS_COMPONENT_TAG]: tags[KEYLESS_COMPONENT_TAG] },
        ownedBy(owner(c.name)),
        `${c.type} ${c.name}`,
      );
    }
    assert.equal(mocks.one(INSTANCE).inputs.tags.app, "web", "the user's tags are kept beside them");
  });

  it("refuses a user tag that sets an ownership tag, naming the argument, before registering anything", () => {
    for (const [make, argument] of [
      [() => new SecureInstance("a", { ...base, tags: { [KEYLESS_STACK_TAG]: "x" } }), "tags"],
      [
        () => new SecureInstance("b", { ...base, permissions: { tags: { [KEYLESS_COMPONENT_TAG]: "x" } } }),
        "permissions.tags",
      ],
      [() => new WorkloadRole("c", { service: "ec2", tags: { [KEYLESS_STACK_TAG]: "x" } }), "tags"],
    ] as const) {
      const err = expectValidationError(make, KeylessErrorCode.InvalidArgument, argument);
      assert.match(err.message, /must not set "keyless:(stack|component)"/);
    }
    assert.deepEqual(mocks.resources, [], "nothing registered");
  });

  it("refuses an ownership tag in tags only known at deploy time, in the role's tags input", async () => {
    const failures = await deployFailures(mocks, () => {
      new WorkloadRole("late", {
        service: "ec2",
        tags: pulumi.output({ [KEYLESS_STACK_TAG]: "another/stack" }) as never,
      });
    });
    const err = expectFailure(failures, KeylessErrorCode.InvalidArgument, "tags");
    assert.match(err.message, /must not set "keyless:stack"/);
  });

  it("writes a tag value AWS accepts from any component name", async () => {
    new WorkloadRole("odd name#1", { service: "lambda" });
    await mocks.settle();
    assert.equal(
      mocks.one(ROLE).inputs.tags[KEYLESS_COMPONENT_TAG],
      "keyless:aws:WorkloadRole::odd name_1",
      "`#` is not a tag value character",
    );
  });

  it("names the inline policy from the component (no random suffix), so a retried PutRolePolicy overwrites it", async () => {
    new SecureInstance("web", { ...base, permissions: { statements: [READ] } });
    new WorkloadRole("odd name#1", { service: "lambda", statements: [READ] });
    await mocks.settle();
    assert.equal(mocks.one(POLICY, "web-policy").inputs.name, "web-policy");
    assert.equal(mocks.one(POLICY, "odd name#1-policy").inputs.name, "odd-name-1-policy");
    assert.equal(mocks.ofType(PROFILE).length, 1);
  });
});
