import * as assert from "node:assert/strict";
import {
  classifyAction,
  escalatingOnUnboundedResourceOnly,
  privilegeEscalationActions,
  privilegeEscalations,
} from "@keyless/iam-rules";

describe("iam-rules: privilegeEscalations", () => {
  it("lists only actions iam-data knows", () => {
    for (const action of privilegeEscalationActions) assert.ok(classifyAction(action).known, action);
  });

  it("finds escalation actions through wildcards, whatever the resource", () => {
    assert.deepEqual(privilegeEscalations("iam:Put*Policy", ["arn:aws:iam::123456789012:role/app"]), [
      "iam:PutUserPolicy",
      "iam:PutGroupPolicy",
      "iam:PutRolePolicy",
    ]);
    assert.deepEqual(privilegeEscalations("iam:createaccesskey", ["*"]), ["iam:CreateAccessKey"]);
    assert.deepEqual(privilegeEscalations("iam:GetRole", ["*"]), []);
  });

  it("counts iam:PassRole and sts:AssumeRole only on a resource that reaches every role", () => {
    assert.deepEqual([...escalatingOnUnboundedResourceOnly], ["iam:PassRole", "sts:AssumeRole"]);
    for (const action of escalatingOnUnboundedResourceOnly) {
      for (const unbounded of ["*", "arn:aws:iam::*:role/*", "arn:aws:iam::123456789012:role/*", "arn:aws:*"]) {
        assert.deepEqual(privilegeEscalations(action, [unbounded]), [action], `${action} on ${unbounded}`);
      }
      for (const bounded of ["arn:aws:iam::123456789012:role/app/worker", "arn:aws:iam::*:role/app/*"]) {
        assert.deepEqual(privilegeEscalations(action, [bounded]), [], `${action} on ${bounded}`);
      }
    }
    // A bounded and an unbounded resource in one statement: the unbounded one decides.
    assert.deepEqual(privilegeEscalations("iam:Pass*", ["arn:aws:iam::1:role/a", "arn:aws:iam::*:role/*"]), [
      "iam:PassRole",
    ]);
  });
});
