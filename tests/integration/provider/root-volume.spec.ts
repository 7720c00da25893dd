import assert from "node:assert/strict";
import { DescribeInstancesCommand, DescribeVolumesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { localStackClientConfig, StackRunError } from "@keyless/testing";
import * as aws from "@pulumi/aws";
import { opsOf, withProviderStack } from "./support";

const AMI = "ami-03cf127a";

/**
 * An instance's `rootBlockDevice` changes in place as the real provider changes it (terraform-provider-aws
 * `resourceInstanceUpdate`): every changed field of size, type, IOPS and throughput in one ModifyVolume, the volume's
 * tags through CreateTags/DeleteTags; and the state holds what EC2 reports afterwards, not what the program asked.
 */
describe("provider: aws:ec2 Instance root volume changes in place", function () {
  this.timeout(300_000);
  const ec2 = new EC2Client(localStackClientConfig());

  /** The root volume as EC2 describes it. */
  const rootVolume = async (instanceId: string) => {
    const i = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]
      ?.Instances?.[0];
    const volumeId = i?.BlockDeviceMappings?.find((b) => b.DeviceName === i.RootDeviceName)?.Ebs?.VolumeId;
    const v = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId as string] }))).Volumes?.[0];
    return {
      volumeType: v?.VolumeType,
      volumeSize: v?.Size,
      iops: v?.Iops,
      throughput: v?.Throughput,
      tags: Object.fromEntries((v?.Tags ?? []).map((t) => [t.Key, t.Value])),
    };
  };

  it("sends size, type, IOPS, throughput and tags to EC2, stores what EC2 holds, refuses what cannot change in place", async () => {
    // No throughput at create: LocalStack 4.14's RunInstances drops a block device's Throughput (ModifyVolume keeps it).
    const stage = {
      root: { volumeType: "gp3", volumeSize: 8, iops: 3000, tags: { tier: "a" } } as Record<string, unknown>,
    };
    await withProviderStack(
      {
        program: async () => {
          const i = new aws.ec2.Instance("i", { ami: AMI, instanceType: "t3.micro", rootBlockDevice: stage.root });
          return { id: i.id };
        },
      },
      async (t, seen) => {
        // GIVEN an instance whose root volume is gp3, 8 GiB, 3000 IOPS, tagged
        const id = (await t.up()).outputs["id"] as string;
        seen(await t.resources());
        const { throughput: _t, ...created } = await rootVolume(id);
        assert.deepEqual(created, { volumeType: "gp3", volumeSize: 8, iops: 3000, tags: { tier: "a" } });

        // WHEN size, IOPS, throughput and the volume's tags change
        stage.root = { volumeType: "gp3", volumeSize: 10, iops: 4000, throughput: 250, tags: { tier: "b" } };
        const up2 = await t.up();

        // THEN the instance is updated in place and EC2 holds every new value
        assert.deepEqual(opsOf(up2.steps, "i"), ["update"]);
        const held = await rootVolume(id);
        assert.deepEqual(held, { volumeType: "gp3", volumeSize: 10, iops: 4000, throughput: 250, tags: { tier: "b" } });
        // AND the state's root device is what EC2 reports
        const state = (await t.resources()).find((r) => r.urn.endsWith("::i"));
        const root = state?.outputs?.["rootBlockDevice"] as Record<string, unknown>;
        assert.deepEqual(
          {
            volumeType: root["volumeType"],
            volumeSize: root["volumeSize"],
            iops: root["iops"],
            throughput: root["throughput"],
            tags: root["tags"],
          },
          held,
        );
        // AND neither a refresh nor the next preview finds anything to change
        assert.deepEqual((await t.refresh()).drift, []);
        const after = (await t.preview()).steps.filter((s) => s.op !== "same");
        assert.deepEqual(after, [], JSON.stringify(after));

        // WHEN the type changes to gp2 together with new IOPS THEN the update is refused, as the real provider
        // refuses IOPS on gp2, and EC2 still holds the previous volume
        stage.root = { volumeType: "gp2", volumeSize: 10, iops: 5000, throughput: 250, tags: { tier: "b" } };
        await assert.rejects(t.up(), (err: unknown) => {
          assert.ok(err instanceof StackRunError);
          assert.match(err.message, /`rootBlockDevice\.iops` cannot change in place: volume type gp2 takes no IOPS/);
          return true;
        });
        assert.deepEqual(await rootVolume(id), held);

        // WHEN the size shrinks THEN the update is refused (EBS volumes only grow), and EC2 still holds 10 GiB
        stage.root = { volumeType: "gp3", volumeSize: 9, iops: 4000, throughput: 250, tags: { tier: "b" } };
        await assert.rejects(t.up(), /`rootBlockDevice\.volumeSize` cannot change in place: EBS volumes cannot shrink/);
        assert.equal((await rootVolume(id)).volumeSize, 10);
      },
    );
  });
});
