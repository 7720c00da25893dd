import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DeregisterTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand } from "@aws-sdk/client-ecs";
import { DeleteRoleCommand, GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import {
  assertNoLeftovers,
  findLeftovers,
  localStackClientConfig,
  motoEndpoint,
  requireLocalStack,
  StackRunError,
  type StateResource,
  type StepRecord,
  type TestStack,
  withTestStack,
} from "@keyless/testing";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

const ROLE = "aws:iam/role:Role";
const trust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

/** The ops of the steps on the resource named `name`. */
function opsOf(steps: readonly StepRecord[], name: string): string[] {
  return steps.filter((s) => s.urn.endsWith(`::${name}`)).map((s) => s.op);
}

/** The temp directory of the stack's file backend. */
function backendDir(t: TestStack): string {
  const url = (t.stack.workspace as { envVars?: Record<string, string> }).envVars?.["PULUMI_BACKEND_URL"];
  assert.ok(url?.startsWith("file://"), `a file backend, got ${url}`);
  return fileURLToPath(url as string);
}

async function roleExists(iam: IAMClient, name: string): Promise<boolean> {
  try {
    await iam.send(new GetRoleCommand({ RoleName: name }));
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === "NoSuchEntityException" || /NoSuchEntity/.test(String(err))) return false;
    throw err;
  }
}

