// A `pulumi up` killed for real (SIGKILL of the CLI) while the stand-in provider's create of a role is paused
// (KEYLESS_PROVIDER_PAUSE / _AFTER, the provider's test-only hook): every plugin the CLI started exits on its own,
// the run's result reports the pending create, the lock is cancelled, the pending create is imported or cleared, and
// the stack is disposed of with nothing left in the emulators (listing roles by the program's name prefix).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DeleteRoleCommand, GetRoleCommand, IAMClient, paginateListRoles } from "@aws-sdk/client-iam";
import {
  findLeftovers,
  localStackClientConfig,
  requireLocalStack,
  StackDisposeError,
  StackRunError,
  TestStack,
} from "@keyless/testing";
import { alive, descendants, type Proc, processes, until } from "../../support/processes";

const ROLE = "aws:iam/role:Role";

/** A project directory: one auto-named role, and an advisory policy pack so an analyzer runs too. */
function writeProject(dir: string, roleName: string): { project: string; pack: string } {
  const project = path.join(dir, "project");
  const pack = path.join(dir, "pack");
  for (const [file, text] of Object.entries({
    [path.join(project, "Pulumi.yaml")]: "name: keyless-interrupted\nruntime: nodejs\n",
    [path.join(project, "package.json")]: JSON.stringify({ name: "keyless-interrupted", main: "index.js" }),
    [path.join(project, "index.js")]: `"use strict";
const aws = require("@pulumi/aws");
new aws.iam.Role(${JSON.stringify(roleName)}, {
  assumeRolePolicy: JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
  }),
});
`,
    [path.join(pack, "PulumiPolicy.yaml")]: "runtime: nodejs\ndescription: keyless interrupted-up pack\n",
    [path.join(pack, "package.json")]: JSON.stringify({ name: "interrupted-pack", version: "0.0.1", main: "index.js" }),
    [path.join(pack, "index.js")]: `const { PolicyPack } = require("@pulumi/policy");
new PolicyPack("interrupted-pack", {
  policies: [{ name: "nothing", description: "Reports nothing.", enforcementLevel: "advisory", validateStack: () => {} }],
});
`,
  })) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return { project, pack };
}

