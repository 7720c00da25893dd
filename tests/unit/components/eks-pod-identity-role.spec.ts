import * as assert from "node:assert/strict";
import { EksPodIdentityRole, type EksPodIdentityRoleArgs, KeylessErrorCode } from "@keyless/aws";
import { type AssumeRoleRequest, evaluateTrust } from "@keyless/iam-rules";
import * as pulumi from "@pulumi/pulumi";
import { deployFailures, expectFailure, expectValidationError, ownedBy, resolved, useMocks } from "../../support/mocks";

const ROLE = "aws:iam/role:Role";
const ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation";
const CLUSTER = "arn:aws:eks:eu-west-1:123456789012:cluster/prod";

/** The request EKS Pod Identity makes: pods.eks.amazonaws.com, with the session tags it sets for the pod. */
function podRequest(
  action: string,
  tags: { cluster?: string; namespace?: string; serviceAccount?: string; account?: string } = {},
): AssumeRoleRequest {
  return {
    principal: { service: "pods.eks.amazonaws.com" },
    action,
    context: {
      "aws:SourceAccount": tags.account ?? "123456789012",
      "aws:RequestTag/eks-cluster-arn": tags.cluster ?? CLUSTER,
      "aws:RequestTag/eks-cluster-name": "prod",
      "aws:RequestTag/kubernetes-namespace": tags.namespace ?? "payments",
      "aws:RequestTag/kubernetes-service-account": tags.serviceAccount ?? "api",
      "aws:RequestTag/kubernetes-pod-name": "api-7d9f",
    },
  };
}

describe("EksPodIdentityRole", () => {
  const mocks = useMocks();

  it("trusts pods.eks.amazonaws.com for one cluster, namespace and service account, and associates the role", async () => {
    // GIVEN
    const role = new EksPodIdentityRole("api", { clusterArn: CLUSTER, namespace: "payments", serviceAccount: "api" });
    // WHEN
    const policy = (await resolved(role.trustPolicy))!;
    await mocks.settle();
    // THEN
    assert.deepEqual(JSON.parse(policy).Statement, [
      {
        Effect: "Allow",
        Principal: { Service: "pods.eks.amazonaws.com" },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Condition: {
          StringEquals: {
            "aws:SourceAccount": "123456789012",
            "aws:RequestTag/eks-cluster-arn": CLUSTER,
            "aws:RequestTag/kubernetes-namespace": "payments",
            "aws:RequestTag/kubernetes-service-account": "api",
          },
        },
      },
    ]);
    assert.equal(mocks.one(ROLE, "api-role").inputs.assumeRolePolicy, policy);
    for (const action of ["sts:AssumeRole", "sts:TagSession"]) {
      assert.equal(evaluateTrust(policy, podRequest(action)).allowed, true, action);
    }
    const refused: [string, Parameters<typeof podRequest>[1]][] = [
      ["other namespace", { namespace: "default" }],
      ["other service account", { serviceAccount: "worker" }],
      ["other cluster", { cluster: "arn:aws:eks:eu-west-1:123456789012:cluster/dev" }],
      ["other account", { account: "210987654321" }],
    ];
    for (const [what, tags] of refused) {
      assert.equal(evaluateTrust(policy, podRequest("sts:AssumeRole", tags)).allowed, false, what);
    }
    assert.equal(
      evaluateTrust(policy, { principal: { service: "ec2.amazonaws.com" }, context: podRequest("x").context }).allowed,
      false,
      "another service",
    );
    const association = mocks.one(ASSOCIATION, "api-association").inputs;
    assert.deepEqual(
      { ...association },
      {
        clusterName: "prod",
        namespace: "payments",
        serviceAccount: "api",
        roleArn: await resolved(role.roleArn),
        tags: ownedBy("keyless:aws:EksPodIdentityRole::api"),
      },
    );
    assert.match(
      (await resolved(role.associationArn!))!,
      /^arn:aws:eks:eu-west-1:\d{12}:podidentityassociation\/prod\//,
    );
    assert.equal(mocks.one(ROLE).inputs.description, "keyless EKS Pod Identity role for payments/api");
    assert.ok((await resolved(role.roleName))!.startsWith("api-role-"));
  });

  it("leaves the association out when asked, and takes a cluster ARN only known at deploy time", async () => {
    const role = new EksPodIdentityRole("api", {
      clusterArn: pulumi.output(CLUSTER),
      namespace: "payments",
      serviceAccount: "api",
      createAssociation: false,
      managedPolicies: [{ arn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" }],
    });
    assert.equal(evaluateTrust((await resolved(role.trustPolicy))!, podRequest("sts:AssumeRole")).allowed, true);
    await mocks.settle();
    assert.deepEqual(mocks.ofType(ASSOCIATION), []);
    assert.equal(role.associationArn, undefined);
    assert.equal(role.policyAttachments.length, 1);
  });

  describe("validation", () => {
    const make = (args: Partial<EksPodIdentityRoleArgs>) => () =>
      new EksPodIdentityRole("api", { clusterArn: CLUSTER, namespace: "payments", serviceAccount: "api", ...args });
    const refusals: [string, Partial<EksPodIdentityRoleArgs>, string, string][] = [
      ["a wildcard namespace", { namespace: "*" }, KeylessErrorCode.WildcardSubject, "namespace"],
      ["a wildcard service account", { serviceAccount: "api-?" }, KeylessErrorCode.WildcardSubject, "serviceAccount"],
      ["a bad namespace", { namespace: "-payments" }, KeylessErrorCode.InvalidArgument, "namespace"],
      ["a bad service account", { serviceAccount: "API" }, KeylessErrorCode.InvalidArgument, "serviceAccount"],
      [
        "a cluster ARN that is not one",
        { clusterArn: "arn:aws:eks:eu-west-1:123456789012:nodegroup/x" },
        KeylessErrorCode.InvalidArgument,
        "clusterArn",
      ],
      ["no cluster ARN", { clusterArn: undefined as never }, KeylessErrorCode.InvalidArgument, "clusterArn"],
      [
        "a non-boolean createAssociation",
        { createAssociation: "no" as never },
        KeylessErrorCode.InvalidArgument,
        "createAssociation",
      ],
      [
        "a * action",
        { statements: [{ actions: ["*"], resources: ["arn:aws:s3:::b"] }] },
        KeylessErrorCode.WildcardAction,
        "statements[0].actions[0]",
      ],
    ];
    for (const [what, args, code, argument] of refusals) {
      it(`refuses ${what} before registering anything`, async () => {
        expectValidationError(make(args), code, argument);
        await mocks.settle();
        assert.deepEqual(mocks.resources, [], "no half component");
      });
    }

    it("refuses missing arguments, and checks a cluster ARN known later before the role gets its trust policy", async () => {
      expectValidationError(
        () => new EksPodIdentityRole("api", undefined as never),
        KeylessErrorCode.InvalidArgument,
        "args",
      );
      const errors = await deployFailures(mocks, () => {
        new EksPodIdentityRole("api", {
          clusterArn: pulumi.output("prod"),
          namespace: "payments",
          serviceAccount: "api",
        });
      });
      expectFailure(errors, KeylessErrorCode.InvalidArgument, "clusterArn");
      assert.deepEqual(mocks.ofType(ROLE), [], "the role never got a trust policy");
    });
  });
});
