import * as assert from "node:assert/strict";
import { readOnlyManagedPolicies, readOnlyManagedPolicy } from "@keyless/iam-rules";

describe("iam-rules: readOnlyManagedPolicy", () => {
  it("lists the AWS managed policies that only read", () =>
    assert.deepEqual([...readOnlyManagedPolicies].sort(), ["ReadOnlyAccess", "SecurityAudit", "ViewOnlyAccess"]));

  for (const [arn, expected] of [
    ["arn:aws:iam::aws:policy/ReadOnlyAccess", "ReadOnlyAccess"],
    ["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess", "ViewOnlyAccess"],
    ["arn:aws-us-gov:iam::aws:policy/SecurityAudit", "SecurityAudit"],
    ["arn:aws:iam::123456789012:policy/ReadOnlyAccess", undefined], // customer managed, same name: content unknown
    ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", undefined], // read-only too, but not on the list
    ["arn:aws:iam::aws:policy/ReadOnlyAccess-Extra", undefined],
    ["ReadOnlyAccess", undefined],
  ] as const) {
    it(`${arn} -> ${expected ?? "may write"}`, () => assert.equal(readOnlyManagedPolicy(arn), expected));
  }
});
