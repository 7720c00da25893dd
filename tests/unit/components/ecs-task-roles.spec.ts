import * as assert from "node:assert/strict";
import { EcsTaskRoles, KeylessErrorCode } from "@keyless/aws";
import * as pulumi from "@pulumi/pulumi";
import { expectValidationError, resolved, useMocks } from "../../support/mocks";

const ROLE = "aws:iam/role:Role";
const POLICY = "aws:iam/rolePolicy:RolePolicy";

describe("EcsTaskRoles", () => {
  const mocks = useMocks();

  it("creates two separate roles trusted by ecs-tasks.amazonaws.com", async () => {
    // GIVEN / WHEN
    const roles = new EcsTaskRoles("api", {
      statements: [{ actions: ["sqs:SendMessage"], resources: ["arn:aws:sqs:eu-west-1:123456789012:jobs"] }],
      secretArns: [pulumi.output("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf")],
      parameterArns: ["arn:aws:ssm:eu-west-1:123456789012:parameter/api/url"],
      secretKmsKeyArns: ["arn:aws:kms:eu-west-1:123456789012:key/k"],
      trustSourceAccount: "123456789012",
    });
    await resolved(roles.executionRoleArn);
    await mocks.settle();
    // THEN
    assert.deepEqual(mocks.summary(), [
      "aws:iam/role:Role::api-execution-role",
      "aws:iam/role:Role::api-task-role",
      "aws:iam/rolePolicy:RolePolicy::api-execution-policy",
      "aws:iam/rolePolicy:RolePolicy::api-task-policy",
      "aws:iam/rolePolicyAttachment:RolePolicyAttachment::api-execution-managed",
      "keyless:aws:EcsTaskRoles::api",
    ]);
    for (const r of mocks.ofType(ROLE)) {
      assert.deepEqual(JSON.parse(r.inputs.assumeRolePolicy).Statement[0], {
        Effect: "Allow",
        Principal: { Service: "ecs-tasks.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      });
    }
    assert.notEqual(await resolved(roles.taskRoleArn), await resolved(roles.executionRoleArn));
    assert.deepEqual(JSON.parse(mocks.one(POLICY, "api-execution-policy").inputs.policy).Statement, [
      {
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
      },
      {
        Effect: "Allow",
        Action: "ssm:GetParameters",
        Resource: "arn:aws:ssm:eu-west-1:123456789012:parameter/api/url",
      },
      { Effect: "Allow", Action: "kms:Decrypt", Resource: "arn:aws:kms:eu-west-1:123456789012:key/k" },
    ]);
    assert.deepEqual(JSON.parse(mocks.one(POLICY, "api-task-policy").inputs.policy).Statement, [
      { Effect: "Allow", Action: "sqs:SendMessage", Resource: "arn:aws:sqs:eu-west-1:123456789012:jobs" },
    ]);
    assert.equal(
      mocks.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment").inputs.policyArn,
      "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    );
    // each name output is its own role's: the mocks name a role after its resource (`<resource name>-<7 chars>`)
    const taskRoleName = (await resolved(roles.taskRoleName))!;
    const executionRoleName = (await resolved(roles.executionRoleName))!;
    assert.match(taskRoleName, /^api-task-role-\w{7}$/);
    assert.match(executionRoleName, /^api-execution-role-\w{7}$/);
    assert.ok((await resolved(roles.taskRoleArn))!.endsWith(`:role/${taskRoleName}`));
    assert.ok((await resolved(roles.executionRoleArn))!.endsWith(`:role/${executionRoleName}`));
  });

  it("gives the execution role no inline policy when no secret is named", async () => {
    new EcsTaskRoles("bare");
    await mocks.settle();
    assert.deepEqual(mocks.summary(), [
      "aws:iam/role:Role::bare-execution-role",
      "aws:iam/role:Role::bare-task-role",
      "aws:iam/rolePolicyAttachment:RolePolicyAttachment::bare-execution-managed",
      "keyless:aws:EcsTaskRoles::bare",
    ]);
  });

  it("refuses wildcard secrets and over-privileged task statements", async () => {
    expectValidationError(
      () => new EcsTaskRoles("x", { secretArns: ["*"] }),
      KeylessErrorCode.InvalidArgument,
      "secretArns[0]",
    );
    expectValidationError(
      () => new EcsTaskRoles("x", { statements: [{ actions: ["s3:PutObject"], resources: ["*"] }] }),
      KeylessErrorCode.WriteOnAllResources,
      "statements[0].actions[0]",
    );
    await mocks.settle();
    assert.deepEqual(mocks.resources, []);
  });
});
