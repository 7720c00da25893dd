import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import {
  assertNoLeftovers,
  assertRoleTrusts,
  localStackClientConfig,
  requireLocalStack,
  type StateResource,
  withTestStack,
} from "@keyless/testing";

/** A Pulumi project directory: Pulumi.yaml (runtime nodejs) and a plain JS program creating one role. */
function writeProject(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyless-workdir-"));
  writeFileSync(path.join(dir, "Pulumi.yaml"), "name: keyless-workdir\nruntime: nodejs\n");
  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "keyless-workdir", private: true, main: "index.js" }, null, 2),
  );
  writeFileSync(
    path.join(dir, "index.js"),
    `"use strict";
const aws = require("@pulumi/aws");
const pulumi = require("@pulumi/pulumi");
const config = new pulumi.Config();
const role = new aws.iam.Role("worker", {
  description: config.get("description") || "from a directory program",
  assumeRolePolicy: JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
  }),
});
exports.roleName = role.name;
exports.roleArn = role.arn;
`,
  );
  return dir;
}

describe("harness: a directory program (workDir)", function () {
  this.timeout(180_000);
  const iam = new IAMClient(localStackClientConfig());

  it("deploys a Pulumi.yaml + index.js project from a directory, with stack config, and destroys it", async () => {
    await requireLocalStack(["iam", "sts"]);
    const dir = writeProject();
    let snapshot: StateResource[] = [];
    try {
      await withTestStack({ workDir: dir, config: { "keyless-workdir:description": "set by the test" } }, async (t) => {
        // WHEN the directory's program is deployed
        const up = await t.up();
        // THEN its outputs come back and the role exists in LocalStack, auto-named, with the stack config applied
        const roleName = up.outputs["roleName"] as string;
        assert.match(roleName, /^worker-[a-z0-9]{7}$/);
        assert.match(up.outputs["roleArn"] as string, new RegExp(`:role/${roleName}$`));
        assert.deepEqual(
          up.steps.filter((s) => s.type === "aws:iam/role:Role").map((s) => s.op),
          ["create"],
        );
        await assertRoleTrusts(roleName, "ec2.amazonaws.com");
        const got = await iam.send(new GetRoleCommand({ RoleName: roleName }));
        assert.equal(got.Role?.Description, "set by the test");
        snapshot = await t.resources();
        assert.equal(snapshot.filter((r) => r.type === "aws:iam/role:Role").length, 1);

        // WHEN it is destroyed THEN the engine deletes the role
        const destroyed = await t.destroy();
        assert.deepEqual(
          destroyed.steps.filter((s) => s.type === "aws:iam/role:Role").map((s) => s.op),
          ["delete"],
        );
        assert.equal((await t.resources()).filter((r) => r.custom).length, 0);
      });
      // AND LocalStack holds nothing of it
      await assertNoLeftovers(snapshot);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
