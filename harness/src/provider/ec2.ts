/** aws:ec2 resource types: Instance and LaunchTemplate. */
import type { Instance, LaunchTemplateVersion, RequestLaunchTemplateData } from "@aws-sdk/client-ec2";
import {
  bool,
  compact,
  num,
  obj,
  orNotFound,
  readTags,
  retagging,
  retryOn,
  str,
  strings,
  tagList,
  tagMap,
} from "./properties";
import { ec2Sdk } from "./sdk";
import type { HandlerContext, Props, ResourceHandler } from "./types";

const METADATA_FIELDS = [
  "httpTokens",
  "httpEndpoint",
  "httpPutResponseHopLimit",
  "instanceMetadataTags",
  "httpProtocolIpv6",
] as const;

/** The settings of an Instance's root volume a program may give, besides its tags. */
const ROOT_VOLUME_SETTINGS = [
  "encrypted",
  "kmsKeyId",
  "volumeType",
  "volumeSize",
  "deleteOnTermination",
  "iops",
  "throughput",
] as const;

/** AWS may not see a just-created instance profile yet ("Invalid IAM Instance Profile"): retry, bounded. */
const PROFILE_NOT_YET_VISIBLE = ["InvalidParameterValue", "InvalidParameterValueException"];

function b64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

async function tagResource(ctx: HandlerContext, id: string, olds: Props, news: Props): Promise<void> {
  await retagging(
    olds,
    news,
    (Tags) => ctx.clients.ec2.send(new ec2Sdk.CreateTagsCommand({ Resources: [id], Tags })),
    (keys) =>
      ctx.clients.ec2.send(new ec2Sdk.DeleteTagsCommand({ Resources: [id], Tags: keys.map((Key) => ({ Key })) })),
  );
}

function metadataRequest(m: Props | undefined) {
  if (!m) return undefined;
  return {
    HttpTokens: str(m, "httpTokens") as "required" | "optional" | undefined,
    HttpEndpoint: str(m, "httpEndpoint") as "enabled" | "disabled" | undefined,
    HttpPutResponseHopLimit: num(m, "httpPutResponseHopLimit"),
    InstanceMetadataTags: str(m, "instanceMetadataTags") as "enabled" | "disabled" | undefined,
    HttpProtocolIpv6: str(m, "httpProtocolIpv6") as "enabled" | "disabled" | undefined,
  };
}

/**
 * The tags EC2 holds on a resource, from its tag store (DescribeTags). LocalStack 4.14's DescribeLaunchTemplates keeps
 * answering the tags the template was created with after CreateTags/DeleteTags; DescribeTags is current (and on AWS
 * the two agree).
 */
