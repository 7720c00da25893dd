import * as assert from "node:assert/strict";
import { KeylessErrorCode, KeylessValidationError, WorkloadRole, WorkloadService } from "@keyless/aws";
import * as pulumi from "@pulumi/pulumi";
import { deployFailures, expectFailure, expectValidationError, ownedBy, resolved, useMocks } from "../../support/mocks";

const ROLE = "aws:iam/role:Role";
const POLICY = "aws:iam/rolePolicy:RolePolicy";
const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";

describe("WorkloadRole", () => {
  const mocks = useMocks();

  describe("trust policy", () => {
    for (const [service, principal] of [
      ["ec2", "ec2.amazonaws.com"],
      ["lambda", "lambda.amazonaws.com"],
      ["ecs-tasks", "ecs-tasks.amazonaws.com"],
    ] as const) {
      it(`is generated for ${service}`, async () => {
        // GIVEN / WHEN
        const role = new WorkloadRole("app", { service });
        await resolved(role.roleArn);
        await mocks.settle();
        // THEN
        const r = mocks.one(ROLE, "app-role");
        assert.equal(
          r.inputs.assumeRolePolicy,
          `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"${principal}"},"Action":"sts:AssumeRole"}]}`,
        );
        assert.equal(await resolved(role.servicePrincipal), principal);
      });
    }

    it("carries confused-deputy conditions for ecs-tasks", async () => {
      new WorkloadRole("svc", {
        service: WorkloadService.EcsTasks,
        trustSourceAccount: "123456789012",
        trustSourceArn: pulumi.output("arn:aws:ecs:eu-west-1:123456789012:*"),
      });
      await mocks.settle();
      assert.equal(
        mocks.one(ROLE).inputs.assumeRolePolicy,
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},' +
          '"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ecs:eu-west-1:123456789012:*"},' +
          '"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}',
      );
    });

    it("refuses confused-deputy conditions where AWS does not document them", () => {
      const err = expectValidationError(
        () => new WorkloadRole("x", { service: "ec2", trustSourceAccount: "123456789012" }),
        KeylessErrorCode.UnsupportedTrustCondition,
        "trustSourceAccount",
      );
      assert.match(err.message, /Remove `trustSourceAccount`/);
      expectValidationError(
        () => new WorkloadRole("x", { service: "lambda", trustSourceArn: "arn:aws:lambda:*" }),
        KeylessErrorCode.UnsupportedTrustCondition,
        "trustSourceArn",
      );
    });

    it("refuses an unknown service", () => {
      const err = expectValidationError(
        () => new WorkloadRole("x", { service: "ec3" as WorkloadService }),
        KeylessErrorCode.InvalidArgument,
        "service",
      );
      assert.match(err.message, /"ec2", "lambda", "ecs-tasks"/);
      assert.match(err.message, /Received "ec3"/);
    });
  });

  describe("children", () => {
    it("registers role, inline policy and hashed attachments, all parented to the component", async () => {
      // GIVEN
      const role = new WorkloadRole("app", {
        service: "ec2",
        path: "/workloads/",
        maxSessionDuration: 7200,
        permissionsBoundary: "arn:aws:iam::123456789012:policy/boundary",
        description: "reads reports",
        tags: { team: "data" },
        statements: [
          {
            sid: "Read",
            actions: ["s3:GetObject", "s3:ListBucket"],
            resources: ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"],
          },
          {
            actions: ["kms:Decrypt"],
            resources: [pulumi.output("arn:aws:kms:eu-west-1:123456789012:key/k")],
            conditions: { StringEquals: { "kms:ViaService": ["s3.eu-west-1.amazonaws.com"] } },
          },
        ],
        managedPolicies: [{ arn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" }],
      });
      // WHEN
      await resolved(role.roleArn);
      await mocks.settle();
      // THEN
      assert.deepEqual(
        mocks.summary(),
        [
          "aws:iam/role:Role::app-role",
          "aws:iam/rolePolicy:RolePolicy::app-policy",
          "aws:iam/rolePolicyAttachment:RolePolicyAttachment::app-317d63dd",
          "keyless:aws:WorkloadRole::app",
        ].sort(),
      );
      const r = mocks.one(ROLE).inputs;
      assert.equal(r.path, "/workloads/");
      assert.equal(r.maxSessionDuration, 7200);
      assert.equal(r.permissionsBoundary, "arn:aws:iam::123456789012:policy/boundary");
      assert.equal(r.description, "reads reports");
      assert.deepEqual(r.tags, { team: "data", ...ownedBy("keyless:aws:WorkloadRole::app") });
      assert.equal(r.name, undefined, "role is auto-named");
      assert.deepEqual(JSON.parse(mocks.one(POLICY).inputs.policy), {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "Read",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:ListBucket"],
            Resource: ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"],
          },
          {
            Effect: "Allow",
            Action: "kms:Decrypt",
            Resource: "arn:aws:kms:eu-west-1:123456789012:key/k",
            Condition: { StringEquals: { "kms:ViaService": ["s3.eu-west-1.amazonaws.com"] } },
          },
        ],
      });
      assert.equal(mocks.one(POLICY).inputs.role, "app-role-id");
      const att = mocks.one(ATTACHMENT).inputs;
      assert.equal(att.policyArn, "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore");
      assert.equal(att.role, await resolved(role.roleName));
      for (const child of [role.role, role.policy!, role.policyAttachments[0]!]) {
        assert.match((await resolved(child.urn))!, /keyless:aws:WorkloadRole\$aws:iam/);
      }
    });

    it("uses defaults: path /, one hour sessions, a description, no policy when no statements", async () => {
      new WorkloadRole("bare", { service: "lambda" });
      await mocks.settle();
      assert.deepEqual(mocks.summary(), ["aws:iam/role:Role::bare-role", "keyless:aws:WorkloadRole::bare"]);
      const r = mocks.one(ROLE).inputs;
      assert.equal(r.path, "/");
      assert.equal(r.maxSessionDuration, 3600);
      assert.equal(r.description, "keyless workload role for lambda.amazonaws.com");
      assert.deepEqual(r.tags, ownedBy("keyless:aws:WorkloadRole::bare"), "only keyless's ownership tags");
    });

    it("names attachments from the ARN hash, so reordering changes no child", async () => {
      const a = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
      const b = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy";
      new WorkloadRole("one", { service: "ec2", managedPolicies: [{ arn: a }, { arn: b }] });
      await mocks.settle();
      const first = mocks
        .ofType(ATTACHMENT)
        .map((x) => `${x.name}=${x.inputs.policyArn}`)
        .sort();
      mocks.resources.length = 0;
      new WorkloadRole("one", { service: "ec2", managedPolicies: [{ arn: b }, { arn: a }] });
      await mocks.settle();
      const second = mocks
        .ofType(ATTACHMENT)
        .map((x) => `${x.name}=${x.inputs.policyArn}`)
        .sort();
      assert.deepEqual(second, first);
    });

    it("honours an explicit role name", async () => {
      new WorkloadRole("named", { service: "ec2", roleName: "web-server" });
      await mocks.settle();
      assert.equal(mocks.one(ROLE).inputs.name, "web-server");
    });
  });

  describe("least privilege", () => {
    const refusals: [string, () => unknown, string, string][] = [
      [
        "a * action",
        () =>
          new WorkloadRole("x", { service: "ec2", statements: [{ actions: ["*"], resources: ["arn:aws:s3:::b"] }] }),
        KeylessErrorCode.WildcardAction,
        "statements[0].actions[0]",
      ],
      [
        "a <service>:* action",
        () =>
          new WorkloadRole("x", {
            service: "ec2",
            statements: [{ actions: ["s3:GetObject", "s3:*"], resources: ["arn:aws:s3:::b"] }],
          }),
        KeylessErrorCode.ServiceWildcardAction,
        "statements[0].actions[1]",
      ],
      [
        "a write action on *",
        () => new WorkloadRole("x", { service: "ec2", statements: [{ actions: ["s3:PutObject"], resources: ["*"] }] }),
        KeylessErrorCode.WriteOnAllResources,
        "statements[0].actions[0]",
      ],
      [
        "a permissions-management action on *",
        () =>
          new WorkloadRole("x", {
            service: "lambda",
            statements: [
              { actions: ["s3:GetObject"], resources: ["*"] },
              { actions: ["iam:AttachRolePolicy"], resources: ["*"] },
            ],
          }),
        KeylessErrorCode.WriteOnAllResources,
        "statements[1].actions[0]",
      ],
      [
        "a wildcard pattern that includes writes, on *",
        () => new WorkloadRole("x", { service: "ec2", statements: [{ actions: ["s3:Put*"], resources: ["*"] }] }),
        KeylessErrorCode.WriteOnAllResources,
        "statements[0].actions[0]",
      ],
      [
        "iam:PassRole on every role of every account (arn:aws:iam::*:role/*)",
        () =>
          new WorkloadRole("x", {
            service: "ec2",
            statements: [{ actions: ["iam:PassRole"], resources: ["arn:aws:iam::*:role/*"] }],
          }),
        KeylessErrorCode.WriteOnAllResources,
        "statements[0].actions[0]",
      ],
      [
        "iam:AttachRolePolicy on every role of the account",
        () =>
          new WorkloadRole("x", {
            service: "ec2",
            statements: [
              {
                actions: ["iam:AttachRolePolicy"],
                resources: ["arn:aws:iam::123456789012:role/app/worker", "arn:aws:iam::123456789012:role/*"],
              },
            ],
          }),
        KeylessErrorCode.WriteOnAllResources,
        "statements[0].actions[0]",
      ],
      [
        "s3:PutObject on every object of every bucket (arn:aws:s3:::*)",
        () =>
          new WorkloadRole("x", {
            service: "ec2",
            statements: [{ actions: ["s3:PutObject"], resources: ["arn:aws:s3:::*"] }],
          }),
        KeylessErrorCode.WriteOnAllResources,
        "statements[0].actions[0]",
      ],
      [
        "an unknown action",
        () =>
          new WorkloadRole("x", {
            service: "ec2",
            statements: [{ actions: ["s3:GetObjekt"], resources: ["arn:aws:s3:::b/*"] }],
          }),
        KeylessErrorCode.UnknownAction,
        "statements[0].actions[0]",
      ],
      [
        "an unknown service",
        () =>
          new WorkloadRole("x", {
            service: "ec2",
            statements: [{ actions: ["nosuchservice:Get"], resources: ["arn:aws:s3:::b/*"] }],
          }),
        KeylessErrorCode.UnknownAction,
        "statements[0].actions[0]",
      ],
      [
        "AdministratorAccess",
        () =>
          new WorkloadRole("x", {
            service: "ec2",
            managedPolicies: [{ arn: "arn:aws:iam::aws:policy/AdministratorAccess" }],
          }),
        KeylessErrorCode.PrivilegedManagedPolicy,
        "managedPolicies[0].arn",
      ],
      [
        "PowerUserAccess",
        () =>
          new WorkloadRole("x", {
            service: "ec2",
            managedPolicies: [{ arn: "arn:aws:iam::aws:policy/PowerUserAccess" }],
          }),
        KeylessErrorCode.PrivilegedManagedPolicy,
        "managedPolicies[0].arn",
      ],
      [
        "IAMFullAccess (other partition)",
        () =>
          new WorkloadRole("x", {
            service: "ec2",
            managedPolicies: [{ arn: "arn:aws-us-gov:iam::aws:policy/IAMFullAccess" }],
          }),
        KeylessErrorCode.PrivilegedManagedPolicy,
        "managedPolicies[0].arn",
      ],
    ];
    for (const [label, fn, code, argument] of refusals) {
      it(`refuses ${label} before registering anything`, async () => {
        const err = expectValidationError(fn, code, argument);
        assert.ok(err instanceof KeylessValidationError);
        assert.match(err.message, new RegExp(`\`${argument.replace(/[[\].]/g, "\\$&")}\``));
        assert.match(err.message, /leastPrivilegeException/, "the message says how to opt in");
        await mocks.settle();
        assert.deepEqual(mocks.resources, [], "no half component");
      });
    }

    it("names the write action and its access level", () => {
      const err = expectValidationError(
        () =>
          new WorkloadRole("x", {
            service: "ec2",
            statements: [{ actions: ["iam:AttachRolePolicy"], resources: ["*"] }],
          }),
        KeylessErrorCode.WriteOnAllResources,
      );
      assert.match(err.message, /iam:AttachRolePolicy, access level "Permissions management, Write"/);
    });

    it("names the unbounded resource, its index and the resource type it reaches", () => {
      const err = expectValidationError(
        () =>
          new WorkloadRole("x", {
            service: "ec2",
            statements: [
              { actions: ["iam:PassRole"], resources: ["arn:aws:iam::111122223333:role/a", "arn:aws:iam::*:role/*"] },
            ],
          }),
        KeylessErrorCode.WriteOnAllResources,
      );
      assert.match(
        err.message,
        /`statements\[0\]\.resources\[1\]` \("arn:aws:iam::\*:role\/\*"\) matches every `role`/,
      );
    });

    it("accepts writes on bounded resources: a named bucket, a role name under a path, a path prefix", async () => {
      // GIVEN statements whose wildcards stay inside one bucket or one role path
      new WorkloadRole("bounded", {
        service: "ec2",
        statements: [
          { actions: ["s3:PutObject"], resources: ["arn:aws:s3:::reports/*"] },
          { actions: ["iam:PassRole"], resources: ["arn:aws:iam::123456789012:role/app/deployer"] },
          { actions: ["iam:PassRole"], resources: ["arn:aws:iam::*:role/app/*"] },
        ],
      });
      await mocks.settle();
      // THEN the role and its policy are created
      assert.equal(mocks.ofType(POLICY).length, 1);
    });

    it("lets leastPrivilegeException lift the refusal of an unbounded resource for its statement", async () => {
      new WorkloadRole("deployer", {
        service: "lambda",
        statements: [
          {
            actions: ["iam:PassRole"],
            resources: ["arn:aws:iam::*:role/*"],
            leastPrivilegeException: "SEC-7 deployer",
          },
        ],
      });
      await mocks.settle();
      // THEN the statement is kept as written and the reason is recorded on the role
      assert.match(mocks.one(POLICY).inputs.policy, /"Action":"iam:PassRole","Resource":"arn:aws:iam::\*:role\/\*"/);
      assert.equal(mocks.one(ROLE).inputs.tags["keyless:least-privilege-exception/statement-0"], "SEC-7 deployer");
    });

    it("accepts reads on *, Deny statements, and actions AWS only allows on *", async () => {
      new WorkloadRole("ok", {
        service: "ec2",
        statements: [
          { actions: ["ec2:DescribeInstances", "s3:GetObject"], resources: ["*"] },
          { actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources: ["*"] },
          {
            effect: "Deny",
            actions: ["*"],
            resources: ["*"],
            conditions: { Bool: { "aws:SecureTransport": ["false"] } },
          },
        ],
      });
      await mocks.settle();
      assert.equal(mocks.ofType(POLICY).length, 1);
    });

    it("lifts the refusals for one statement with a reason, recorded as a tag", async () => {
      new WorkloadRole("break-glass", {
        service: "ec2",
        tags: { team: "ops" },
        statements: [
          { sid: "Migrate", actions: ["s3:*"], resources: ["*"], leastPrivilegeException: "SEC-42 one-off migration" },
          {
            actions: ["dynamodb:PutItem"],
            resources: ["*"],
            leastPrivilegeException: "table name only known at run time",
          },
        ],
        managedPolicies: [
          { arn: "arn:aws:iam::aws:policy/AdministratorAccess", leastPrivilegeException: "break-glass role" },
        ],
      });
      await mocks.settle();
      assert.deepEqual(mocks.one(ROLE).inputs.tags, {
        team: "ops",
        "keyless:least-privilege-exception/Migrate": "SEC-42 one-off migration",
        "keyless:least-privilege-exception/statement-1": "table name only known at run time",
        "keyless:least-privilege-exception/AdministratorAccess": "break-glass role",
        ...ownedBy("keyless:aws:WorkloadRole::break-glass"),
      });
    });

    it("does not let an exception on one statement lift another", () => {
      expectValidationError(
        () =>
          new WorkloadRole("x", {
            service: "ec2",
            statements: [
              { actions: ["s3:*"], resources: ["*"], leastPrivilegeException: "reason" },
              { actions: ["sqs:*"], resources: ["*"] },
            ],
          }),
        KeylessErrorCode.ServiceWildcardAction,
        "statements[1].actions[0]",
      );
    });

    it("refuses an exception reason that cannot be a tag value", () => {
      for (const reason of ["", "   ", "x".repeat(257), "no <html> please"]) {
        expectValidationError(
          () =>
            new WorkloadRole("x", {
              service: "ec2",
              statements: [{ actions: ["s3:*"], resources: ["*"], leastPrivilegeException: reason }],
            }),
          KeylessErrorCode.InvalidArgument,
          "statements[0].leastPrivilegeException",
        );
      }
    });

    it("checks a resource only known at deploy time inside the policy's input, so the policy is never created", async () => {
      // GIVEN a write action whose resource resolves to "*" only once an output is known
      const errors = await deployFailures(mocks, () => {
        new WorkloadRole("late", {
          service: "ec2",
          statements: [{ actions: ["s3:PutObject"], resources: [pulumi.output("*")] }],
        });
      });
      // THEN
      expectFailure(errors, KeylessErrorCode.WriteOnAllResources, "statements[0].actions[0]");
      assert.deepEqual(mocks.summary(), ["aws:iam/role:Role::late-role", "keyless:aws:WorkloadRole::late"]);
    });

    it("refuses an output that resolves to an unbounded pattern, such as every role of the account", async () => {
      // GIVEN iam:PassRole on a resource built from an output: a fixed account and a wildcard role name
      const errors = await deployFailures(mocks, () => {
        new WorkloadRole("late", {
          service: "lambda",
          statements: [
            {
              actions: ["iam:PassRole"],
              resources: [pulumi.interpolate`arn:aws:iam::${pulumi.output("123456789012")}:role/*`],
            },
          ],
        });
      });
      // THEN the policy is never created
      expectFailure(errors, KeylessErrorCode.WriteOnAllResources, "statements[0].actions[0]");
      assert.deepEqual(mocks.summary(), ["aws:iam/role:Role::late-role", "keyless:aws:WorkloadRole::late"]);
    });

    it("checks a managed policy ARN only known at deploy time inside the attachment's input", async () => {
      const errors = await deployFailures(mocks, () => {
        new WorkloadRole("late", {
          service: "ec2",
          managedPolicies: [{ arn: pulumi.output("arn:aws:iam::aws:policy/AdministratorAccess") }],
        });
      });
      expectFailure(errors, KeylessErrorCode.PrivilegedManagedPolicy, "managedPolicies[0].arn");
      assert.equal(mocks.ofType(ATTACHMENT).length, 0);
    });

    it("names attachments by index when the ARN is only known at deploy time", async () => {
      new WorkloadRole("late", {
        service: "ec2",
        managedPolicies: [{ arn: pulumi.output("arn:aws:iam::aws:policy/ReadOnlyAccess") }],
      });
      await mocks.settle();
      assert.equal(mocks.one(ATTACHMENT).name, "late-managed-0");
    });
  });

  describe("argument checks", () => {
    const cases: [string, object, string][] = [
      ["empty actions", { statements: [{ actions: [], resources: ["*"] }] }, "statements[0].actions"],
      ["empty resources", { statements: [{ actions: ["s3:GetObject"], resources: [] }] }, "statements[0].resources"],
      [
        "bad action format",
        { statements: [{ actions: ["s3 GetObject"], resources: ["*"] }] },
        "statements[0].actions[0]",
      ],
      [
        "bad sid",
        { statements: [{ sid: "no-dash", actions: ["s3:GetObject"], resources: ["*"] }] },
        "statements[0].sid",
      ],
      [
        "duplicate sid",
        {
          statements: [
            { sid: "A", actions: ["s3:GetObject"], resources: ["*"] },
            { sid: "A", actions: ["s3:ListBucket"], resources: ["*"] },
          ],
        },
        "statements[1].sid",
      ],
      [
        "bad effect",
        { statements: [{ effect: "Maybe", actions: ["s3:GetObject"], resources: ["*"] }] },
        "statements[0].effect",
      ],
      ["session too short", { maxSessionDuration: 60 }, "maxSessionDuration"],
      ["session too long", { maxSessionDuration: 43201 }, "maxSessionDuration"],
      ["path without slashes", { path: "workloads" }, "path"],
      ["role name too long", { roleName: "r".repeat(65) }, "roleName"],
      ["not a policy ARN", { managedPolicies: [{ arn: "AmazonSSMManagedInstanceCore" }] }, "managedPolicies[0].arn"],
    ];
    for (const [label, extra, argument] of cases) {
      it(`refuses ${label}`, () => {
        const err = expectValidationError(
          () => new WorkloadRole("x", { service: "ec2", ...extra } as never),
          argument.endsWith("actions[0]") ? KeylessErrorCode.InvalidActionFormat : KeylessErrorCode.InvalidArgument,
          argument,
        );
        assert.match(err.message, /Received|must/);
      });
    }

    it("refuses missing arguments", () => {
      expectValidationError(() => new WorkloadRole("x", undefined as never), KeylessErrorCode.InvalidArgument, "args");
    });

    it("validates statements that arrive as one Output (component provider boundary) at deploy time", async () => {
      const errors = await deployFailures(mocks, () => {
        new WorkloadRole("remote", {
          service: "ec2",
          statements: pulumi.output([{ actions: ["*"], resources: ["*"] }]) as never,
        });
      });
      expectFailure(errors, KeylessErrorCode.WildcardAction, "statements[0].actions[0]");
      assert.equal(mocks.ofType(POLICY).length, 0);
    });

    it("refuses managed policies whose list is only known at deploy time", () => {
      expectValidationError(
        () => new WorkloadRole("remote", { service: "ec2", managedPolicies: pulumi.output([]) as never }),
        KeylessErrorCode.InvalidArgument,
        "managedPolicies",
      );
    });
  });
});

describe("KeylessValidationError", () => {
  it("carries a stable code and argument, and is recognised across copies", () => {
    const err = new KeylessValidationError(KeylessErrorCode.InvalidArgument, "path", "`path` must start with /.");
    assert.equal(err.code, "InvalidArgument");
    assert.equal(err.argument, "path");
    assert.match(err.message, /\[InvalidArgument\]$/);
    assert.ok(KeylessValidationError.isInstance(err));
    assert.ok(!KeylessValidationError.isInstance(new Error("x")));
  });
});