describe("harness: a pulumi up killed with SIGKILL", function () {
  this.timeout(300_000);
  const iam = new IAMClient(localStackClientConfig());

  before(async () => requireLocalStack(["iam", "sts"]));

  /** The roles in LocalStack whose names start with `prefix`. */
  async function rolesNamed(prefix: string): Promise<string[]> {
    const names: string[] = [];
    for await (const page of paginateListRoles({ client: iam }, {})) {
      for (const r of page.Roles ?? []) if (r.RoleName?.startsWith(prefix)) names.push(r.RoleName);
    }
    return names;
  }

  /**
   * Starts `up` with the role's create paused at `point`, waits until the provider is inside it, SIGKILLs the CLI,
   * and returns the run's error and the processes the CLI had started. `cleanup` leaves nothing, whatever happened.
   */
  async function killDuringCreate(point: "before" | "after") {
    const dir = mkdtempSync(path.join(os.tmpdir(), "keyless-interrupted-"));
    const logical = `kill${randomBytes(3).toString("hex")}`;
    const { project, pack } = writeProject(dir, logical);
    const signal = path.join(dir, "go");
    const variable = point === "before" ? "KEYLESS_PROVIDER_PAUSE" : "KEYLESS_PROVIDER_PAUSE_AFTER";
    const t = await TestStack.create({
      workDir: project,
      awsProvider: "localstack",
      env: { [variable]: `${ROLE}:${signal}` },
    });
    let plugins: Proc[] = [];
    // Each step on its own: one failing (the emulator gone, say) must not skip the rest.
    const cleanup = async () => {
      const steps: Array<() => unknown> = [
        () => writeFileSync(signal, ""),
        () => {
          for (const p of plugins) if (alive(p)) process.kill(p.pid, "SIGKILL");
        },
        async () => {
          for (const name of await rolesNamed(`${logical}-`)) {
            await iam.send(new DeleteRoleCommand({ RoleName: name }));
          }
        },
        () => t.cancel(),
        () => t.refresh({ clearPendingCreates: true }),
        () => t.dispose(),
      ];
      for (const step of steps)
        await Promise.resolve()
          .then(step)
          .catch(() => undefined);
      rmSync(t.dir, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      const up = t.up({ policyPacks: [pack] }).then(
        () => assert.fail("the killed up must fail"),
        (err: unknown) => err,
      );
      await until("the provider to pause in the role's create", 180_000, async () => {
        if (existsSync(`${signal}.waiting`)) return true;
        // An up that ended already will never pause.
        const ended = await Promise.race([up, new Promise((resolve) => setTimeout(resolve, 0, undefined))]);
        if (ended !== undefined) throw new Error(`up ended before the pause: ${ended}`);
        return undefined;
      });
      const table = processes();
      const cli = descendants(table, process.pid).find((p) => /(^|\/)pulumi .*\bup\b/.test(p.cmdline));
      assert.ok(cli, "the Automation API's `pulumi up` is a child of this process");
      plugins = descendants(table, cli.pid);
      const killedAt = Date.now();
      process.kill(cli.pid, "SIGKILL");
      const err = await up;
      return { t, err, plugins, killedAt, logical, signal, cleanup };
    } catch (err) {
      await cleanup();
      throw err;
    }
  }

  it("every plugin it started exits; the result reports the pending create; cancel() unlocks; refresh imports the role that reached AWS; dispose() then leaves nothing", async () => {
    // GIVEN an up killed while the provider holds a role it has created but not yet reported
    const run = await killDuringCreate("after");
    try {
      const { t, err, plugins } = run;
      // THEN the CLI had started the stand-in provider, language hosts, the program and the policy pack
      const started = (re: RegExp) => plugins.some((p) => re.test(p.cmdline));
      assert.ok(
        started(/provider\/main\.js/),
        `the stand-in provider, among:\n${plugins.map((p) => p.cmdline).join("\n")}`,
      );
      assert.ok(started(/host\.cjs/), "a language host");
      assert.ok(started(/run-policy-pack/), "the policy pack's analyzer");
      // AND every one of them exits on its own
      await until("every plugin to exit", 60_000, () => (plugins.some(alive) ? undefined : true));
      const exitMs = Date.now() - run.killedAt;
      console.log(`      all ${plugins.length} plugin processes gone ${exitMs} ms after the SIGKILL`);

      // AND the failed run reports the pending create of the role, whose name it had already chosen
      assert.ok(err instanceof StackRunError, `a StackRunError, got ${err}`);
      const pending = err.result.pendingOperations;
      assert.deepEqual(
        pending.map((p) => [p.type, p.resource.type]),
        [["creating", ROLE]],
      );
      const op = pending[0];
      const roleName = op?.resource.inputs?.["name"];
      assert.ok(typeof roleName === "string" && roleName.startsWith(`${run.logical}-`), `name ${roleName}`);
      assert.ok((await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role, "the role reached LocalStack");

      // WHEN disposing of it now: the state is kept, because a destroy would drop the pending create
      const keep = await t.dispose().then(
        () => assert.fail("dispose must refuse"),
        (e: unknown) => e,
      );
      assert.ok(keep instanceof StackDisposeError, `a StackDisposeError, got ${keep}`);
      assert.equal(keep.step, "pending-operations");
      assert.ok(keep.message.includes(t.dir) && existsSync(t.dir), "the error names the kept directory");
      assert.ok(keep.message.includes(op?.resource.urn ?? "?"), "and the pending create");

      // AND the killed CLI's lock stops every run until cancel() removes it
      const locked = await t.refresh().then(
        () => assert.fail("refresh of a locked stack must fail"),
        (e: unknown) => e as Error,
      );
      assert.match(locked.message, /locked/);
      await t.cancel();

      // WHEN the pending create is imported by its id
      const refresh = await t.refresh({ importPendingCreates: [{ urn: op?.resource.urn as string, id: roleName }] });
      // THEN no operation is pending and the state holds the role
      assert.deepEqual(refresh.pendingOperations, []);
      const snapshot = await t.resources();
      assert.deepEqual(
        snapshot.filter((r) => r.type === ROLE).map((r) => r.id),
        [roleName],
      );
      // AND dispose() destroys it and deletes the directory: nothing left by listing
      await t.dispose();
      assert.equal(existsSync(t.dir), false);
      assert.deepEqual(await rolesNamed(`${run.logical}-`), []);
      assert.deepEqual(await findLeftovers(snapshot), []);
    } finally {
      await run.cleanup();
    }
  });

  it("a create paused before its AWS call never makes it once the engine is gone; clearPendingCreates drops it", async () => {
    // GIVEN an up killed while the role's create waits before calling AWS
    const run = await killDuringCreate("before");
    try {
      const { t, err, plugins } = run;
      await until("every plugin to exit", 60_000, () => (plugins.some(alive) ? undefined : true));
      // WHEN the create is released after the engine is gone
      writeFileSync(run.signal, "");
      await new Promise((resolve) => setTimeout(resolve, 2000));
      // THEN no role was created: the provider did not outlive its engine
      assert.deepEqual(await rolesNamed(`${run.logical}-`), []);
      assert.ok(err instanceof StackRunError);
      assert.deepEqual(
        err.result.pendingOperations.map((p) => p.type),
        ["creating"],
      );
      // AND after cancel(), clearPendingCreates drops the create that never reached AWS
      await t.cancel();
      const refresh = await t.refresh({ clearPendingCreates: true });
      assert.deepEqual(refresh.pendingOperations, []);
      assert.deepEqual(await t.pendingOperations(), []);
      await t.dispose();
      assert.equal(existsSync(t.dir), false);
    } finally {
      await run.cleanup();
    }
  });
});