async function heldTags(ctx: HandlerContext, id: string): Promise<Array<{ Key?: string; Value?: string }>> {
  const tags: Array<{ Key?: string; Value?: string }> = [];
  let NextToken: string | undefined;
  do {
    const page = await ctx.clients.ec2.send(
      new ec2Sdk.DescribeTagsCommand({ Filters: [{ Name: "resource-id", Values: [id] }], NextToken }),
    );
    tags.push(...(page.Tags ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return tags;
}

// ---------------------------------------------------------------- Instance

async function describeInstance(ctx: HandlerContext, id: string): Promise<{ i: Instance; owner?: string } | undefined> {
  const got = await orNotFound(ctx.clients.ec2.send(new ec2Sdk.DescribeInstancesCommand({ InstanceIds: [id] })));
  const r = got?.Reservations?.[0];
  const i = r?.Instances?.[0];
  if (!i || i.State?.Name === "terminated") return undefined;
  return r?.OwnerId ? { i, owner: r.OwnerId } : { i };
}

function profileName(arn: string | undefined): string | undefined {
  return arn?.split("/").pop();
}

/**
 * The instance's user data as EC2 holds it, in the property the state uses: `userDataBase64` when the state has it,
 * else `userData` (text), as the real provider reads it through DescribeInstanceAttribute, which answers base64.
 */
async function readUserData(ctx: HandlerContext, id: string, state: Props): Promise<Props> {
  const got = await ctx.clients.ec2.send(
    new ec2Sdk.DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: "userData" }),
  );
  const held = got.UserData?.Value;
  if (!held) return {};
  if (state["userDataBase64"] !== undefined) return { userDataBase64: held };
  return { userData: Buffer.from(held, "base64").toString("utf8") };
}

/** The root volume as EC2 holds it (DescribeVolumes), as the real provider reads `rootBlockDevice`. */
async function readRootVolume(ctx: HandlerContext, i: Instance): Promise<Props> {
  const root = i.BlockDeviceMappings?.find((b) => b.DeviceName === i.RootDeviceName);
  const volumeId = root?.Ebs?.VolumeId;
  const got = volumeId
    ? await orNotFound(ctx.clients.ec2.send(new ec2Sdk.DescribeVolumesCommand({ VolumeIds: [volumeId] })))
    : undefined;
  const v = got?.Volumes?.[0];
  return compact({
    deviceName: i.RootDeviceName,
    volumeId,
    deleteOnTermination: root?.Ebs?.DeleteOnTermination,
    encrypted: v?.Encrypted,
    kmsKeyId: v?.KmsKeyId,
    volumeType: v?.VolumeType,
    volumeSize: v?.Size,
    iops: v?.Iops,
    throughput: v?.Throughput,
    tags: v?.Tags && v.Tags.length > 0 ? tagMap(v.Tags) : undefined,
  });
}

/**
 * The profile associated with the instance now. LocalStack's moto leaves DescribeInstances' `IamInstanceProfile` on
 * the first profile after ReplaceIamInstanceProfileAssociation; the association itself is current.
 */
async function associatedProfile(ctx: HandlerContext, id: string): Promise<string | undefined> {
  const got = await ctx.clients.ec2.send(
    new ec2Sdk.DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: "instance-id", Values: [id] }] }),
  );
  const live = got.IamInstanceProfileAssociations?.find((a) => a.State === "associated" || a.State === "associating");
  return profileName(live?.IamInstanceProfile?.Arn);
}

/**
 * What EC2 holds for the instance. Only the provider's own settings (`userDataReplaceOnChange`, and
 * `associatePublicIpAddress`, which EC2 does not return once the address is gone) come from the state.
 */
async function readInstance(ctx: HandlerContext, id: string, state: Props): Promise<Props | undefined> {
  const found = await describeInstance(ctx, id);
  if (!found) return undefined;
  const { i, owner } = found;
  const m = i.MetadataOptions;
  return compact({
    id: i.InstanceId,
    arn: `arn:aws:ec2:${ctx.region}:${owner ?? "000000000000"}:instance/${i.InstanceId}`,
    ami: i.ImageId,
    instanceType: i.InstanceType,
    subnetId: i.SubnetId,
    availabilityZone: i.Placement?.AvailabilityZone,
    privateIp: i.PrivateIpAddress,
    privateDns: i.PrivateDnsName,
    publicIp: i.PublicIpAddress ?? "",
    publicDns: i.PublicDnsName ?? "",
    keyName: i.KeyName,
    instanceState: i.State?.Name,
    primaryNetworkInterfaceId: i.NetworkInterfaces?.[0]?.NetworkInterfaceId,
    vpcSecurityGroupIds: (i.SecurityGroups ?? []).map((g) => g.GroupId),
    iamInstanceProfile: (await associatedProfile(ctx, id)) ?? "",
    associatePublicIpAddress: state["associatePublicIpAddress"] ?? i.PublicIpAddress !== undefined,
    metadataOptions: m
      ? compact({
          httpTokens: m.HttpTokens,
          httpEndpoint: m.HttpEndpoint,
          httpPutResponseHopLimit: m.HttpPutResponseHopLimit,
          instanceMetadataTags: m.InstanceMetadataTags ?? "disabled",
          httpProtocolIpv6: m.HttpProtocolIpv6 ?? "disabled",
        })
      : undefined,
    rootBlockDevice: await readRootVolume(ctx, i),
    ...(await readUserData(ctx, id, state)),
    userDataReplaceOnChange: state["userDataReplaceOnChange"] ?? false,
    ...readTags(i.Tags),
  });
}

