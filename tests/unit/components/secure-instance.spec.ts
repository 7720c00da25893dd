import * as assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { InstanceProfile, KeylessErrorCode, SecureInstance } from "@keyless/aws";
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

const INSTANCE = "aws:ec2/instance:Instance";
const PROFILE = "aws:iam/instanceProfile:InstanceProfile";
const base = { ami: "ami-0123456789abcdef0", instanceType: "t3.micro" };

describe("SecureInstance", () => {
  const mocks = useMocks();

  it("registers a hardened instance with a profile that follows its role", async () => {
    // GIVEN
    const web = new SecureInstance("web", {
      ...base,
      subnetId: "subnet-0abc",
      vpcSecurityGroupIds: ["sg-0abc"],
      permissions: { statements: [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::assets/*"] }] },
      userData: "#!/bin/bash\necho hello\n",
      tags: { app: "web" },
    });
    // WHEN
    await resolved(web.instanceId);
    await mocks.settle();
    // THEN
    assert.deepEqual(mocks.summary(), [
      "aws:ec2/instance:Instance::web-instance",
      "aws:iam/instanceProfile:InstanceProfile::web-profile",
      "aws:iam/role:Role::web-role",
      "aws:iam/rolePolicy:RolePolicy::web-policy",
      "keyless:aws:SecureInstance::web",
    ]);
    const i = mocks.one(INSTANCE).inputs;
    assert.deepEqual(i.metadataOptions, IMDSV2_ONLY);
    assert.deepEqual(i.rootBlockDevice, { encrypted: true, volumeType: "gp3", deleteOnTermination: true });
    assert.equal(i.associatePublicIpAddress, false);
    assert.equal(i.iamInstanceProfile, mocks.one(PROFILE).inputs.name);
    assert.equal(i.userData, "#!/bin/bash\necho hello\n");
    assert.equal(i.subnetId, "subnet-0abc");
    assert.deepEqual(i.vpcSecurityGroupIds, ["sg-0abc"]);
    assert.deepEqual(i.tags, { app: "web", ...ownedBy("keyless:aws:SecureInstance::web") });
    assert.equal(await resolved(web.instanceProfileName), mocks.one(PROFILE).inputs.name);
    assert.ok(web.role);
    for (const child of [web.instance, web.instanceProfile, web.role]) {
      assert.match((await resolved(child.urn))!, /keyless:aws:SecureInstance\$aws:/);
    }
  });

  it("raises the hop limit to 2 and exposes tags only when asked", async () => {
    new SecureInstance("ctr", {
      ...base,
      containerMetadataAccess: true,
      instanceMetadataTags: true,
      rootVolumeSize: 30,
      rootVolumeType: "io2",
      rootVolumeKmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/k",
      associatePublicIpAddress: true,
      userDataReplaceOnChange: true,
    });
    await mocks.settle();
    const i = mocks.one(INSTANCE).inputs;
    assert.equal(i.metadataOptions.httpPutResponseHopLimit, 2);
    assert.equal(i.metadataOptions.httpTokens, "required");
    assert.equal(i.metadataOptions.instanceMetadataTags, "enabled");
    assert.deepEqual(i.rootBlockDevice, {
      encrypted: true,
      volumeType: "io2",
      volumeSize: 30,
      kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/k",
      deleteOnTermination: true,
    });
    assert.equal(i.associatePublicIpAddress, true);
    assert.equal(i.userDataReplaceOnChange, true);
  });

  it("attaches a given instance profile and creates no role", async () => {
    const profile = new InstanceProfile("shared", {});
    const web = new SecureInstance("web", { ...base, instanceProfile: profile.instanceProfile });
    await resolved(web.instanceId);
    await mocks.settle();
    assert.equal(mocks.ofType(PROFILE).length, 1);
    assert.equal(mocks.one(INSTANCE).inputs.iamInstanceProfile, await resolved(profile.instanceProfileName));
    assert.equal(web.role, undefined);
  });

  it("passes base64 user data through", async () => {
    const encoded = gzipSync("#!/bin/bash\necho hi\n").toString("base64");
    new SecureInstance("gz", { ...base, userDataBase64: encoded });
    await mocks.settle();
    assert.equal(mocks.one(INSTANCE).inputs.userDataBase64, encoded);
    assert.equal(mocks.one(INSTANCE).inputs.userData, undefined);
  });

  describe("user data with credentials", () => {
    for (const [label, args] of [
      ["plain", (key: string) => ({ userData: `#!/bin/bash\nexport AWS_ACCESS_KEY_ID=${key}\n` })],
      ["base64", (key: string) => ({ userDataBase64: Buffer.from(`#!/bin/bash\nK=${key}\n`).toString("base64") })],
      [
        "gzip + base64",
        (key: string) => ({ userDataBase64: gzipSync(`#!/bin/bash\n\nK=${key}\n`).toString("base64") }),
      ],
    ] as const) {
      it(`refuses ${label} user data before registering anything, naming layer and line, never the key`, async () => {
        const key = fakeAccessKeyId();
        const err = expectValidationError(
          () => new SecureInstance("leaky", { ...base, ...args(key) }),
          KeylessErrorCode.UserDataContainsCredentials,
        );
        assert.ok(!err.message.includes(key), "the key must not appear in the error");
        assert.match(err.message, /AWS access key id at .*line \d/);
        assert.match(err.message, /instance profile/);
        await mocks.settle();
        assert.deepEqual(mocks.resources, [], "nothing registered");
      });
    }

    it("refuses user data only known at deploy time inside the instance's input", async () => {
      const key = fakeAccessKeyId();
      const errors = await deployFailures(mocks, () => {
        const bucket = pulumi.output("configs");
        new SecureInstance("late", {
          ...base,
          userData: pulumi.interpolate`#!/bin/bash\naws s3 cp s3://${bucket}/app.conf /etc/app.conf\nKEY=${key}\n`,
        });
      });
      const err = expectFailure(errors, KeylessErrorCode.UserDataContainsCredentials, "userData");
      assert.ok(!err.message.includes(key));
      assert.match(err.message, /line 3/);
      assert.equal(mocks.ofType(INSTANCE).length, 0, "the instance is never created");
    });

    it("accepts clean user data only known at deploy time", async () => {
      new SecureInstance("late", { ...base, userData: pulumi.interpolate`#!/bin/bash\necho ${pulumi.output("hi")}\n` });
      await mocks.settle();
      assert.equal(mocks.one(INSTANCE).inputs.userData, "#!/bin/bash\necho hi\n");
    });

    it("leaves unknown user data unknown at preview", async () => {
      await mocks.reinstall({ preview: true, unknownComputed: true });
      const profile = new InstanceProfile("p", {});
      new SecureInstance("pre", {
        ...base,
        instanceProfile: profile.instanceProfile,
        userData: profile.instanceProfileName.apply((n) => `#!/bin/bash\necho ${n}\n`),
      });
      await mocks.settle();
      const i = mocks.one(INSTANCE).inputs;
      assert.ok(pulumi.isUnknown(i.userData), "unknown at preview");
      assert.equal(i.metadataOptions.httpTokens, "required");
    });
  });

  describe("argument checks", () => {
    const cases: [string, object, string, string][] = [
      ["missing ami", { ami: undefined }, KeylessErrorCode.InvalidArgument, "ami"],
      ["missing instanceType", { instanceType: "" }, KeylessErrorCode.InvalidArgument, "instanceType"],
      [
        "userData and userDataBase64",
        { userData: "a", userDataBase64: "YQ==" },
        KeylessErrorCode.ConflictingArguments,
        "userDataBase64",
      ],
      [
        "instanceProfile and permissions",
        { instanceProfile: {}, permissions: {} },
        KeylessErrorCode.ConflictingArguments,
        "permissions",
      ],
      [
        "non-boolean opt-in",
        { containerMetadataAccess: "yes" },
        KeylessErrorCode.InvalidArgument,
        "containerMetadataAccess",
      ],
      [
        "non-boolean public ip",
        { associatePublicIpAddress: 1 },
        KeylessErrorCode.InvalidArgument,
        "associatePublicIpAddress",
      ],
      ["bad volume size", { rootVolumeSize: 0 }, KeylessErrorCode.InvalidArgument, "rootVolumeSize"],
      ["user data over 16 KB", { userData: "x".repeat(16 * 1024 + 1) }, KeylessErrorCode.InvalidArgument, "userData"],
      ["base64 that is not", { userDataBase64: "#!/bin/bash" }, KeylessErrorCode.InvalidArgument, "userDataBase64"],
      [
        "base64 over 16 KB",
        { userDataBase64: Buffer.alloc(16 * 1024 + 3, 65).toString("base64") },
        KeylessErrorCode.InvalidArgument,
        "userDataBase64",
      ],
      [
        "over-privileged permissions",
        { permissions: { statements: [{ actions: ["*"], resources: ["*"] }] } },
        KeylessErrorCode.WildcardAction,
        "permissions.statements[0].actions[0]",
      ],
    ];
    for (const [label, extra, code, argument] of cases) {
      it(`refuses ${label}`, async () => {
        expectValidationError(() => new SecureInstance("x", { ...base, ...extra } as never), code, argument);
        await mocks.settle();
        assert.deepEqual(mocks.resources, []);
      });
    }

    it("refuses missing arguments", () => {
      expectValidationError(
        () => new SecureInstance("x", undefined as never),
        KeylessErrorCode.InvalidArgument,
        "args",
      );
    });
  });
});