describe("harness: TestStack runs, results and cleanup", function () {
  this.timeout(240_000);
  const iam = new IAMClient(localStackClientConfig());

  before(async () => requireLocalStack(["iam", "sts"]));

  it("reports each step's op: create, update, replace (create-replacement, replace, delete-replaced), delete, same; preview plans without changing", async () => {
    const stage = { description: "one", explicitName: "", withC: true };
    let snapshot: StateResource[] = [];
    await withTestStack(
      {
        program: async () => {
          new aws.iam.Role("a", { assumeRolePolicy: trust, description: stage.description });
          new aws.iam.Role("b", {
            assumeRolePolicy: trust,
            ...(stage.explicitName ? { name: stage.explicitName } : {}),
          });
          if (stage.withC) new aws.iam.Role("c", { assumeRolePolicy: trust });
          return {};
        },
      },
      async (t) => {
        const up1 = await t.up();
        assert.equal(up1.kind, "up");
        assert.deepEqual(
          [opsOf(up1.steps, "a"), opsOf(up1.steps, "b"), opsOf(up1.steps, "c")],
          [["create"], ["create"], ["create"]],
        );
        assert.ok(up1.steps.every((s) => s.urn.startsWith("urn:pulumi:")));
        assert.equal(up1.steps.find((s) => s.urn.endsWith("::a"))?.type, ROLE);
        assert.ok(up1.events.length > 0 && up1.durationMs > 0);
        snapshot.push(...(await t.resources()));

        // GIVEN a description change (in place), a new explicit name (replacement) and a removed resource
        stage.description = "two";
        stage.explicitName = `keyless-b-${t.name}`;
        stage.withC = false;
        // WHEN previewed THEN the same ops are planned, and nothing changed in LocalStack
        const preview = await t.preview();
        assert.equal(preview.kind, "preview");
        assert.deepEqual(opsOf(preview.steps, "a"), ["update"]);
        assert.deepEqual(opsOf(preview.steps, "b"), ["create-replacement", "replace", "delete-replaced"]);
        assert.deepEqual(opsOf(preview.steps, "c"), ["delete"]);
        assert.equal(await roleExists(iam, stage.explicitName), false);

        // WHEN applied THEN the steps carry those ops in the order the engine ran them
        const up2 = await t.up();
        assert.deepEqual(opsOf(up2.steps, "a"), ["update"]);
        assert.deepEqual(opsOf(up2.steps, "b"), ["create-replacement", "replace", "delete-replaced"]);
        assert.deepEqual(opsOf(up2.steps, "c"), ["delete"]);
        assert.equal(await roleExists(iam, stage.explicitName), true);
        snapshot.push(...(await t.resources()));

        // WHEN nothing changes THEN every step is `same`
        const up3 = await t.up();
        assert.deepEqual([...opsOf(up3.steps, "a"), ...opsOf(up3.steps, "b")], ["same", "same"]);

        const destroyed = await t.destroy();
        assert.deepEqual([...opsOf(destroyed.steps, "a"), ...opsOf(destroyed.steps, "b")], ["delete", "delete"]);
      },
    );
    snapshot = snapshot.filter((r) => r.type === ROLE);
    assert.equal(snapshot.length, 5, "a, b, c, then a and the replacement b");
    await assertNoLeftovers(snapshot);
  });

  it("refresh drops a role deleted outside Pulumi from the state; the next up creates it again", async () => {
    let snapshot: StateResource[] = [];
    await withTestStack(
      {
        program: async () => {
          const r = new aws.iam.Role("gone", { assumeRolePolicy: trust });
          return { name: r.name };
        },
      },
      async (t) => {
        const up = await t.up();
        const name = up.outputs["name"] as string;
        // GIVEN the role deleted with the AWS SDK
        await iam.send(new DeleteRoleCommand({ RoleName: name }));
        // WHEN the stack is refreshed
        const refresh = await t.refresh();
        // THEN the refresh step is reported and the state no longer holds the role
        assert.equal(refresh.kind, "refresh");
        assert.deepEqual(opsOf(refresh.steps, "gone"), ["refresh"]);
        assert.equal((await t.resources()).filter((r) => r.type === ROLE).length, 0);
        // AND the next up creates it again (the same auto-name is not kept: the state forgot it)
        const again = await t.up();
        assert.deepEqual(opsOf(again.steps, "gone"), ["create"]);
        assert.equal(await roleExists(iam, again.outputs["name"] as string), true);
        snapshot = await t.resources();
      },
    );
    await assertNoLeftovers(snapshot);
  });

  it("up returns a secret output's value; resources() keeps it encrypted in the state it returns", async () => {
    // A value made now, so only this run can have printed it.
    const value = `keyless-${randomBytes(12).toString("hex")}`;
    await withTestStack(
      { awsProvider: "none", program: async () => ({ token: pulumi.secret(value), plain: "visible" }) },
      async (t) => {
        const up = await t.up();
        assert.ok(up.outputs["token"] === value, "up's outputs carry the secret's value");
        const stackResource = (await t.resources()).find((r) => r.type === "pulumi:pulumi:Stack");
        assert.ok(stackResource, "the state holds the Stack resource");
        const outputs = stackResource.outputs ?? {};
        assert.equal(outputs["plain"], "visible");
        assert.ok(!JSON.stringify(outputs).includes(value), "the secret's value is not in resources()");
        assert.equal(typeof (outputs["token"] as { ciphertext?: unknown } | undefined)?.ciphertext, "string");
      },
    );
  });

  it("a failing up throws StackRunError carrying the result; withTestStack still destroys and removes the stack", async () => {
    let snapshot: StateResource[] = [];
    let backend = "";
    let stackName = "";
    let roleName = "";
    let caught: unknown;
    try {
      await withTestStack(
        {
          program: async () => {
            const r = new aws.iam.Role("ok", { assumeRolePolicy: trust });
            new aws.iam.RolePolicyAttachment("broken", {
              role: r.name,
              policyArn: "arn:aws:iam::000000000000:policy/keyless-does-not-exist",
            });
            return { name: r.name };
          },
        },
        async (t) => {
          backend = backendDir(t);
          stackName = t.name;
          assert.ok(existsSync(backend));
          try {
            await t.up();
          } finally {
            // what the failed update left behind: the role it created before the attachment failed
            snapshot = await t.resources();
          }
        },
      );
    } catch (err) {
      caught = err;
    }
    // THEN the error is a StackRunError with the engine's result
    assert.ok(caught instanceof StackRunError, `expected StackRunError, got ${caught}`);
    const result = caught.result;
    assert.equal(result.kind, "up");
    assert.ok(result.error instanceof Error);
    assert.ok(caught.cause instanceof Error);
    assert.deepEqual(opsOf(result.steps, "ok"), ["create"]);
    assert.deepEqual(opsOf(result.steps, "broken"), ["create"]);
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    assert.ok(
      errors.some((d) => /NoSuchEntity/.test(d.message) && d.urn?.endsWith("::broken")),
      `an error diagnostic with the AWS code on the attachment, got ${JSON.stringify(errors)}`,
    );
    assert.match(caught.message, /^pulumi up failed:/);
    assert.match(caught.message, /NoSuchEntity/);
    // AND the role created before the failure was in the state, and is gone now
    const roles = snapshot.filter((r) => r.type === ROLE);
    assert.equal(roles.length, 1);
    roleName = roles[0]?.id as string;
    assert.equal(await roleExists(iam, roleName), false);
    assert.deepEqual(await findLeftovers(snapshot), []);
    // AND the stack and its temp backend were removed
    assert.ok(stackName !== "" && backend !== "");
    assert.equal(existsSync(backend), false, `backend dir ${backend} removed`);
  });

  it("findLeftovers reports what the emulators still hold: a retained role (listing) and an ACTIVE revision of a family the state lost track of", async () => {
    const ecs = new ECSClient(localStackClientConfig(motoEndpoint()));
    let snapshot: StateResource[] = [];
    await withTestStack(
      {
        program: async () => {
          const r = new aws.iam.Role("kept", { assumeRolePolicy: trust }, { retainOnDelete: true });
          return { name: r.name };
        },
      },
      async (t) => {
        await t.up();
        snapshot = await t.resources();
      },
    );
    const role = snapshot.find((r) => r.type === ROLE);
    assert.ok(role?.id);
    // A family registered outside any stack: the state's revision 1 is INACTIVE (the handler's read finds nothing),
    // revision 2 is ACTIVE (only the listing finds it)
    const family = `keyless-left-${Date.now().toString(36)}`;
    const register = async () =>
      (
        await ecs.send(
          new RegisterTaskDefinitionCommand({ family, containerDefinitions: [{ name: "c", image: "x", memory: 64 }] }),
        )
      ).taskDefinition?.taskDefinitionArn as string;
    const rev1 = await register();
    const rev2 = await register();
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: rev1 }));
    const td: StateResource = {
      type: "aws:ecs/taskDefinition:TaskDefinition",
      urn: "urn:pulumi:s::p::aws:ecs/taskDefinition:TaskDefinition::td",
      id: family,
      custom: true,
      outputs: { arn: rev1, family },
    };
    try {
      const left = await findLeftovers([...snapshot, td]);
      assert.deepEqual(
        left.map((l) => `${l.type} ${l.id}`).sort(),
        [`${ROLE} ${role.id}`, `aws:ecs/taskDefinition:TaskDefinition ${rev2}`].sort(),
      );
      await assert.rejects(assertNoLeftovers([...snapshot, td]), /still hold 2 resource/);
    } finally {
      await iam.send(new DeleteRoleCommand({ RoleName: role.id }));
      await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: rev2 }));
    }
    assert.deepEqual(await findLeftovers([...snapshot, td]), []);
  });
});