async function waitFor(ctx: HandlerContext, id: string, wanted: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await ctx.clients.ec2.send(new ec2Sdk.DescribeInstancesCommand({ InstanceIds: [id] }));
    const name = got.Reservations?.[0]?.Instances?.[0]?.State?.Name;
    if (name === wanted) return;
    if (Date.now() > deadline) throw new Error(`instance ${id} did not reach state ${wanted} (last: ${name})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The AMI's root device name and size: AWS takes the size from the AMI's snapshot, moto needs it explicitly. */
async function rootDevice(ctx: HandlerContext, ami: string | undefined): Promise<{ name: string; size: number }> {
  const images = ami
    ? await orNotFound(ctx.clients.ec2.send(new ec2Sdk.DescribeImagesCommand({ ImageIds: [ami] })))
    : undefined;
  const img = images?.Images?.[0];
  const name = img?.RootDeviceName ?? "/dev/xvda";
  const size = img?.BlockDeviceMappings?.find((b) => b.DeviceName === name)?.Ebs?.VolumeSize ?? 8;
  return { name, size };
}

async function rootVolumeId(ctx: HandlerContext, id: string): Promise<string | undefined> {
  const i = (await describeInstance(ctx, id))?.i;
  return i?.BlockDeviceMappings?.find((b) => b.DeviceName === i.RootDeviceName)?.Ebs?.VolumeId;
}

/** Volume types that take `iops`, and those that take `throughput` (terraform-provider-aws `resourceInstanceUpdate`). */
const IOPS_TYPES = ["io1", "io2", "gp3"];
const THROUGHPUT_TYPES = ["gp3"];

/**
 * A changed `rootBlockDevice`, in place as the real provider does it: every changed field of size, type, IOPS and
 * throughput in one ModifyVolume (then wait until EC2 has applied it), `deleteOnTermination` through
 * ModifyInstanceAttribute, the volume's tags through CreateTags/DeleteTags. `before` is what EC2 held (the outputs).
 * Refused, as the real provider refuses them: IOPS on a type other than io1/io2/gp3, throughput on a type other than
 * gp3; and, as EC2 refuses it, a smaller size. (`encrypted` and `kmsKeyId` replace the instance instead.)
 */
async function updateRootVolume(ctx: HandlerContext, id: string, before: Props, after: Props): Promise<void> {
  const ec2 = ctx.clients.ec2;
  const volumeId = str(before, "volumeId") ?? (await rootVolumeId(ctx, id));
  if (!volumeId) throw new Error(`aws:ec2/instance:Instance ${id}: EC2 reports no root volume to modify.`);
  const changedNumber = (k: string) => {
    const v = num(after, k);
    return v !== undefined && v !== 0 && v !== num(before, k) ? v : undefined;
  };
  const size = changedNumber("volumeSize");
  const iops = changedNumber("iops");
  const throughput = changedNumber("throughput");
  const newType = str(after, "volumeType");
  const type = newType !== undefined && newType !== str(before, "volumeType") ? newType : undefined;
  const effectiveType = newType ?? str(before, "volumeType") ?? "gp2";
  const refuse = (field: string, reason: string) =>
    new Error(`aws:ec2/instance:Instance: \`rootBlockDevice.${field}\` cannot change in place: ${reason}.`);
  if (iops !== undefined && !IOPS_TYPES.includes(effectiveType)) {
    throw refuse("iops", `volume type ${effectiveType} takes no IOPS setting (only ${IOPS_TYPES.join(", ")})`);
  }
  if (throughput !== undefined && !THROUGHPUT_TYPES.includes(effectiveType)) {
    throw refuse("throughput", `volume type ${effectiveType} takes no throughput setting (only gp3)`);
  }
  const heldSize = num(before, "volumeSize");
  if (size !== undefined && heldSize !== undefined && size < heldSize) {
    throw refuse("volumeSize", `EBS volumes cannot shrink (${heldSize} GiB held, ${size} GiB asked)`);
  }
  if (size !== undefined || type !== undefined || iops !== undefined || throughput !== undefined) {
    await ec2.send(
      new ec2Sdk.ModifyVolumeCommand({
        VolumeId: volumeId,
        Size: size,
        VolumeType: type as never,
        Iops: iops,
        Throughput: throughput,
      }),
    );
    await waitForVolumeModification(ctx, volumeId);
  }
  const dot = bool(after, "deleteOnTermination");
  const deviceName = str(before, "deviceName");
  if (dot !== undefined && dot !== bool(before, "deleteOnTermination") && deviceName) {
    await ec2.send(
      new ec2Sdk.ModifyInstanceAttributeCommand({
        InstanceId: id,
        BlockDeviceMappings: [{ DeviceName: deviceName, Ebs: { DeleteOnTermination: dot } }],
      }),
    );
  }
  await tagResource(ctx, volumeId, { tags: before["tags"] }, { tags: after["tags"] });
}

