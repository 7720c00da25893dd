import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { InstanceProfile, KeylessErrorCode, WorkloadRole } from "@keyless/aws";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { deployFailures, expectFailure, expectValidationError, ownedBy, resolved, useMocks } from "../../support/mocks";

const PROFILE = "aws:iam/instanceProfile:InstanceProfile";
const ROLE = "aws:iam/role:Role";

describe("InstanceProfile", () => {
  const mocks = useMocks();

  it("creates an EC2 role and a profile named from the role's identity", async () => {
    // GIVEN / WHEN
    const p = new InstanceProfile("web", {
      statements: [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::assets/*"] }],
    });
    const name = await resolved(p.instanceProfileName);
    await mocks.settle();
    // THEN
    assert.deepEqual(mocks.summary(), [
      "aws:iam/instanceProfile:InstanceProfile::web-profile",
      "aws:iam/role:Role::web-role",
      "aws:iam/rolePolicy:RolePolicy::web-policy",
      "keyless:aws:InstanceProfile::web",
    ]);
    const roleName = await resolved(p.roleName);
    assert.match(mocks.one(ROLE).inputs.assumeRolePolicy, /"Service":"ec2.amazonaws.com"/);
    const inputs = mocks.one(PROFILE).inputs;
    assert.equal(inputs.role, roleName);
    // named from the role's unique id (IAM's RoleId), which a replacement changes, not from its name
    const uniqueId = (await resolved(p.role.uniqueId))!;
    assert.equal(inputs.name, `web-${createHash("sha256").update(uniqueId).digest("hex").slice(0, 8)}`);
    assert.equal(name, inputs.name);
    assert.equal(inputs.path, "/");
    assert.match((await resolved(p.instanceProfile.urn))!, /keyless:aws:InstanceProfile\$aws:iam\/instanceProfile/);
  });

  it("gives the same role the same profile name, and a different or replaced role a different name", async () => {
    // GIVEN profiles around named roles; the mocks give each name and path its own unique id, as IAM gives each
    // created role one (a path change replaces the role under the same name)
    const names: string[] = [];
    for (const [roleName, path] of [
      ["app-v1", "/"],
      ["app-v1", "/"],
      ["app-v2", "/"],
      ["app-v1", "/moved/"],
    ] as const) {
      const role = new WorkloadRole(`r-${names.length}`, { service: "ec2", roleName, path });
      const p = new InstanceProfile("app", { role: role.role });
      names.push((await resolved(p.instanceProfileName))!);
    }
    // THEN
    assert.equal(names[0], names[1], "same role, same profile name: no replacement");
    assert.notEqual(names[1], names[2], "role change, new profile name: create before delete");
    assert.notEqual(names[0], names[3], "same name, replaced role: new profile name");
  });

  it("keeps profile names within IAM's limits for long or odd component names", async () => {
    const p = new InstanceProfile(`team/${"x".repeat(200)}`, {});
    const name = (await resolved(p.instanceProfileName))!;
    assert.ok(name.length <= 128, `${name.length}`);
    assert.match(name, /^[\w+=,.@-]+$/);
  });

  it("leaves the profile name unknown at preview while the role name is unknown", async () => {
    await mocks.reinstall({ preview: true, unknownComputed: true });
    const p = new InstanceProfile("pre", {});
    assert.equal(await resolved(p.instanceProfileName), undefined);
    await mocks.settle();
    assert.equal(mocks.ofType(PROFILE).length, 1);
  });

  it("wraps an existing EC2 WorkloadRole", async () => {
    const role = new WorkloadRole("api", { service: "ec2" });
    const p = new InstanceProfile("api", { role: role.role, path: "/keyless/", tags: { team: "api" } });
    await resolved(p.instanceProfileArn);
    await mocks.settle();
    assert.equal(mocks.ofType(ROLE).length, 1, "no second role");
    const inputs = mocks.one(PROFILE).inputs;
    assert.equal(inputs.path, "/keyless/");
    assert.deepEqual(inputs.tags, { team: "api", ...ownedBy("keyless:aws:InstanceProfile::api") });
    assert.equal(p.role, role.role);
  });

  it("refuses a WorkloadRole for another service before registering anything", async () => {
    const role = new WorkloadRole("fn", { service: "lambda" });
    await mocks.settle();
    mocks.resources.length = 0;
    const err = expectValidationError(
      () => new InstanceProfile("fn", { role: role.role }),
      KeylessErrorCode.UntrustedRole,
      "role",
    );
    assert.match(err.message, /must trust ec2.amazonaws.com/);
    assert.match(err.message, /service "lambda"/);
    await mocks.settle();
    assert.deepEqual(mocks.resources, []);
  });

  it("refuses a plain aws.iam.Role that does not trust EC2, in the profile's input", async () => {
    const errors = await deployFailures(mocks, () => {
      const role = new aws.iam.Role("plain", {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      });
      new InstanceProfile("plain", { role });
    });
    expectFailure(errors, KeylessErrorCode.UntrustedRole, "role");
    assert.equal(mocks.ofType(PROFILE).length, 0, "the profile is never created");
  });

  it("accepts a plain aws.iam.Role that trusts EC2", async () => {
    const role = new aws.iam.Role("plain", {
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: ["ec2.amazonaws.com"] }, Action: ["sts:AssumeRole"] }],
      }),
    });
    const p = new InstanceProfile("plain", { role });
    assert.match((await resolved(p.instanceProfileName))!, /^plain-[0-9a-f]{8}$/);
  });

  it("refuses role-creation arguments next to an existing role", () => {
    const role = new WorkloadRole("api", { service: "ec2" });
    const err = expectValidationError(
      () => new InstanceProfile("api", { role: role.role, statements: [] }),
      KeylessErrorCode.ConflictingArguments,
      "statements",
    );
    assert.match(err.message, /Only one of `role` or `statements`/);
  });

  it("applies least privilege to the role it creates", () => {
    expectValidationError(
      () => new InstanceProfile("x", { statements: [{ actions: ["ec2:*"], resources: ["*"] }] }),
      KeylessErrorCode.ServiceWildcardAction,
      "statements[0].actions[0]",
    );
  });
  it("gets a profile name under mocks that compute nothing (a user's mocks return the inputs as the state)", async () => {
    // GIVEN the simplest mocks a user writes: no uniqueId, no auto-name
    const names: unknown[] = [];
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          if (args.type === "aws:iam/instanceProfile:InstanceProfile") names.push(args.inputs["name"]);
          return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
      },
      "keyless",
      "unit",
      false,
    );
    // WHEN
    const p = new InstanceProfile("bare", { statements: [] });
    // THEN the profile is registered with a derived name instead of the derivation failing inside an apply
    assert.match((await resolved(p.instanceProfileName))!, /^bare-[0-9a-f]{8}$/);
    assert.equal(names.length, 1);
  });
});
