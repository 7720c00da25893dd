import * as assert from "node:assert/strict";
import { KeylessErrorCode, SecureLaunchTemplate } from "@keyless/aws";
import * as pulumi from "@pulumi/pulumi";
import { IMDSV2_ONLY } from "../../support/compute";
import {
  deployFailures,
  expectFailure,
  expectValidationError,
  fakeAccessKeyId,
  ownedBy,
  resolved,
  useMocks,
} from "../../support/mocks";

const TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
const PROFILE = "aws:iam/instanceProfile:InstanceProfile";

describe("SecureLaunchTemplate", () => {
  const mocks = useMocks();

  it("registers a hardened launch template with base64-encoded user data", async () => {
    // GIVEN
    const lt = new SecureLaunchTemplate("workers", {
      imageId: "ami-0123456789abcdef0",
      instanceType: "t3.small",
      userData: "#!/bin/bash\n/opt/worker/start ünïcode\n",
      tags: { app: "workers" },
    });
    // WHEN
    await resolved(lt.launchTemplateId);
    await mocks.settle();
    // THEN
    assert.deepEqual(mocks.summary(), [
      "aws:ec2/launchTemplate:LaunchTemplate::workers-template",
      "aws:iam/instanceProfile:InstanceProfile::workers-profile",
      "aws:iam/role:Role::workers-role",
      "keyless:aws:SecureLaunchTemplate::workers",
    ]);
    const t = mocks.one(TEMPLATE).inputs;
    assert.equal(Buffer.from(t.userData, "base64").toString("utf8"), "#!/bin/bash\n/opt/worker/start ünïcode\n");
    assert.deepEqual(t.metadataOptions, IMDSV2_ONLY);
    assert.deepEqual(t.blockDeviceMappings, [
      { deviceName: "/dev/xvda", ebs: { encrypted: "true", volumeType: "gp3", deleteOnTermination: "true" } },
    ]);
    // the template launches with the profile it created, and that profile holds the role it created
    const profile = mocks.one(PROFILE).inputs;
    assert.deepEqual(t.iamInstanceProfile, { arn: `arn:aws:iam::123456789012:instance-profile/${profile.name}` });
    assert.equal(await resolved(lt.instanceProfileArn), t.iamInstanceProfile.arn);
    assert.equal(profile.role, await resolved(lt.role!.name));
    assert.equal(t.updateDefaultVersion, true);
    const tags = { app: "workers", ...ownedBy("keyless:aws:SecureLaunchTemplate::workers") };
    assert.deepEqual(t.tags, tags);
    assert.deepEqual(t.tagSpecifications, [{ resourceType: "instance", tags }], "launched instances are tagged too");
  });

  it("passes base64 through, and honours the container hop limit and root device opt-ins", async () => {
    const encoded = Buffer.from("#!/bin/bash\necho hi\n").toString("base64");
    new SecureLaunchTemplate("ctr", {
      userDataBase64: encoded,
      containerMetadataAccess: true,
      rootDeviceName: "/dev/sda1",
      rootVolumeSize: 20,
    });
    await mocks.settle();
    const t = mocks.one(TEMPLATE).inputs;
    assert.equal(t.userData, encoded);
    assert.equal(t.metadataOptions.httpPutResponseHopLimit, 2);
    assert.equal(t.blockDeviceMappings[0].deviceName, "/dev/sda1");
    assert.equal(t.blockDeviceMappings[0].ebs.volumeSize, 20);
    assert.deepEqual(t.tagSpecifications, [
      { resourceType: "instance", tags: ownedBy("keyless:aws:SecureLaunchTemplate::ctr") },
    ]);
  });

  it("encodes plain user data only known at deploy time", async () => {
    new SecureLaunchTemplate("late", { userData: pulumi.interpolate`#!/bin/bash\necho ${pulumi.output("x")}\n` });
    await mocks.settle();
    assert.equal(Buffer.from(mocks.one(TEMPLATE).inputs.userData, "base64").toString(), "#!/bin/bash\necho x\n");
  });

  it("refuses user data with a key before registering anything", async () => {
    const key = fakeAccessKeyId();
    const err = expectValidationError(
      () => new SecureLaunchTemplate("leaky", { userData: `#!/bin/bash\nAWS_ACCESS_KEY_ID=${key}\n` }),
      KeylessErrorCode.UserDataContainsCredentials,
      "userData",
    );
    assert.ok(!err.message.includes(key));
    await mocks.settle();
    assert.deepEqual(mocks.resources, []);
  });

  it("refuses user data with a key only known at deploy time inside the template's input", async () => {
    const key = fakeAccessKeyId();
    const errors = await deployFailures(mocks, () => {
      new SecureLaunchTemplate("late", { userData: pulumi.output(`#!/bin/bash\nK=${key}\n`) });
    });
    const err = expectFailure(errors, KeylessErrorCode.UserDataContainsCredentials, "userData");
    assert.ok(!err.message.includes(key));
    assert.equal(mocks.ofType(TEMPLATE).length, 0);
    assert.equal(mocks.ofType(PROFILE).length, 1);
  });

  it("refuses a bad root device name and conflicting user data", () => {
    expectValidationError(
      () => new SecureLaunchTemplate("x", { rootDeviceName: "xvda" }),
      KeylessErrorCode.InvalidArgument,
      "rootDeviceName",
    );
    expectValidationError(
      () => new SecureLaunchTemplate("x", { userData: "a", userDataBase64: "YQ==" }),
      KeylessErrorCode.ConflictingArguments,
      "userDataBase64",
    );
    expectValidationError(
      () =>
        new SecureLaunchTemplate("x", {
          permissions: { managedPolicies: [{ arn: "arn:aws:iam::aws:policy/AdministratorAccess" }] },
        }),
      KeylessErrorCode.PrivilegedManagedPolicy,
      "permissions.managedPolicies[0].arn",
    );
  });

  it("works with no arguments at all", async () => {
    new SecureLaunchTemplate("bare");
    await mocks.settle();
    assert.equal(mocks.one(TEMPLATE).inputs.userData, undefined);
  });
});