/** Waits, bounded, until EC2 reports the volume's latest modification `optimizing` or `completed` (or none). */
async function waitForVolumeModification(ctx: HandlerContext, volumeId: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await ctx.clients.ec2.send(new ec2Sdk.DescribeVolumesModificationsCommand({ VolumeIds: [volumeId] }));
    const latest = [...(got.VolumesModifications ?? [])].sort(
      (a, b) => (b.StartTime?.getTime() ?? 0) - (a.StartTime?.getTime() ?? 0),
    )[0];
    const state = latest?.ModificationState;
    if (state === "failed") {
      throw new Error(`volume ${volumeId}: the modification failed: ${latest?.StatusMessage ?? "no reason given"}`);
    }
    if (state === undefined || state === "optimizing" || state === "completed") return;
    if (Date.now() > deadline) throw new Error(`volume ${volumeId}: modification still ${state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function setInstanceProfile(ctx: HandlerContext, id: string, name: string | undefined): Promise<void> {
  const ec2 = ctx.clients.ec2;
  const current = await ec2.send(
    new ec2Sdk.DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: "instance-id", Values: [id] }] }),
  );
  const assoc = current.IamInstanceProfileAssociations?.find(
    (a) => a.State === "associated" || a.State === "associating",
  );
  await retryOn(PROFILE_NOT_YET_VISIBLE, async () => {
    if (!name) {
      if (assoc)
        await ec2.send(new ec2Sdk.DisassociateIamInstanceProfileCommand({ AssociationId: assoc.AssociationId }));
    } else if (assoc) {
      // The real provider re-associates in place: the instance gets the new profile's credentials at once.
      await ec2.send(
        new ec2Sdk.ReplaceIamInstanceProfileAssociationCommand({
          AssociationId: assoc.AssociationId,
          IamInstanceProfile: { Name: name },
        }),
      );
    } else {
      await ec2.send(
        new ec2Sdk.AssociateIamInstanceProfileCommand({ InstanceId: id, IamInstanceProfile: { Name: name } }),
      );
    }
  });
}

const instance: ResourceHandler = {
  token: "aws:ec2/instance:Instance",
  service: "ec2",
  properties: {
    ami: { replaces: true },
    instanceType: {},
    subnetId: { replaces: true, computed: true },
    availabilityZone: { replaces: true, computed: true },
    privateIp: { replaces: true, computed: true },
    keyName: { replaces: true, computed: true },
    associatePublicIpAddress: { replaces: true, computed: true },
    vpcSecurityGroupIds: { computed: true },
    iamInstanceProfile: { computed: true },
    metadataOptions: { fields: METADATA_FIELDS, computed: true, computedFields: METADATA_FIELDS },
    rootBlockDevice: {
      computed: true,
      // Terraform: every field Optional + Computed (`deleteOnTermination` defaults to true) but the volume's `tags`.
      computedFields: ["deviceName", "volumeId", ...ROOT_VOLUME_SETTINGS],
      fields: [...ROOT_VOLUME_SETTINGS, "tags"],
      replacingFields: ["encrypted", "kmsKeyId"],
    },
    userData: { computed: true },
    userDataBase64: { computed: true },
    userDataReplaceOnChange: { default: false },
    tags: {},
  },
  validate(inputs) {
    const failures: Array<{ property: string; reason: string }> = [];
    if (inputs["ami"] === undefined)
      failures.push({ property: "ami", reason: "aws:ec2/instance:Instance requires `ami` here." });
    if (inputs["userData"] !== undefined && inputs["userDataBase64"] !== undefined) {
      failures.push({ property: "userDataBase64", reason: "`userData` and `userDataBase64` conflict: set one." });
    }
    return failures;
  },
  adjustDiff(_olds, news, changes, replaces) {
    // userData changes stop/start the instance in place, or replace it with userDataReplaceOnChange (real provider).
    if (news["userDataReplaceOnChange"] === true) {
      for (const k of ["userData", "userDataBase64"])
        if (changes.includes(k) && !replaces.includes(k)) replaces.push(k);
    }
  },
  async create(ctx, inputs) {
    const ec2 = ctx.clients.ec2;
    const ami = str(inputs, "ami");
    const root = obj(inputs, "rootBlockDevice");
    const userData = str(inputs, "userData");
    const profile = str(inputs, "iamInstanceProfile");
    const publicIp = bool(inputs, "associatePublicIpAddress");
    const subnetId = str(inputs, "subnetId");
    const groups = strings(inputs, "vpcSecurityGroupIds");
    const device = root ? await rootDevice(ctx, ami) : undefined;
    const run = await retryOn(PROFILE_NOT_YET_VISIBLE, () =>
      ec2.send(
        new ec2Sdk.RunInstancesCommand({
          ImageId: ami,
          InstanceType: str(inputs, "instanceType") as never,
          MinCount: 1,
          MaxCount: 1,
          KeyName: str(inputs, "keyName"),
          PrivateIpAddress: str(inputs, "privateIp"),
          Placement: str(inputs, "availabilityZone")
            ? { AvailabilityZone: str(inputs, "availabilityZone") }
            : undefined,
          ...(publicIp === undefined
            ? { SubnetId: subnetId, SecurityGroupIds: groups }
            : {
                NetworkInterfaces: [
                  { DeviceIndex: 0, SubnetId: subnetId, Groups: groups, AssociatePublicIpAddress: publicIp },
                ],
              }),
          IamInstanceProfile: profile ? { Name: profile } : undefined,
          MetadataOptions: metadataRequest(obj(inputs, "metadataOptions")),
          UserData: userData !== undefined ? b64(userData) : str(inputs, "userDataBase64"),
          BlockDeviceMappings: root
            ? [
                {
                  DeviceName: device?.name,
                  Ebs: {
                    Encrypted: bool(root, "encrypted"),
                    KmsKeyId: str(root, "kmsKeyId"),
                    VolumeType: str(root, "volumeType") as never,
                    VolumeSize: num(root, "volumeSize") ?? device?.size,
                    Iops: num(root, "iops"),
                    Throughput: num(root, "throughput"),
                    DeleteOnTermination: bool(root, "deleteOnTermination") ?? true,
                  },
                },
              ]
            : undefined,
          TagSpecifications:
            inputs["tags"] === undefined ? undefined : [{ ResourceType: "instance", Tags: tagList(inputs["tags"]) }],
        }),
      ),
    );
    const id = run.Instances?.[0]?.InstanceId as string;
    await waitFor(ctx, id, "running");
    // RunInstances takes no tags per block device: the real provider tags the root volume once it exists.
    if (root?.["tags"] !== undefined) {
      const volumeId = await rootVolumeId(ctx, id);
      if (volumeId) await tagResource(ctx, volumeId, {}, { tags: root["tags"] });
    }
    return { id, outs: (await readInstance(ctx, id, inputs)) ?? {} };
  },
  read: readInstance,
  async update(ctx, id, olds, news, changed) {
    const ec2 = ctx.clients.ec2;
    const needsStop = ["instanceType", "userData", "userDataBase64"].some((k) => changed.includes(k));
    if (needsStop) {
      await ec2.send(new ec2Sdk.StopInstancesCommand({ InstanceIds: [id] }));
      await waitFor(ctx, id, "stopped");
      if (changed.includes("instanceType")) {
        await ec2.send(
          new ec2Sdk.ModifyInstanceAttributeCommand({
            InstanceId: id,
            InstanceType: { Value: str(news, "instanceType") },
          }),
        );
      }
      if (changed.includes("userData") || changed.includes("userDataBase64")) {
        const text = str(news, "userData");
        const encoded = text !== undefined ? b64(text) : (str(news, "userDataBase64") ?? "");
        // LocalStack's moto stores user data base64-encoded and decodes the SDK's blob encoding only once, so the
        // blob carries the base64 text (on AWS it would carry the raw bytes).
        await ec2.send(
          new ec2Sdk.ModifyInstanceAttributeCommand({
            InstanceId: id,
            UserData: { Value: Buffer.from(encoded, "utf8") },
          }),
        );
      }
      await ec2.send(new ec2Sdk.StartInstancesCommand({ InstanceIds: [id] }));
      await waitFor(ctx, id, "running");
    }
    if (changed.includes("vpcSecurityGroupIds")) {
      await ec2.send(
        new ec2Sdk.ModifyInstanceAttributeCommand({ InstanceId: id, Groups: strings(news, "vpcSecurityGroupIds") }),
      );
    }
    if (changed.includes("iamInstanceProfile")) await setInstanceProfile(ctx, id, str(news, "iamInstanceProfile"));
    if (changed.includes("metadataOptions")) {
      await ec2.send(
        new ec2Sdk.ModifyInstanceMetadataOptionsCommand({
          InstanceId: id,
          ...metadataRequest(obj(news, "metadataOptions")),
        }),
      );
    }
    if (changed.includes("rootBlockDevice")) {
      await updateRootVolume(ctx, id, obj(olds, "rootBlockDevice") ?? {}, obj(news, "rootBlockDevice") ?? {});
    }
    if (changed.includes("tags")) await tagResource(ctx, id, olds, news);
    // What EC2 holds afterwards, never the program's values: a field EC2 did not take shows as a diff next time.
    return (await readInstance(ctx, id, news)) ?? {};
  },
  async delete(ctx, id) {
    const found = await describeInstance(ctx, id);
    if (!found) return;
    await ctx.clients.ec2.send(new ec2Sdk.TerminateInstancesCommand({ InstanceIds: [id] }));
    await waitFor(ctx, id, "terminated").catch(() => undefined);
  },
};

// ---------------------------------------------------------------- LaunchTemplate

function templateData(p: Props): RequestLaunchTemplateData {
  const profile = obj(p, "iamInstanceProfile");
  const mappings = (p["blockDeviceMappings"] as Props[] | undefined) ?? [];
  const specs = (p["tagSpecifications"] as Props[] | undefined) ?? [];
  return {
    ImageId: str(p, "imageId"),
    InstanceType: str(p, "instanceType") as never,
    KeyName: str(p, "keyName"),
    SecurityGroupIds: strings(p, "vpcSecurityGroupIds"),
    UserData: str(p, "userData"),
    IamInstanceProfile: profile ? { Arn: str(profile, "arn"), Name: str(profile, "name") } : undefined,
    MetadataOptions: metadataRequest(obj(p, "metadataOptions")),
    BlockDeviceMappings: mappings.map((m) => {
      const ebs = obj(m, "ebs");
      return {
        DeviceName: str(m, "deviceName"),
        NoDevice: str(m, "noDevice"),
        VirtualName: str(m, "virtualName"),
        Ebs: ebs
          ? {
              Encrypted: bool(ebs, "encrypted"),
              KmsKeyId: str(ebs, "kmsKeyId"),
              VolumeType: str(ebs, "volumeType") as never,
              VolumeSize: num(ebs, "volumeSize"),
              Iops: num(ebs, "iops"),
              Throughput: num(ebs, "throughput"),
              DeleteOnTermination: bool(ebs, "deleteOnTermination"),
            }
          : undefined,
      };
    }),
    TagSpecifications: specs.map((s) => ({ ResourceType: str(s, "resourceType") as never, Tags: tagList(s["tags"]) })),
  };
}

function fromTemplateData(v: LaunchTemplateVersion | undefined): Props {
  const d = v?.LaunchTemplateData;
  if (!d) return {};
  const m = d.MetadataOptions;
  return compact({
    description: v?.VersionDescription,
    imageId: d.ImageId,
    instanceType: d.InstanceType,
    keyName: d.KeyName,
    vpcSecurityGroupIds: d.SecurityGroupIds,
    userData: d.UserData,
    iamInstanceProfile: d.IamInstanceProfile
      ? compact({ arn: d.IamInstanceProfile.Arn, name: d.IamInstanceProfile.Name })
      : undefined,
    metadataOptions: m
      ? compact({
          httpTokens: m.HttpTokens,
          httpEndpoint: m.HttpEndpoint,
          httpPutResponseHopLimit: m.HttpPutResponseHopLimit,
          instanceMetadataTags: m.InstanceMetadataTags,
          httpProtocolIpv6: m.HttpProtocolIpv6,
        })
      : undefined,
    blockDeviceMappings: d.BlockDeviceMappings?.map((b) =>
      compact({
        deviceName: b.DeviceName,
        noDevice: b.NoDevice,
        virtualName: b.VirtualName,
        ebs: b.Ebs
          ? compact({
              encrypted: b.Ebs.Encrypted === undefined ? undefined : String(b.Ebs.Encrypted),
              kmsKeyId: b.Ebs.KmsKeyId,
              volumeType: b.Ebs.VolumeType,
              volumeSize: b.Ebs.VolumeSize,
              iops: b.Ebs.Iops,
              throughput: b.Ebs.Throughput,
              deleteOnTermination:
                b.Ebs.DeleteOnTermination === undefined ? undefined : String(b.Ebs.DeleteOnTermination),
            })
          : undefined,
      }),
    ),
    // LocalStack's moto copies CreateLaunchTemplate's own tags (resource type `launch-template`) into the version's
    // data; on AWS those tag the template (`tags`), and the data's tag specifications name the instances and volumes.
    tagSpecifications: d.TagSpecifications?.filter((s) => (s.ResourceType as string) !== "launch-template").map(
      (s) => ({ resourceType: s.ResourceType, tags: tagMap(s.Tags) }),
    ),
  });
}

/**
 * What EC2 holds for the template: its latest version's data, name, versions and tags. Only the provider's own
 * settings (`namePrefix`, `updateDefaultVersion`) come from the state.
 */
async function readLaunchTemplate(ctx: HandlerContext, id: string, state: Props): Promise<Props | undefined> {
  const ec2 = ctx.clients.ec2;
  const got = await orNotFound(ec2.send(new ec2Sdk.DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [id] })));
  const lt = got?.LaunchTemplates?.[0];
  if (!lt) return undefined;
  const versions = await ec2.send(
    new ec2Sdk.DescribeLaunchTemplateVersionsCommand({
      LaunchTemplateId: id,
      Versions: [String(lt.LatestVersionNumber)],
    }),
  );
  return compact({
    ...fromTemplateData(versions.LaunchTemplateVersions?.[0]),
    // The provider's own settings, which EC2 does not hold.
    namePrefix: state["namePrefix"],
    updateDefaultVersion: state["updateDefaultVersion"],
    id: lt.LaunchTemplateId,
    arn: `arn:aws:ec2:${ctx.region}:${lt.CreatedBy?.split(":")[4] ?? "000000000000"}:launch-template/${lt.LaunchTemplateId}`,
    name: lt.LaunchTemplateName,
    latestVersion: lt.LatestVersionNumber,
    defaultVersion: lt.DefaultVersionNumber,
    ...readTags(await heldTags(ctx, id)),
  });
}

const launchTemplate: ResourceHandler = {
  token: "aws:ec2/launchTemplate:LaunchTemplate",
  service: "ec2",
  properties: {
    name: { replaces: true },
    namePrefix: { replaces: true },
    description: {},
    imageId: {},
    instanceType: {},
    keyName: {},
    vpcSecurityGroupIds: {},
    iamInstanceProfile: { fields: ["arn", "name"] },
    metadataOptions: { fields: METADATA_FIELDS, computedFields: METADATA_FIELDS },
    blockDeviceMappings: {
      fields: ["deviceName", "ebs", "noDevice", "virtualName"],
      computedFields: ["ebs.iops", "ebs.throughput", "ebs.volumeSize", "ebs.volumeType"],
    },
    userData: {},
    updateDefaultVersion: {},
    defaultVersion: { computed: true },
    tags: {},
    tagSpecifications: { fields: ["resourceType", "tags"] },
  },
  autoName: { property: "name", maxLength: 128 },
  async create(ctx, inputs) {
    const got = await retryOn(PROFILE_NOT_YET_VISIBLE, () =>
      ctx.clients.ec2.send(
        new ec2Sdk.CreateLaunchTemplateCommand({
          LaunchTemplateName: str(inputs, "name"),
          VersionDescription: str(inputs, "description"),
          LaunchTemplateData: templateData(inputs),
          TagSpecifications:
            inputs["tags"] === undefined
              ? undefined
              : [{ ResourceType: "launch-template", Tags: tagList(inputs["tags"]) }],
        }),
      ),
    );
    const id = got.LaunchTemplate?.LaunchTemplateId as string;
    return { id, outs: (await readLaunchTemplate(ctx, id, inputs)) ?? {} };
  },
  read: readLaunchTemplate,
  async update(ctx, id, olds, news, changed) {
    const ec2 = ctx.clients.ec2;
    const dataChanged = changed.some((k) => !["tags", "updateDefaultVersion", "defaultVersion"].includes(k));
    if (dataChanged) {
      // Every change but the name makes a new version, as the real provider does.
      const v = await ec2.send(
        new ec2Sdk.CreateLaunchTemplateVersionCommand({
          LaunchTemplateId: id,
          VersionDescription: str(news, "description"),
          LaunchTemplateData: templateData(news),
        }),
      );
      if (news["updateDefaultVersion"] === true) {
        await ec2.send(
          new ec2Sdk.ModifyLaunchTemplateCommand({
            LaunchTemplateId: id,
            DefaultVersion: String(v.LaunchTemplateVersion?.VersionNumber),
          }),
        );
      }
    }
    if (changed.includes("defaultVersion") && num(news, "defaultVersion") !== undefined) {
      await ec2.send(
        new ec2Sdk.ModifyLaunchTemplateCommand({
          LaunchTemplateId: id,
          DefaultVersion: String(num(news, "defaultVersion")),
        }),
      );
    }
    if (changed.includes("tags")) await tagResource(ctx, id, olds, news);
    const { latestVersion: _l, defaultVersion: _d, ...rest } = olds;
    return (await readLaunchTemplate(ctx, id, { ...rest, ...news })) ?? {};
  },
  async delete(ctx, id) {
    await orNotFound(ctx.clients.ec2.send(new ec2Sdk.DeleteLaunchTemplateCommand({ LaunchTemplateId: id })));
  },
};

export const ec2Handlers: readonly ResourceHandler[] = [instance, launchTemplate];
