// hardenStack() through the real engine against LocalStack: a plain program (no keyless components) gains IMDSv2
// by one call at its top, passes the keyless-aws pack, and an already-deployed stack is updated in place (replaced only
// where applyReplacingChanges asks for it, as the engine's steps show).
import assert from "node:assert/strict";
import path from "node:path";
import {
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeVolumesCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { hardenStack } from "@keyless/aws";
import { assertMetadataOptions, localStackClientConfig, type RunResult, StackRunError } from "@keyless/testing";
import * as aws from "@pulumi/aws";
import { fakeAccessKeyId, fakeSecretAccessKey } from "../../support/mocks";
import { opsOf, withProviderStack } from "../provider/support";

const POLICY_PACK = path.resolve(__dirname, "..", "..", "..", "policy-pack");
const AMI = "ami-03cf127a";
const IMDSV2 = { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 };

/** The program as a team has it: an instance without metadata options and a launch template; `hardenStack()` on top when asked. */
function plainProgram(stage: { harden: boolean; applyReplacingChanges?: boolean }) {
  return async () => {
    if (stage.harden) hardenStack({ applyReplacingChanges: stage.applyReplacingChanges === true });
    const web = new aws.ec2.Instance("web", { ami: AMI, instanceType: "t3.micro", tags: { app: "web" } });
    const workers = new aws.ec2.LaunchTemplate("workers", {
      imageId: AMI,
      instanceType: "t3.micro",
      updateDefaultVersion: true,
    });
    return { instanceId: web.id, templateId: workers.id };
  };
}

/** The info lines the program logged (what `pulumi preview` prints under "Diagnostics"). */
function infoLines(r: RunResult): string[] {
  return r.events
    .map((e) => e.diagnosticEvent)
    .filter((d) => d !== undefined && d.severity === "info")
    .map((d) => (d?.message ?? "").trim());
}

async function templateMetadata(ec2: EC2Client, id: string) {
  const v = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: ["$Default"] }));
  const mo = v.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.MetadataOptions;
  return {
    httpTokens: mo?.HttpTokens,
    httpEndpoint: mo?.HttpEndpoint,
    httpPutResponseHopLimit: mo?.HttpPutResponseHopLimit,
  };
}

/** Whether EC2 holds the instance's root volume encrypted (DescribeVolumes), or undefined when it has none. */
async function rootVolumeEncrypted(ec2: EC2Client, instanceId: string): Promise<boolean | undefined> {
  const got = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const i = got.Reservations?.[0]?.Instances?.[0];
  const root = i?.BlockDeviceMappings?.find((b) => b.DeviceName === i.RootDeviceName)?.Ebs?.VolumeId;
  if (!root) return undefined;
  const v = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [root] }));
  return v.Volumes?.[0]?.Encrypted;
}

