import { leastPrivilege, roleTrustMatchesUse } from "@keyless/policy-pack/policies";
import * as aws from "@pulumi/aws";
import {
  assertHasViolation,
  assertNoViolations,
  assertUndecided,
  createStackValidationArgs,
  runStackPolicy,
  type StackResourceSpec,
  UNKNOWN,
  urnOf,
} from "../support/policy";
import { check } from "../support/policy-credentials";

const trust = (service: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
const doc = (actions: string | string[], resource: string | string[] = "arn:aws:s3:::app-data/*") =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions, Resource: resource }] });

/** A happy stack: an EC2 role in a profile, a Lambda role, ECS task and execution roles, each trusted right. */
function happyStack(): StackResourceSpec[] {
  return [
    {
      type: aws.iam.Role,
      name: "web-role",
      props: {
        name: "web-role-1a2b3c4",
        arn: "arn:aws:iam::123456789012:role/web-role-1a2b3c4",
        assumeRolePolicy: trust("ec2.amazonaws.com"),
      },
    },
    { type: aws.iam.InstanceProfile, name: "web-profile", props: { role: "web-role-1a2b3c4" } },
    {
      type: aws.iam.RolePolicy,
      name: "web-read",
      props: { role: "web-role-1a2b3c4", policy: doc(["s3:GetObject", "s3:ListBucket"]) },
    },
    {
      type: aws.iam.Role,
      name: "fn-role",
      props: {
        name: "fn-role",
        arn: "arn:aws:iam::123456789012:role/fn-role",
        assumeRolePolicy: trust("lambda.amazonaws.com"),
      },
    },
    { type: aws.lambda.Function, name: "fn", props: { role: "arn:aws:iam::123456789012:role/fn-role" } },
    {
      type: aws.iam.RolePolicyAttachment,
      name: "fn-logs",
      props: { role: "fn-role", policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" },
    },
    {
      type: aws.iam.Role,
      name: "task-role",
      props: {
        name: "task-role",
        arn: "arn:aws:iam::123456789012:role/task-role",
        assumeRolePolicy: trust("ecs-tasks.amazonaws.com"),
      },
    },
    {
      type: aws.iam.Role,
      name: "exec-role",
      props: {
        name: "exec-role",
        arn: "arn:aws:iam::123456789012:role/exec-role",
        assumeRolePolicy: trust("ecs-tasks.amazonaws.com"),
      },
    },
    {
      type: aws.ecs.TaskDefinition,
      name: "task",
      props: {
        taskRoleArn: "arn:aws:iam::123456789012:role/task-role",
        executionRoleArn: "arn:aws:iam::123456789012:role/exec-role",
      },
    },
    // An admin role nobody's compute uses: out of scope for both policies.
    {
      type: aws.iam.Role,
      name: "admin",
      props: {
        name: "admin",
        arn: "arn:aws:iam::123456789012:role/admin",
        assumeRolePolicy: trust("ec2.amazonaws.com"),
        managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
      },
    },
  ];
}

function replace(stack: StackResourceSpec[], name: string, props: Record<string, unknown>): StackResourceSpec[] {
  return stack.map((r) => (r.name === name ? { ...r, props: { ...r.props, ...props } } : r));
}

describe("#role-trust-matches-use", () => {
  const policy = roleTrustMatchesUse;
  const run = (stack: StackResourceSpec[], config = {}) =>
    runStackPolicy(policy, createStackValidationArgs(stack, policy, config));

  it("passes the happy stack", async () => assertNoViolations(await run(happyStack())));

  it("flags a profile role that trusts Lambda instead of EC2", async () => {
    const o = await run(replace(happyStack(), "web-role", { assumeRolePolicy: trust("lambda.amazonaws.com") }));
    assertHasViolation(o, {
      message: "Role `web-role` is used by instance profile `web-profile` and must trust `ec2.amazonaws.com`",
      urn: urnOf("aws:iam/role:Role", "web-role"),
    });
  });

  it("flags a Lambda role trusting EC2, and ECS roles trusting EC2", async () => {
    assertHasViolation(await run(replace(happyStack(), "fn-role", { assumeRolePolicy: trust("ec2.amazonaws.com") })), {
      message: "must trust `lambda.amazonaws.com`",
    });
    const o = await run(
      replace(replace(happyStack(), "task-role", { assumeRolePolicy: trust("ec2.amazonaws.com") }), "exec-role", {
        assumeRolePolicy: trust("ec2.amazonaws.com"),
      }),
    );
    assertHasViolation(o, { message: "(task role) and must trust `ecs-tasks.amazonaws.com`" });
    assertHasViolation(o, { message: "(execution role) and must trust `ecs-tasks.amazonaws.com`" });
  });

  it("links roles through property dependencies when names are not known yet", async () => {
    const stack = replace(
      replace(happyStack(), "web-role", {
        name: UNKNOWN,
        arn: UNKNOWN,
        assumeRolePolicy: trust("lambda.amazonaws.com"),
      }),
      "web-profile",
      { role: UNKNOWN },
    );
    const linked = stack.map((r) =>
      r.name === "web-profile" ? { ...r, propertyDependencies: { role: ["web-role"] } } : r,
    );
    const o = await run(linked, { failOnUnknown: false });
    assertHasViolation(o, { message: "Role `web-role` is used by instance profile `web-profile`" });
  });

  it("flags an invalid trust policy", async () => {
    assertHasViolation(await run(replace(happyStack(), "web-role", { assumeRolePolicy: "{not json" })), {
      message: "not valid JSON",
    });
  });

  it("leaves an unknown trust policy to an advisory note, or fails with failOnUnknown", async () => {
    const stack = replace(happyStack(), "web-role", { assumeRolePolicy: UNKNOWN });
    assertUndecided(await run(stack));
    assertHasViolation(await run(stack, { failOnUnknown: true }), {
      message: "`assumeRolePolicy` of role `web-role` is unknown during preview",
    });
  });
});

describe("#least-privilege", () => {
  const policy = leastPrivilege;
  const run = (stack: StackResourceSpec[], config = {}) =>
    runStackPolicy(policy, createStackValidationArgs(stack, policy, config));

  it("passes the happy stack (the unused admin role is out of scope)", async () =>
    assertNoViolations(await run(happyStack())));

  it("flags * and service:* actions", async () => {
    assertHasViolation(await run(replace(happyStack(), "web-read", { policy: doc("*", "*") })), {
      message: "must not be granted `*` (all actions",
    });
    assertHasViolation(await run(replace(happyStack(), "web-read", { policy: doc("s3:*") })), { message: "`s3:*`" });
  });

  it("flags Allow with NotAction", async () => {
    const policyDoc = JSON.stringify({ Statement: [{ Effect: "Allow", NotAction: "iam:*", Resource: "*" }] });
    assertHasViolation(await run(replace(happyStack(), "web-read", { policy: policyDoc })), {
      message: "Allow with NotAction",
    });
  });

  it("flags AdministratorAccess, PowerUserAccess and IAMFullAccess however attached", async () => {
    assertHasViolation(
      await run(replace(happyStack(), "fn-logs", { policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" })),
      {
        message: "must not have the AWS managed policy `AdministratorAccess` (attached by `fn-logs`)",
      },
    );
    assertHasViolation(
      await run(replace(happyStack(), "fn-role", { managedPolicyArns: ["arn:aws:iam::aws:policy/PowerUserAccess"] })),
      { message: "`PowerUserAccess`" },
    );
    const stack = [
      ...happyStack(),
      {
        type: aws.iam.PolicyAttachment,
        name: "pa",
        props: { roles: ["task-role"], policyArn: "arn:aws:iam::aws:policy/IAMFullAccess" },
      },
      {
        type: aws.iam.RolePolicyAttachmentsExclusive,
        name: "ex",
        props: { roleName: "exec-role", policyArns: ["arn:aws-us-gov:iam::aws:policy/AdministratorAccess"] },
      },
    ];
    const o = await run(stack);
    assertHasViolation(o, { message: "`IAMFullAccess` (attached by `pa`)" });
    assertHasViolation(o, { message: "`AdministratorAccess` (attached by `ex`)" });
  });

  it("allows an allowlisted managed policy", async () => {
    const arn = "arn:aws:iam::aws:policy/PowerUserAccess";
    assertNoViolations(
      await run(replace(happyStack(), "fn-role", { managedPolicyArns: [arn] }), { allowedManagedPolicyArns: [arn] }),
    );
  });

  it("flags privilege-escalation actions, also through wildcards, unless allowlisted", async () => {
    assertHasViolation(await run(replace(happyStack(), "web-read", { policy: doc("iam:CreateAccessKey", "*") })), {
      message: "privilege escalation: iam:CreateAccessKey",
    });
    assertHasViolation(await run(replace(happyStack(), "web-read", { policy: doc("iam:Put*Policy", "*") })), {
      message: "iam:PutRolePolicy",
    });
    assertNoViolations(
      await run(replace(happyStack(), "web-read", { policy: doc("iam:CreateAccessKey", "*") }), {
        allowedActions: ["iam:createaccesskey"],
      }),
    );
  });

  it("flags iam:PassRole and sts:AssumeRole only on an unbounded resource: *, or every role of an account", async () => {
    assertHasViolation(await run(replace(happyStack(), "web-read", { policy: doc("iam:PassRole", "*") })), {
      message: "iam:PassRole",
    });
    // GIVEN patterns that reach every role although they are not the literal "*"
    const unbounded: [string, string[]][] = [
      ["iam:PassRole", ["arn:aws:iam::*:role/*"]],
      ["iam:PassRole", ["arn:aws:iam::123456789012:role/*"]],
      ["sts:AssumeRole", ["arn:*:iam::*:role/*"]],
      ["sts:AssumeRole", ["arn:aws:iam::210987654321:role/reader", "arn:aws:iam::*:*"]],
    ];
    for (const [action, resources] of unbounded) {
      // THEN each is flagged as privilege escalation
      const o = await run(replace(happyStack(), "web-read", { policy: doc(action, resources) }));
      assertHasViolation(o, { message: `privilege escalation: ${action}` });
    }
    assertNoViolations(
      await run(replace(happyStack(), "web-read", { policy: doc("iam:PassRole", "arn:aws:iam::*:role/app/deployer") })),
    );
    assertNoViolations(
      await run(
        replace(happyStack(), "web-read", { policy: doc("iam:PassRole", "arn:aws:iam::123456789012:role/worker") }),
      ),
    );
    assertNoViolations(
      await run(
        replace(happyStack(), "web-read", { policy: doc("sts:AssumeRole", "arn:aws:iam::210987654321:role/reader") }),
      ),
    );
  });

  it("flags IAM permissions-management actions from the iam-data access levels", async () => {
    const o = await run(replace(happyStack(), "web-read", { policy: doc("iam:TagRole", "*") }));
    assertNoViolations(o); // Tagging, not permissions management
    assertHasViolation(await run(replace(happyStack(), "web-read", { policy: doc("iam:DetachRolePolicy", "*") })), {
      message: "permissions management: iam:detachrolepolicy",
    });
    assertNoViolations(
      await run(replace(happyStack(), "web-read", { policy: doc("iam:DetachRolePolicy", "*") }), {
        permissionsManagementServices: [],
      }),
    );
  });

  it("checks customer managed policies attached by ARN or by dependency, and inline policies", async () => {
    const stack = [
      ...happyStack(),
      {
        type: aws.iam.Policy,
        name: "wide",
        props: { arn: "arn:aws:iam::123456789012:policy/wide", policy: doc("ec2:*", "*") },
      },
      {
        type: aws.iam.RolePolicyAttachment,
        name: "wide-attach",
        props: { role: "task-role", policyArn: "arn:aws:iam::123456789012:policy/wide" },
      },
    ];
    assertHasViolation(await run(stack), { message: "`ec2:*` (all actions of a service) by policy `wide`" });
    const inline = replace(happyStack(), "exec-role", { inlinePolicies: [{ name: "x", policy: doc("*", "*") }] });
    assertHasViolation(await run(inline), { message: "by an inline policy" });
  });

  it("at preview, checks a new role linked only by dependency (its name and ARN unknown) with no advisory note", async () => {
    // GIVEN a new role whose name and ARN the engine does not know yet, linked to its profile, its inline policy and a
    // managed policy attachment only through property dependencies, as `pulumi preview` sends a first deployment
    const preview = (statementActions: string): StackResourceSpec[] => [
      {
        type: aws.iam.Role,
        name: "new-role",
        props: { name: UNKNOWN, arn: UNKNOWN, assumeRolePolicy: trust("ec2.amazonaws.com") },
      },
      {
        type: aws.iam.InstanceProfile,
        name: "new-profile",
        props: { role: UNKNOWN },
        propertyDependencies: { role: ["new-role"] },
      },
      {
        type: aws.iam.RolePolicy,
        name: "new-read",
        props: { role: UNKNOWN, policy: doc(statementActions) },
        propertyDependencies: { role: ["new-role"] },
      },
      {
        type: aws.iam.RolePolicyAttachment,
        name: "new-admin",
        props: { role: UNKNOWN, policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
        propertyDependencies: { role: ["new-role"] },
      },
    ];
    // THEN a least-privilege role passes outright, and a wildcard is found through the dependency links
    assertNoViolations(await run(preview("s3:GetObject")));
    assertHasViolation(await run(preview("s3:*")), {
      message: "`s3:*` (all actions of a service) by role policy `new-read`",
    });
    const admin = replace(preview("s3:GetObject"), "new-admin", {
      policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
    });
    assertHasViolation(await run(admin), { message: "AdministratorAccess" });
  });

  it("flags an invalid policy document", async () => {
    assertHasViolation(await run(replace(happyStack(), "web-read", { policy: "nope" })), {
      message: "is not a valid policy document",
    });
  });

  it("leaves unknown policy documents to an advisory note, or fails with failOnUnknown", async () => {
    const stack = replace(happyStack(), "web-read", { policy: UNKNOWN });
    assertUndecided(await run(stack));
    assertHasViolation(await run(stack, { failOnUnknown: true }), { message: "unknown during preview" });
  });

  it("does nothing on a stack without compute", async () => {
    const o = await run([{ type: aws.s3.Bucket, name: "b", props: {} }]);
    check(o.violations.length === 0, "no violations");
  });
});
