import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  GetRoleCommand,
  IAMClient,
  NoSuchEntityException,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { localStackClientConfig, requireLocalStack } from "@keyless/testing";

describe("foundation: LocalStack", function () {
  this.timeout(60_000);
  before(() => requireLocalStack(["iam", "sts"]));

  it("answers STS GetCallerIdentity", async () => {
    const sts = new STSClient(localStackClientConfig());
    const me = await sts.send(new GetCallerIdentityCommand({}));
    assert.match(me.Account ?? "", /^\d{12}$/);
    assert.match(me.Arn ?? "", /^arn:aws:iam::\d{12}:/);
  });

  it("creates, reads and deletes an IAM role", async () => {
    const iam = new IAMClient(localStackClientConfig());
    const RoleName = `keyless-foundation-${randomBytes(4).toString("hex")}`;
    const trust = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    };
    await iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: JSON.stringify(trust) }));
    try {
      const got = await iam.send(new GetRoleCommand({ RoleName }));
      assert.equal(got.Role?.RoleName, RoleName);
      assert.deepEqual(JSON.parse(decodeURIComponent(got.Role?.AssumeRolePolicyDocument ?? "")), trust);
    } finally {
      await iam.send(new DeleteRoleCommand({ RoleName }));
    }
    await assert.rejects(iam.send(new GetRoleCommand({ RoleName })), NoSuchEntityException);
  });
});
