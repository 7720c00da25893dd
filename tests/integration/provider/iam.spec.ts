import assert from "node:assert/strict";
import { GetRoleCommand, IAMClient, ListAccessKeysCommand } from "@aws-sdk/client-iam";
import { assertProfileHoldsRole, assertRoleTrusts, localStackClientConfig, StackRunError } from "@keyless/testing";
import * as aws from "@pulumi/aws";
import { ofType, opsOf, trust, withProviderStack } from "./support";

describe("provider: aws:iam against LocalStack", function () {
  this.timeout(240_000);
  const iam = new IAMClient(localStackClientConfig());

  it("creates, updates in place, replaces, refreshes and destroys Role, RolePolicy, attachment, InstanceProfile, Policy", async () => {
    // GIVEN a program whose inputs change per stage
    const stage = {
      description: "first",
      service: "ec2.amazonaws.com",
      roleB: false,
      explicitName: "" as string,
      doc: "s3:GetObject",
    };
    const program = async () => {
      const a = new aws.iam.Role("a", { assumeRolePolicy: trust(stage.service), description: stage.description });
      const b = new aws.iam.Role("b", {
        assumeRolePolicy: trust("ec2.amazonaws.com"),
        ...(stage.explicitName ? { name: stage.explicitName } : {}),
      });
      const doc = JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: stage.doc, Resource: "*" }],
      });
      const inline = new aws.iam.RolePolicy("inline", { role: a.id, policy: doc });
      const managed = new aws.iam.Policy("managed", { policy: doc });
      new aws.iam.RolePolicyAttachment("attach", { role: a.name, policyArn: managed.arn });
      const profile = new aws.iam.InstanceProfile("profile", { role: stage.roleB ? b.name : a.name });
      return { a: a.name, b: b.name, profile: profile.name, inline: inline.name, managed: managed.arn };
    };
    await withProviderStack({ program }, async (t, seen) => {
      // WHEN it is deployed
      const up1 = await t.up();
      // THEN every resource exists, auto-named <name>-<7 chars>
      const out = up1.outputs as Record<string, string>;
      assert.match(out["a"] as string, /^a-[a-z0-9]{7}$/);
      await assertRoleTrusts(out["a"] as string, "ec2.amazonaws.com");
      await assertProfileHoldsRole(out["profile"] as string, out["a"] as string);
      seen(await t.resources());

      // WHEN description, trust, inline and managed documents change, and the profile's role
      Object.assign(stage, {
        description: "second",
        service: "lambda.amazonaws.com",
        roleB: true,
        doc: "s3:PutObject",
      });
      const up2 = await t.up();
      // THEN all change in place: no replacement, the profile holds the other role
      assert.deepEqual(opsOf(up2.steps, "a"), ["update"]);
      assert.deepEqual(opsOf(up2.steps, "profile"), ["update"]);
      assert.deepEqual(opsOf(up2.steps, "inline"), ["update"]);
      assert.deepEqual(opsOf(up2.steps, "managed"), ["update"]);
      assert.deepEqual(opsOf(up2.steps, "attach"), ["same"]);
      await assertRoleTrusts(out["a"] as string, "lambda.amazonaws.com");
      await assertProfileHoldsRole(out["profile"] as string, out["b"] as string);
      const got = await iam.send(new GetRoleCommand({ RoleName: out["a"] as string }));
      assert.equal(got.Role?.Description, "second");

      // WHEN role b gets an explicit name THEN it is replaced, the new one created before the old one is deleted
      stage.explicitName = `keyless-explicit-${t.name}`;
      const up3 = await t.up();
      assert.deepEqual(opsOf(up3.steps, "b"), ["create-replacement", "replace", "delete-replaced"]);
      assert.equal(up3.outputs["b"], stage.explicitName);
      seen(await t.resources());

      // WHEN nothing changes but the role drifted outside Pulumi, refresh reads it back
      await iam.send(
        new (await import("@aws-sdk/client-iam")).UpdateRoleCommand({
          RoleName: out["a"] as string,
          Description: "drifted",
        }),
      );
      const refreshed = await t.refresh();
      // THEN the engine reports that role, and only it, drifted in its description
      assert.deepEqual(
        refreshed.drift.map((d) => `${d.op} ${d.urn.split("::").pop()} ${d.diffs.join(",")}`),
        ["update a description"],
      );
      const role = ofType(await t.resources(), "aws:iam/role:Role").find((r) => r.id === out["a"]);
      assert.equal(role?.outputs?.["description"], "drifted");
      // AND the next up puts the program's value back, in place
      const up4 = await t.up();
      assert.deepEqual(opsOf(up4.steps, "a"), ["update"]);
    });
  });

  it("imports an existing role and instance profile with the `import` option", async () => {
    const names = { role: "", profile: "" };
    const stage = { importing: false };
    const assumeRolePolicy = trust("ec2.amazonaws.com");
    await withProviderStack(
      {
        program: async () => {
          if (!stage.importing) {
            const r = new aws.iam.Role("orig", { assumeRolePolicy }, { retainOnDelete: true });
            const p = new aws.iam.InstanceProfile("origp", { role: r.name }, { retainOnDelete: true });
            return { role: r.name, profile: p.name };
          }
          const r = new aws.iam.Role("imported", { name: names.role, assumeRolePolicy }, { import: names.role });
          const p = new aws.iam.InstanceProfile(
            "importedp",
            { name: names.profile, role: r.name },
            { import: names.profile },
          );
          return { role: r.name, profile: p.name };
        },
      },
      async (t, seen) => {
        // GIVEN resources that exist outside the stack (created, then dropped from state but retained)
        const up = await t.up();
        names.role = up.outputs["role"] as string;
        names.profile = up.outputs["profile"] as string;
        stage.importing = true;
        // WHEN the program adopts them
        const imp = await t.up();
        // THEN they are imported (no create)
        assert.deepEqual(opsOf(imp.steps, "imported"), ["import"]);
        assert.deepEqual(opsOf(imp.steps, "importedp"), ["import"]);
        // AND the retained originals left the state (a delete step the engine keeps from the provider)...
        assert.deepEqual(opsOf(imp.steps, "orig"), ["delete"]);
        assert.deepEqual(opsOf(imp.steps, "origp"), ["delete"]);
        const state = await t.resources();
        assert.deepEqual(
          state.filter((r) => /::orig(p)?$/.test(r.urn)),
          [],
          "the originals are no longer in the state",
        );
        // ...but still exist in LocalStack, now held by the imported resources, the profile still holding the role
        assert.equal((await iam.send(new GetRoleCommand({ RoleName: names.role }))).Role?.RoleName, names.role);
        await assertProfileHoldsRole(names.profile, names.role);
        assert.deepEqual(
          ofType(state, "aws:iam/role:Role").map((r) => r.id),
          [names.role],
        );
        seen(state);
      },
    );
  });

  it("creates a User and an AccessKey, updates the key status, destroys both", async () => {
    const stage = { status: "Active" };
    await withProviderStack(
      {
        program: async () => {
          const u = new aws.iam.User("ci", { forceDestroy: true });
          const k = new aws.iam.AccessKey("ci-key", { user: u.name, status: stage.status });
          return { user: u.name, keyId: k.id, secret: k.secret };
        },
      },
      async (t, seen) => {
        const up = await t.up();
        const user = up.outputs["user"] as string;
        assert.match(up.outputs["keyId"] as string, /^AKIA[A-Z0-9]{16}$/);
        assert.equal(typeof up.outputs["secret"], "string");
        stage.status = "Inactive";
        const up2 = await t.up();
        assert.deepEqual(opsOf(up2.steps, "ci-key"), ["update"]);
        const keys = await iam.send(new ListAccessKeysCommand({ UserName: user }));
        assert.equal(keys.AccessKeyMetadata?.[0]?.Status, "Inactive");
        seen(await t.resources());
      },
    );
  });

  it("reports AWS errors with the AWS error code and message", async () => {
    await withProviderStack(
      {
        program: async () => {
          new aws.iam.RolePolicyAttachment("bad", {
            role: "no-such-role-keyless",
            policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
          });
        },
      },
      async (t) => {
        await assert.rejects(t.up(), (err: unknown) => {
          assert.ok(err instanceof StackRunError);
          assert.match(err.message, /aws:iam\/rolePolicyAttachment:RolePolicyAttachment: create failed: NoSuchEntity/);
          return true;
        });
      },
    );
  });
});
