import assert from "node:assert/strict";
import {
  CreateLaunchTemplateVersionCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import {
  DeleteRolePermissionsBoundaryCommand,
  GetRoleCommand,
  IAMClient,
  PutRolePermissionsBoundaryCommand,
  TagRoleCommand,
  UntagRoleCommand,
} from "@aws-sdk/client-iam";
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListTagsCommand,
  TagResourceCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { localStackClientConfig, type RunResult, requireLocalStack } from "@keyless/testing";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { opsOf, trust, withProviderStack } from "./support";

const AMI = "ami-03cf127a";

/** What a refresh found, as `<resource> <sorted properties>` per drifted resource, sorted. */
function driftOf(run: RunResult): string[] {
  return run.drift.map((d) => `${d.urn.split("::").pop()} ${[...d.diffs].sort().join(",")}`).sort();
}

/**
 * Out-of-band additions and removals are drift: the engine diffs the refreshed outputs against the program's inputs,
 * so a read that filled a missing value from the state, or a diff that looked only at the keys the program sets,
 * would hide them. Each case adds something the program does not set, or removes something it does.
 */
describe("provider: refresh sees out-of-band additions and removals", function () {
  this.timeout(300_000);
  const iam = new IAMClient(localStackClientConfig());
  const ec2 = new EC2Client(localStackClientConfig());
  const lambda = new LambdaClient(localStackClientConfig());

  it("Role: a tag and a permissions boundary added to a role without them, and both removed from one with them", async () => {
    await withProviderStack(
      {
        program: async () => {
          const boundary = new aws.iam.Policy("boundary", {
            policy: JSON.stringify({
              Version: "2012-10-17",
              Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
            }),
          });
          const plain = new aws.iam.Role("plain", { assumeRolePolicy: trust("ec2.amazonaws.com") });
          const bounded = new aws.iam.Role("bounded", {
            assumeRolePolicy: trust("ec2.amazonaws.com"),
            permissionsBoundary: boundary.arn,
            tags: { team: "a" },
          });
          return { plain: plain.name, bounded: bounded.name, boundary: boundary.arn };
        },
      },
      async (t, seen) => {
        // GIVEN two deployed roles that a refresh finds unchanged
        const up = await t.up();
        seen(await t.resources());
        const { plain, bounded, boundary } = up.outputs as { plain: string; bounded: string; boundary: string };
        assert.deepEqual(driftOf(await t.refresh()), []);

        // WHEN, outside Pulumi, the plain role gets a tag and a boundary, and the bounded role loses both
        await iam.send(new TagRoleCommand({ RoleName: plain, Tags: [{ Key: "added", Value: "x" }] }));
        await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: plain, PermissionsBoundary: boundary }));
        await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: bounded }));
        await iam.send(new UntagRoleCommand({ RoleName: bounded, TagKeys: ["team"] }));

        // THEN the refresh reports each role drifted in both properties
        const refreshed = await t.refresh();
        assert.deepEqual(driftOf(refreshed), ["bounded permissionsBoundary,tags", "plain permissionsBoundary,tags"]);

        // AND the next up puts the program's roles back in place: no tag and no boundary, or both again
        const fixed = await t.up();
        assert.deepEqual(opsOf(fixed.steps, "plain"), ["update"]);
        assert.deepEqual(opsOf(fixed.steps, "bounded"), ["update"]);
        const p = (await iam.send(new GetRoleCommand({ RoleName: plain }))).Role;
        assert.equal(p?.PermissionsBoundary, undefined);
        assert.deepEqual(p?.Tags ?? [], []);
        const b = (await iam.send(new GetRoleCommand({ RoleName: bounded }))).Role;
        assert.equal(b?.PermissionsBoundary?.PermissionsBoundaryArn, boundary);
        assert.deepEqual(b?.Tags, [{ Key: "team", Value: "a" }]);
        assert.deepEqual(driftOf(await t.refresh()), []);
      },
    );
  });

  it("LaunchTemplate: a newest version without metadata options, a key added, and a tag added and removed", async () => {
    await withProviderStack(
      {
        program: async () => {
          const lt = new aws.ec2.LaunchTemplate("lt", {
            imageId: AMI,
            instanceType: "t3.micro",
            metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
            tags: { team: "a" },
          });
          const bare = new aws.ec2.LaunchTemplate("bare", { imageId: AMI, instanceType: "t3.micro" });
          return { lt: lt.id, bare: bare.id };
        },
      },
      async (t, seen) => {
        // GIVEN two deployed launch templates that a refresh finds unchanged
        const up = await t.up();
        seen(await t.resources());
        const { lt, bare } = up.outputs as { lt: string; bare: string };
        assert.deepEqual(driftOf(await t.refresh()), []);

        // WHEN, outside Pulumi, `lt` gets a newest version without metadata options and loses its tag, and `bare`
        // gets a newest version naming a key pair, and a tag
        await ec2.send(
          new CreateLaunchTemplateVersionCommand({
            LaunchTemplateId: lt,
            LaunchTemplateData: { ImageId: AMI, InstanceType: "t3.micro" },
          }),
        );
        await ec2.send(new DeleteTagsCommand({ Resources: [lt], Tags: [{ Key: "team" }] }));
        await ec2.send(
          new CreateLaunchTemplateVersionCommand({
            LaunchTemplateId: bare,
            LaunchTemplateData: { ImageId: AMI, InstanceType: "t3.micro", KeyName: "someone-elses" },
          }),
        );
        await ec2.send(new CreateTagsCommand({ Resources: [bare], Tags: [{ Key: "added", Value: "x" }] }));

        // THEN the refresh reports each template drifted in what changed
        const refreshed = await t.refresh();
        assert.deepEqual(driftOf(refreshed), ["bare keyName,tags", "lt metadataOptions,tags"]);

        // AND the next up writes a newest version with the program's data, and puts the tags back
        const fixed = await t.up();
        assert.deepEqual(opsOf(fixed.steps, "lt"), ["update"]);
        assert.deepEqual(opsOf(fixed.steps, "bare"), ["update"]);
        const newest = async (id: string) => {
          const got = await ec2.send(
            new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: ["$Latest"] }),
          );
          return got.LaunchTemplateVersions?.[0]?.LaunchTemplateData;
        };
        assert.equal((await newest(lt))?.MetadataOptions?.HttpTokens, "required");
        assert.equal((await newest(bare))?.KeyName, undefined);
        const tags = async (id: string) =>
          (await ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [id] }))).LaunchTemplates?.[0]
            ?.Tags ?? [];
        assert.deepEqual(await tags(lt), [{ Key: "team", Value: "a" }]);
        assert.deepEqual(await tags(bare), []);
        assert.deepEqual(driftOf(await t.refresh()), []);
      },
    );
  });

  it("Lambda Function: an environment variable and a tag added, and the description and variables removed", async () => {
    await requireLocalStack(["iam", "sts", "lambda"]);
    const code = new pulumi.asset.AssetArchive({
      "index.js": new pulumi.asset.StringAsset("exports.handler = async () => 1;\n"),
    });
    await withProviderStack(
      {
        program: async () => {
          const role = new aws.iam.Role("exec", { assumeRolePolicy: trust("lambda.amazonaws.com") });
          const common = { role: role.arn, runtime: "nodejs20.x", handler: "index.handler", code };
          const plain = new aws.lambda.Function("plain", common);
          const full = new aws.lambda.Function("full", {
            ...common,
            description: "the program's",
            environment: { variables: { STAGE: "one" } },
          });
          return { plain: plain.name, plainArn: plain.arn, full: full.name };
        },
      },
      async (t, seen) => {
        // GIVEN two deployed functions that a refresh finds unchanged
        const up = await t.up();
        seen(await t.resources());
        const { plain, plainArn, full } = up.outputs as { plain: string; plainArn: string; full: string };
        assert.deepEqual(driftOf(await t.refresh()), []);

        // WHEN, outside Pulumi, `plain` gets a variable and a tag, and `full` loses its description and variables
        await lambda.send(
          new UpdateFunctionConfigurationCommand({ FunctionName: plain, Environment: { Variables: { ADDED: "x" } } }),
        );
        await lambda.send(new TagResourceCommand({ Resource: plainArn, Tags: { added: "x" } }));
        await lambda.send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: full,
            Description: "",
            Environment: { Variables: {} },
          }),
        );
        await settled(full);
        await settled(plain);

        // THEN the refresh reports each function drifted in what changed
        const refreshed = await t.refresh();
        assert.deepEqual(driftOf(refreshed), ["full description,environment", "plain environment,tags"]);

        // AND the next up puts the program's settings back
        const fixed = await t.up();
        assert.deepEqual(opsOf(fixed.steps, "plain"), ["update"]);
        assert.deepEqual(opsOf(fixed.steps, "full"), ["update"]);
        const p = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: plain }));
        assert.deepEqual(p.Environment?.Variables ?? {}, {});
        const f = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: full }));
        assert.equal(f.Description, "the program's");
        assert.deepEqual(f.Environment?.Variables, { STAGE: "one" });
        assert.deepEqual((await lambda.send(new ListTagsCommand({ Resource: plainArn }))).Tags ?? {}, {});
        assert.deepEqual(driftOf(await t.refresh()), []);
      },
    );

    /** Waits until an out-of-band configuration update has finished, as the provider would. */
    async function settled(name: string): Promise<void> {
      for (let i = 0; i < 60; i++) {
        const c = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
        if (c.LastUpdateStatus !== "InProgress") return;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  });
});
