import * as assert from "node:assert/strict";
import { forbiddenManagedPolicies, forbiddenManagedPolicy } from "@keyless/iam-rules";

describe("iam-rules: forbiddenManagedPolicy", () => {
  it("lists the three administrator-level AWS managed policies", () =>
    assert.deepEqual([...forbiddenManagedPolicies].sort(), [
      "AdministratorAccess",
      "IAMFullAccess",
      "PowerUserAccess",
    ]));

  for (const [arn, expected] of [
    ["arn:aws:iam::aws:policy/AdministratorAccess", "AdministratorAccess"],
    ["arn:aws-us-gov:iam::aws:policy/IAMFullAccess", "IAMFullAccess"],
    ["arn:aws-cn:iam::aws:policy/job-function/PowerUserAccess", "PowerUserAccess"],
    ["arn:aws:iam::123456789012:policy/AdministratorAccess", undefined], // customer managed, same name
    ["arn:aws:iam::aws:policy/ReadOnlyAccess", undefined],
    ["arn:aws:iam::aws:policy/AdministratorAccess-Amplify", undefined],
    ["AdministratorAccess", undefined],
  ] as const) {
    it(`${arn} -> ${expected ?? "not forbidden"}`, () => assert.equal(forbiddenManagedPolicy(arn), expected));
  }
});
