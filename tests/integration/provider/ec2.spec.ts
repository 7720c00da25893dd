import assert from "node:assert/strict";
import {
  CreateLaunchTemplateVersionCommand,
  CreateTagsCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  ModifyInstanceMetadataOptionsCommand,
} from "@aws-sdk/client-ec2";
import { GetInstanceProfileCommand, GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { SecureInstance, SecureLaunchTemplate } from "@keyless/aws";
import {
  assertInstanceProfileAssociation,
  assertMetadataOptions,
  assertProfileHoldsRole,
  localStackClientConfig,
} from "@keyless/testing";
import * as aws from "@pulumi/aws";
import { opsOf, trust, withProviderStack } from "./support";

const AMI = "ami-03cf127a";

describe("provider: aws:ec2 against LocalStack", function () {
  this.timeout(300_000);
  const iam = new IAMClient(localStackClientConfig());
  const ec2 = new EC2Client(localStackClientConfig());

  /** The instance as EC2 describes it. */
  const described = async (id: string) =>
    (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0];
  /** The instance's user data as text, read from EC2 (DescribeInstanceAttribute answers base64). */
  const heldUserData = async (id: string) => {
    const got = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: "userData" }));
    return Buffer.from(got.UserData?.Value ?? "", "base64").toString("utf8");
  };

  it("SecureInstance: a role change creates a new profile, re-associates the instance in place, then deletes the old profile", async () => {
    const stage = { roleName: "" };
    await withProviderStack(
      {
        program: async () => {
          const web = new SecureInstance("web", {
            ami: AMI,
            instanceType: "t3.micro",
            permissions: { roleName: stage.roleName },
          });
          return { instanceId: web.instanceId, profile: web.instanceProfileName, role: web.role?.name };
        },
      },
      async (t, seen) => {
        stage.roleName = `keyless-web-a-${t.name}`;
        // GIVEN a deployed SecureInstance
        const up1 = await t.up();
        const instanceId = up1.outputs["instanceId"] as string;
        const oldProfile = up1.outputs["profile"] as string;
        await assertInstanceProfileAssociation(instanceId, oldProfile);
        await assertProfileHoldsRole(oldProfile, stage.roleName);
        await assertMetadataOptions(instanceId, {
          httpTokens: "required",
          httpEndpoint: "enabled",
          httpPutResponseHopLimit: 1,
          instanceMetadataTags: "disabled",
        });
        seen(await t.resources());

        // WHEN its role changes
        stage.roleName = `keyless-web-b-${t.name}`;
        const up2 = await t.up();
        const newProfile = up2.outputs["profile"] as string;
        seen(await t.resources());

        // THEN the profile is replaced create-before-delete, the instance updated (not replaced)
        assert.notEqual(newProfile, oldProfile);
        assert.deepEqual(opsOf(up2.steps, "web-profile"), ["create-replacement", "replace", "delete-replaced"]);
        assert.deepEqual(opsOf(up2.steps, "web-instance"), ["update"]);
        const order = up2.steps.map((s) => `${s.op} ${s.urn.split("::").pop()}`);
        const at = (x: string) => order.indexOf(x);
        assert.ok(at("create-replacement web-profile") < at("update web-instance"), order.join("\n"));
        assert.ok(at("update web-instance") < at("delete-replaced web-profile"), order.join("\n"));
        // AND the instance is associated with the new profile; the old profile is gone
        assert.equal(up2.outputs["instanceId"], instanceId);
        await assertInstanceProfileAssociation(instanceId, newProfile);
        await assertProfileHoldsRole(newProfile, stage.roleName);
        await assert.rejects(
          iam.send(new GetInstanceProfileCommand({ InstanceProfileName: oldProfile })),
          /NoSuchEntity|cannot be found/,
        );
        // AND a refresh finds no drift: the encrypted gp3 root volume, IMDS options and profile EC2 holds match
        assert.deepEqual((await t.refresh()).drift, []);
      },
    );
  });

  it("SecureInstance: a role replaced under the same name (path change) gets a new profile and the instance is re-associated", async () => {
    const stage = { roleName: "", path: "/a/" };
    /** The instance's live association, read from EC2. */
    const association = async (instanceId: string) => {
      const got = await ec2.send(
        new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: "instance-id", Values: [instanceId] }] }),
      );
      const live = got.IamInstanceProfileAssociations?.filter((a) => a.State === "associated") ?? [];
      assert.equal(live.length, 1, JSON.stringify(got.IamInstanceProfileAssociations));
      return { profile: live[0]?.IamInstanceProfile?.Arn?.split("/").pop() };
    };
    const roleId = async () =>
      (await iam.send(new GetRoleCommand({ RoleName: stage.roleName }))).Role?.RoleId as string;
    await withProviderStack(
      {
        program: async () => {
          const web = new SecureInstance("same", {
            ami: AMI,
            instanceType: "t3.micro",
            permissions: { roleName: stage.roleName, path: stage.path },
            instanceMetadataTags: true,
          });
          return { instanceId: web.instanceId, profile: web.instanceProfileName };
        },
      },
      async (t, seen) => {
        stage.roleName = `keyless-same-${t.name}`;
        // GIVEN a SecureInstance whose role has an explicit name
        const up1 = await t.up();
        seen(await t.resources());
        const instanceId = up1.outputs["instanceId"] as string;
        const oldProfile = up1.outputs["profile"] as string;
        const before = await association(instanceId);
        assert.equal(before.profile, oldProfile);
        await assertMetadataOptions(instanceId, { httpTokens: "required", instanceMetadataTags: "enabled" });
        const oldRoleId = await roleId();

        // WHEN the role's path changes: IAM cannot move a role, so it is replaced under the same name
        stage.path = "/b/";
        const up2 = await t.up();
        seen(await t.resources());

        // THEN the role is replaced (a new RoleId, same name) and so is the profile, under a new name
        assert.deepEqual(opsOf(up2.steps, "same-role"), ["delete-replaced", "replace", "create-replacement"]);
        assert.notEqual(await roleId(), oldRoleId);
        const newProfile = up2.outputs["profile"] as string;
        assert.notEqual(newProfile, oldProfile);
        assert.ok(opsOf(up2.steps, "same-profile").includes("replace"), JSON.stringify(up2.steps));
        await assertProfileHoldsRole(newProfile, stage.roleName);
        await assert.rejects(
          iam.send(new GetInstanceProfileCommand({ InstanceProfileName: oldProfile })),
          /NoSuchEntity|cannot be found/,
        );
        // AND the same instance is updated in place and re-associated with the new profile (EC2 says so)
        assert.deepEqual(opsOf(up2.steps, "same-instance"), ["update"]);
        assert.equal(up2.outputs["instanceId"], instanceId);
        const after = await association(instanceId);
        assert.equal(after.profile, newProfile);
      },
    );
  });

  it("Instance: metadataOptions and instanceType change in place; userData in place, or replaces with userDataReplaceOnChange", async () => {
    const stage = { hop: 1, type: "t3.micro", userData: "#!/bin/sh\necho one\n", replaceOnChange: false };
    await withProviderStack(
      {
        program: async () => {
          const role = new aws.iam.Role("r", { assumeRolePolicy: trust("ec2.amazonaws.com") });
          const profile = new aws.iam.InstanceProfile("p", { role: role.name });
          const i = new aws.ec2.Instance("i", {
            ami: AMI,
            instanceType: stage.type,
            iamInstanceProfile: profile.name,
            metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: stage.hop },
            userData: stage.userData,
            userDataReplaceOnChange: stage.replaceOnChange,
          });
          return { id: i.id };
        },
      },
      async (t, seen) => {
        const id1 = (await t.up()).outputs["id"] as string;
        seen(await t.resources());
        assert.equal((await described(id1))?.InstanceType, "t3.micro");
        assert.equal(await heldUserData(id1), "#!/bin/sh\necho one\n");
        Object.assign(stage, { hop: 2, type: "t3.small", userData: "#!/bin/sh\necho two\n" });
        const up2 = await t.up();
        assert.deepEqual(opsOf(up2.steps, "i"), ["update"]);
        assert.equal(up2.outputs["id"], id1);
        // THEN EC2 holds the new type, user data and hop limit on the same instance
        await assertMetadataOptions(id1, { httpTokens: "required", httpPutResponseHopLimit: 2 });
        assert.equal((await described(id1))?.InstanceType, "t3.small");
        assert.equal(await heldUserData(id1), "#!/bin/sh\necho two\n");
        // WHEN userData changes with userDataReplaceOnChange THEN the instance is replaced
        Object.assign(stage, { userData: "#!/bin/sh\necho three\n", replaceOnChange: true });
        const up3 = await t.up();
        assert.deepEqual(opsOf(up3.steps, "i"), ["create-replacement", "replace", "delete-replaced"]);
        const id3 = up3.outputs["id"] as string;
        assert.notEqual(id3, id1);
        seen(await t.resources());
        // AND the new instance holds the new user data and type; the old one is terminated
        assert.equal(await heldUserData(id3), "#!/bin/sh\necho three\n");
        assert.equal((await described(id3))?.InstanceType, "t3.small");
        assert.equal((await described(id1))?.State?.Name, "terminated");
        // AND refresh after all that finds no drift (what the engine says each read changed)
        const refreshed = await t.refresh();
        assert.ok(
          refreshed.outcomes.some((o) => o.urn.endsWith("::i")),
          "the instance was refreshed",
        );
        assert.deepEqual(refreshed.drift, []);
      },
    );
  });

  it("refresh reports drift made out of band (IMDS options, a tag, a launch template version), and up undoes it", async () => {
    await withProviderStack(
      {
        program: async () => {
          const i = new aws.ec2.Instance("i", {
            ami: AMI,
            instanceType: "t3.micro",
            metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
            userData: "#!/bin/sh\necho drift\n",
            tags: { team: "a" },
          });
          const lt = new aws.ec2.LaunchTemplate("lt", {
            imageId: AMI,
            instanceType: "t3.micro",
            metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
          });
          return { id: i.id, lt: lt.id };
        },
      },
      async (t, seen) => {
        // GIVEN a deployed instance and launch template that a refresh finds unchanged
        const up = await t.up();
        seen(await t.resources());
        const id = up.outputs["id"] as string;
        assert.deepEqual((await t.refresh()).drift, []);
        // WHEN someone changes them outside Pulumi: IMDSv1 allowed, a tag changed, a template version added
        // (moto needs every field of the request; only HttpTokens differs from the program)
        await ec2.send(
          new ModifyInstanceMetadataOptionsCommand({
            InstanceId: id,
            HttpTokens: "optional",
            HttpEndpoint: "enabled",
            HttpPutResponseHopLimit: 1,
          }),
        );
        await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: "team", Value: "b" }] }));
        await ec2.send(
          new CreateLaunchTemplateVersionCommand({
            LaunchTemplateId: up.outputs["lt"] as string,
            LaunchTemplateData: { ImageId: AMI, InstanceType: "t3.micro", MetadataOptions: { HttpTokens: "optional" } },
          }),
        );
        // THEN the refresh reports each as drifted, naming what changed
        const refreshed = await t.refresh();
        const drifted = Object.fromEntries(refreshed.drift.map((d) => [d.urn.split("::").pop(), d]));
        assert.deepEqual(Object.keys(drifted).sort(), ["i", "lt"], JSON.stringify(refreshed.drift));
        assert.equal(drifted["i"]?.op, "update");
        assert.deepEqual([...(drifted["i"]?.diffs ?? [])].sort(), ["metadataOptions", "tags"]);
        assert.ok(drifted["lt"]?.diffs.includes("metadataOptions"), JSON.stringify(drifted["lt"]));
        // AND the next up puts the program's settings back, after which nothing drifts
        const fixed = await t.up();
        assert.deepEqual(opsOf(fixed.steps, "i"), ["update"]);
        await assertMetadataOptions(id, { httpTokens: "required" });
        assert.equal((await described(id))?.Tags?.find((x) => x.Key === "team")?.Value, "a");
        assert.deepEqual((await t.refresh()).drift, []);
      },
    );
  });

  it("SecureLaunchTemplate: base64 user data, IMDSv2; a hop-limit change makes a new default version in place", async () => {
    const stage = { containerMetadataAccess: false };
    await withProviderStack(
      {
        program: async () => {
          const lt = new SecureLaunchTemplate("workers", {
            imageId: AMI,
            instanceType: "t3.micro",
            userData: "#!/bin/sh\necho hi\n",
            containerMetadataAccess: stage.containerMetadataAccess,
          });
          return { id: lt.launchTemplateId, version: lt.latestVersion };
        },
      },
      async (t, seen) => {
        const up1 = await t.up();
        seen(await t.resources());
        stage.containerMetadataAccess = true;
        const up2 = await t.up();
        assert.deepEqual(opsOf(up2.steps, "workers-template"), ["update"]);
        assert.equal(up2.outputs["id"], up1.outputs["id"]);
        assert.equal(up2.outputs["version"], (up1.outputs["version"] as number) + 1);
        // THEN EC2 holds both versions, each with the base64 user data and IMDSv2; the new one is the default
        const all = await ec2.send(
          new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: up2.outputs["id"] as string }),
        );
        const versions = [...(all.LaunchTemplateVersions ?? [])].sort((a, b) => a.VersionNumber! - b.VersionNumber!);
        assert.deepEqual(
          versions.map((v) => ({
            version: v.VersionNumber,
            default: v.DefaultVersion,
            userData: Buffer.from(v.LaunchTemplateData?.UserData ?? "", "base64").toString("utf8"),
            metadata: v.LaunchTemplateData?.MetadataOptions,
          })),
          [1, 2].map((version) => ({
            version,
            default: version === 2,
            userData: "#!/bin/sh\necho hi\n",
            metadata: {
              HttpTokens: "required",
              HttpEndpoint: "enabled",
              HttpPutResponseHopLimit: version,
              InstanceMetadataTags: "disabled",
            },
          })),
        );
        // AND a refresh finds no drift
        assert.deepEqual((await t.refresh()).drift, []);
      },
    );
  });

  it("invokes getCallerIdentity, getRegion, ec2.getAmi and iam.getPolicyDocument", async () => {
    await withProviderStack(
      {
        program: async () => {
          const me = await aws.getCallerIdentity();
          const region = await aws.getRegion();
          const ami = await aws.ec2.getAmi({
            owners: ["amazon"],
            mostRecent: true,
            filters: [{ name: "image-id", values: [AMI] }],
          });
          const doc = await aws.iam.getPolicyDocument({
            statements: [
              { actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["ec2.amazonaws.com"] }] },
            ],
          });
          return { account: me.accountId, region: region.region, ami: ami.id, doc: doc.json };
        },
      },
      async (t) => {
        const { outputs } = await t.up();
        assert.equal(outputs["account"], "000000000000");
        assert.equal(outputs["region"], "us-east-1");
        assert.equal(outputs["ami"], AMI);
        assert.deepEqual(JSON.parse(outputs["doc"] as string), JSON.parse(trust("ec2.amazonaws.com")));
      },
    );
  });
});
