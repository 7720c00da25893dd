import * as assert from "node:assert/strict";
import { EksServiceAccountRole, type EksServiceAccountRoleArgs, KeylessErrorCode, OidcProvider } from "@keyless/aws";
import { evaluateTrust, webIdentityRequest } from "@keyless/iam-rules";
import * as pulumi from "@pulumi/pulumi";
import { expectValidationError, resolved, useMocks } from "../../support/mocks";

const ROLE = "aws:iam/role:Role";
const ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF";
const PROVIDER_ARN = `arn:aws:iam::123456789012:oidc-provider/${ISSUER}`;
const OTHER_CLUSTER = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/FEDCBA9876543210";

function admits(policy: string, claims: Record<string, string>, providerArn = PROVIDER_ARN): boolean {
  return evaluateTrust(policy, webIdentityRequest(providerArn, { aud: "sts.amazonaws.com", ...claims })).allowed;
}

describe("EksServiceAccountRole", () => {
  const mocks = useMocks();

  it("pins aud and sub to one service account with StringEquals, and admits only its pods", async () => {
    // GIVEN
    const role = new EksServiceAccountRole("api", {
      providerArn: PROVIDER_ARN,
      namespace: "payments",
      serviceAccount: "api",
    });
    // WHEN
    const policy = (await resolved(role.trustPolicy))!;
    await mocks.settle();
    // THEN
    assert.equal(mocks.one(ROLE, "api-role").inputs.assumeRolePolicy, policy);
    assert.deepEqual(JSON.parse(policy).Statement[0], {
      Effect: "Allow",
      Principal: { Federated: PROVIDER_ARN },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: {
        StringEquals: {
          [`${ISSUER}:aud`]: "sts.amazonaws.com",
          [`${ISSUER}:sub`]: "system:serviceaccount:payments:api",
        },
      },
    });
    assert.equal(admits(policy, { sub: "system:serviceaccount:payments:api" }), true);
    assert.equal(admits(policy, { sub: "system:serviceaccount:default:api" }), false, "other namespace");
    assert.equal(admits(policy, { sub: "system:serviceaccount:payments:worker" }), false, "other service account");
    assert.equal(admits(policy, { sub: "system:serviceaccount:payments:api", aud: "other" }), false, "other audience");
    assert.equal(admits(policy, { sub: "system:serviceaccount:payments:api" }, OTHER_CLUSTER), false, "other cluster");
    assert.equal(mocks.one(ROLE).inputs.description, "keyless role for service account payments/api");
  });

  it("takes the ARN of the cluster's OidcProvider", async () => {
    const irsa = OidcProvider.eksCluster("irsa", { issuerUrl: pulumi.output(`https://${ISSUER}`) });
    const role = new EksServiceAccountRole("api", {
      providerArn: irsa.arn,
      namespace: "payments",
      serviceAccount: "api",
      statements: [{ actions: ["sqs:SendMessage"], resources: ["arn:aws:sqs:eu-west-1:123456789012:orders"] }],
    });
    const policy = (await resolved(role.trustPolicy))!;
    assert.equal(admits(policy, { sub: "system:serviceaccount:payments:api" }), true);
    assert.ok((await resolved(role.roleArn))!.includes(":role/api-role-"));
    assert.ok((await resolved(role.roleName))!.startsWith("api-role-"));
    await mocks.settle();
    assert.equal(mocks.ofType("aws:iam/rolePolicy:RolePolicy").length, 1);
    assert.match((await resolved(role.policy!.urn))!, /keyless:aws:EksServiceAccountRole\$aws:iam/);
  });

  describe("validation", () => {
    const make = (args: Partial<EksServiceAccountRoleArgs>) => () =>
      new EksServiceAccountRole("api", {
        providerArn: PROVIDER_ARN,
        namespace: "payments",
        serviceAccount: "api",
        ...args,
      });
    const refusals: [string, Partial<EksServiceAccountRoleArgs>, string, string][] = [
      ["a wildcard namespace", { namespace: "pay*" }, KeylessErrorCode.WildcardSubject, "namespace"],
      ["a wildcard service account", { serviceAccount: "*" }, KeylessErrorCode.WildcardSubject, "serviceAccount"],
      ["an uppercase namespace", { namespace: "Payments" }, KeylessErrorCode.InvalidArgument, "namespace"],
      ["a namespace of 64 characters", { namespace: "a".repeat(64) }, KeylessErrorCode.InvalidArgument, "namespace"],
      [
        "a service account with a colon",
        { serviceAccount: "api:x" },
        KeylessErrorCode.InvalidArgument,
        "serviceAccount",
      ],
      ["no namespace", { namespace: undefined as never }, KeylessErrorCode.InvalidArgument, "namespace"],
      ["no service account", { serviceAccount: "" }, KeylessErrorCode.InvalidArgument, "serviceAccount"],
      [
        "the provider of GitHub",
        { providerArn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" },
        KeylessErrorCode.IssuerMismatch,
        "providerArn",
      ],
      ["a bad maxSessionDuration", { maxSessionDuration: 60 }, KeylessErrorCode.InvalidArgument, "maxSessionDuration"],
    ];
    for (const [what, args, code, argument] of refusals) {
      it(`refuses ${what} before registering anything`, async () => {
        expectValidationError(make(args), code, argument);
        await mocks.settle();
        assert.deepEqual(mocks.resources, [], "no half component");
      });
    }

    it("refuses missing arguments", () => {
      expectValidationError(
        () => new EksServiceAccountRole("api", undefined as never),
        KeylessErrorCode.InvalidArgument,
        "args",
      );
    });
  });
});
