import * as assert from "node:assert/strict";
import { KeylessErrorCode, LambdaExecutionRole } from "@keyless/aws";
import { expectValidationError, resolved, useMocks } from "../../support/mocks";

const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";

describe("LambdaExecutionRole", () => {
  const mocks = useMocks();

  it("trusts lambda.amazonaws.com and allows logging by default", async () => {
    // GIVEN / WHEN
    const exec = new LambdaExecutionRole("thumbs", {
      statements: [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::uploads/*"] }],
    });
    await resolved(exec.roleArn);
    await mocks.settle();
    // THEN
    assert.deepEqual(mocks.summary(), [
      "aws:iam/role:Role::thumbs-role",
      "aws:iam/rolePolicy:RolePolicy::thumbs-policy",
      "aws:iam/rolePolicyAttachment:RolePolicyAttachment::thumbs-basic-execution",
      "keyless:aws:LambdaExecutionRole::thumbs",
    ]);
    assert.equal(
      mocks.one("aws:iam/role:Role").inputs.assumeRolePolicy,
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
    );
    assert.equal(
      mocks.one(ATTACHMENT).inputs.policyArn,
      "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    );
    assert.equal(exec.policyAttachments.length, 1);
    assert.ok(exec.policy);
  });

  it("adds VPC access as an option, and basic execution can be dropped", async () => {
    new LambdaExecutionRole("vpc", { vpcAccess: true, basicExecution: false });
    await mocks.settle();
    assert.deepEqual(
      mocks.ofType(ATTACHMENT).map((a) => [a.name, a.inputs.policyArn]),
      [["vpc-vpc-access", "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"]],
    );
  });

  it("works without arguments", async () => {
    const exec = new LambdaExecutionRole("bare");
    await resolved(exec.roleName);
    await mocks.settle();
    assert.equal(mocks.ofType(ATTACHMENT).length, 1);
  });

  it("refuses over-privileged statements and bad flags before registering anything", async () => {
    expectValidationError(
      () => new LambdaExecutionRole("x", { statements: [{ actions: ["dynamodb:*"], resources: ["*"] }] }),
      KeylessErrorCode.ServiceWildcardAction,
      "statements[0].actions[0]",
    );
    expectValidationError(
      () => new LambdaExecutionRole("x", { vpcAccess: "yes" as never }),
      KeylessErrorCode.InvalidArgument,
      "vpcAccess",
    );
    await mocks.settle();
    assert.deepEqual(mocks.resources, []);
  });
});