describe("hardenStack: a plain program through the engine and the keyless-aws pack", function () {
  this.timeout(300_000);
  const ec2 = new EC2Client(localStackClientConfig());

  it("without it, the pack fails the preview on IMDSv2 for the instance and the launch template", async () => {
    await withProviderStack({ program: plainProgram({ harden: false }) }, async (t) => {
      await assert.rejects(t.preview({ policyPacks: [POLICY_PACK] }), (err: unknown) => {
        assert.ok(err instanceof StackRunError, String(err));
        const imds = err.result.violations.filter((v) => v.policyName === "imdsv2-required");
        // One violation per broken field (httpTokens, hop limit), on both resources, mandatory.
        const where = new Set(imds.map((v) => `${v.urn?.split("::").pop()} ${v.enforcementLevel}`));
        assert.deepEqual([...where].sort(), ["web mandatory", "workers mandatory"]);
        assert.ok(
          imds.some((v) => /httpTokens` must be "required"/.test(v.message)),
          JSON.stringify(imds),
        );
        return true;
      });
      assert.deepEqual(await t.resources(), [], "a failed preview deploys nothing");
    });
  });

  it("with hardenStack() on top, the preview passes the pack, says what it changes, and LocalStack requires IMDSv2", async () => {
    await withProviderStack({ program: plainProgram({ harden: true }) }, async (t, seen) => {
      // WHEN previewed with the pack
      const preview = await t.preview({ policyPacks: [POLICY_PACK] });
      // THEN no mandatory violation, and one log line per changed resource
      assert.deepEqual(
        preview.violations.filter((v) => v.enforcementLevel === "mandatory"),
        [],
        JSON.stringify(preview.violations),
      );
      const lines = infoLines(preview).filter((l) => l.startsWith("hardenStack:"));
      assert.equal(lines.filter((l) => l.includes('aws:ec2/instance:Instance "web"')).length, 1, lines.join("\n"));
      assert.equal(lines.filter((l) => l.includes('aws:ec2/launchTemplate:LaunchTemplate "workers"')).length, 1);
      assert.match(
        lines.join("\n"),
        /"web": set metadataOptions httpTokens="required" \(was unset\), httpEndpoint="enabled" \(was unset\), httpPutResponseHopLimit=1 \(was unset\); advice: rootBlockDevice/,
      );

      // WHEN deployed with the pack
      const up = await t.up({ policyPacks: [POLICY_PACK] });
      seen(await t.resources());
      // THEN LocalStack holds an IMDSv2-only instance and launch template
      await assertMetadataOptions(up.outputs["instanceId"] as string, IMDSV2);
      assert.deepEqual(await templateMetadata(ec2, up.outputs["templateId"] as string), IMDSV2);
    });
  });

  it("refuses user data carrying a key with the components' code, naming the resource and never printing the key", async () => {
    const keyId = fakeAccessKeyId();
    const secret = fakeSecretAccessKey();
    const program = async () => {
      hardenStack();
      new aws.ec2.Instance("leaky", {
        ami: AMI,
        instanceType: "t3.micro",
        userData: `#!/bin/bash\nexport AWS_ACCESS_KEY_ID=${keyId}\nexport AWS_SECRET_ACCESS_KEY=${secret}\n`,
      });
    };
    await withProviderStack({ program }, async (t) => {
      await assert.rejects(t.preview(), (err: unknown) => {
        assert.ok(err instanceof StackRunError, String(err));
        const everything = [err.message, ...err.result.events.map((e) => JSON.stringify(e))].join("\n");
        assert.match(err.message, /`leaky\.userData` must not carry AWS credentials.*\[UserDataContainsCredentials\]/s);
        assert.ok(
          !everything.includes(keyId) && !everything.includes(secret),
          "the engine output must not hold the key",
        );
        return true;
      });
      assert.deepEqual(await t.resources(), [], "nothing was deployed");
    });
  });

  it("applied to an already-deployed plain stack, it updates in place: no replacement", async () => {
    const stage = { harden: false };
    await withProviderStack({ program: plainProgram(stage) }, async (t, seen) => {
      // GIVEN the plain program deployed (without the pack: it would refuse it)
      const before = await t.up();
      seen(await t.resources());
      const instanceId = before.outputs["instanceId"] as string;
      const templateId = before.outputs["templateId"] as string;
      await assert.rejects(
        assertMetadataOptions(instanceId, { httpTokens: "required" }),
        /httpTokens must be required/,
      );

      // WHEN hardenStack() is added on top and the stack updated, with the pack
      stage.harden = true;
      const preview = await t.preview({ policyPacks: [POLICY_PACK] });
      const up = await t.up({ policyPacks: [POLICY_PACK] });
      seen(await t.resources());

      // THEN the engine planned and took updates only: no replace, create-replacement or delete-replaced step
      for (const r of [preview, up]) {
        assert.deepEqual(opsOf(r.steps, "web"), ["update"], JSON.stringify(r.steps));
        assert.deepEqual(opsOf(r.steps, "workers"), ["update"], JSON.stringify(r.steps));
        const replacing = r.steps.filter((s) => /replace/.test(s.op));
        assert.deepEqual(replacing, [], JSON.stringify(replacing));
      }
      // AND the same instance and template now require IMDSv2
      assert.equal(up.outputs["instanceId"], instanceId);
      assert.equal(up.outputs["templateId"], templateId);
      await assertMetadataOptions(instanceId, IMDSV2);
      assert.deepEqual(await templateMetadata(ec2, templateId), IMDSV2);

      // AND a second run changes nothing
      const again = await t.up({ policyPacks: [POLICY_PACK] });
      assert.deepEqual(opsOf(again.steps, "web"), ["same"]);
      assert.deepEqual(opsOf(again.steps, "workers"), ["same"]);
    });
  });

  it("with applyReplacingChanges, the engine plans and takes a replacement of the unencrypted instance only", async () => {
    const stage = { harden: false, applyReplacingChanges: true };
    await withProviderStack({ program: plainProgram(stage) }, async (t, seen) => {
      // GIVEN the plain program deployed: an instance whose root volume is not encrypted
      const before = await t.up();
      seen(await t.resources());
      const instanceId = before.outputs["instanceId"] as string;
      const templateId = before.outputs["templateId"] as string;
      assert.equal(await rootVolumeEncrypted(ec2, instanceId), false);

      // THEN the engine's steps replace the instance (rootBlockDevice.encrypted is ForceNew in the real provider,
      // created before the old one is deleted) and update the launch template in place, in the preview and the update
      const replacesWebOnly = (r: RunResult) => {
        const web = opsOf(r.steps, "web");
        for (const op of ["create-replacement", "replace", "delete-replaced"]) {
          assert.ok(web.includes(op), `web: ${op} in ${JSON.stringify(web)}`);
        }
        assert.ok(!web.includes("update"), JSON.stringify(web));
        assert.deepEqual(opsOf(r.steps, "workers"), ["update"], JSON.stringify(r.steps));
      };
      // WHEN hardenStack({ applyReplacingChanges: true }) is added on top, previewed and deployed
      stage.harden = true;
      replacesWebOnly(await t.preview({ policyPacks: [POLICY_PACK] }));
      const up = await t.up({ policyPacks: [POLICY_PACK] });
      seen(await t.resources());
      replacesWebOnly(up);
      // AND the stack now holds a new instance whose root volume EC2 reports encrypted; the template is the same one
      const replacement = up.outputs["instanceId"] as string;
      assert.notEqual(replacement, instanceId);
      assert.equal(await rootVolumeEncrypted(ec2, replacement), true);
      await assertMetadataOptions(replacement, IMDSV2);
      assert.equal(up.outputs["templateId"], templateId);

      // AND a second run changes nothing
      const again = await t.up({ policyPacks: [POLICY_PACK] });
      assert.deepEqual(opsOf(again.steps, "web"), ["same"]);
    });
  });
});
