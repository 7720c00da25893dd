import * as assert from "node:assert/strict";
import { KeylessErrorCode, OidcProvider, PulumiCloudRole, type PulumiCloudRoleArgs } from "@keyless/aws";
import { evaluateTrust, subjectScope, webIdentityRequest } from "@keyless/iam-rules";
import { expectValidationError, resolved, useMocks } from "../../support/mocks";

const ROLE = "aws:iam/role:Role";
const PROVIDER_ARN = "arn:aws:iam::123456789012:oidc-provider/api.pulumi.com/oidc";

function admits(policy: string, claims: Record<string, string>): boolean {
  return evaluateTrust(policy, webIdentityRequest(PROVIDER_ARN, claims)).allowed;
}

// Subject formats from Pulumi's docs: ESC https://www.pulumi.com/docs/esc/guides/configuring-oidc/ (default and
// subjectAttributes), Deployments https://www.pulumi.com/docs/deployments/guides/oidc/.
describe("PulumiCloudRole", () => {
  const mocks = useMocks();

  async function trustOf(args: Partial<PulumiCloudRoleArgs>): Promise<string> {
    const role = new PulumiCloudRole("pc", { providerArn: PROVIDER_ARN, organization: "acme", ...args });
    const policy = (await resolved(role.trustPolicy))!;
    await mocks.settle();
    assert.equal(mocks.one(ROLE, "pc-role").inputs.assumeRolePolicy, policy);
    return policy;
  }

  describe("ESC environments (aws-login)", () => {
    it("pins aud aws:<org> and the environment's two subject forms", async () => {
      // GIVEN / WHEN
      const policy = await trustOf({ environments: ["web/prod"] });
      // THEN
      assert.deepEqual(JSON.parse(policy).Statement[0].Condition, {
        StringEquals: {
          "api.pulumi.com/oidc:aud": "aws:acme",
          "api.pulumi.com/oidc:sub": [
            "pulumi:environments:org:acme:env:web/prod",
            "pulumi:environments:pulumi.organization.login:acme:currentEnvironment.name:web/prod",
          ],
        },
      });
      const aud = "aws:acme";
      assert.equal(admits(policy, { aud, sub: "pulumi:environments:org:acme:env:web/prod" }), true);
      assert.equal(
        admits(policy, {
          aud,
          sub: "pulumi:environments:pulumi.organization.login:acme:currentEnvironment.name:web/prod",
        }),
        true,
      );
      assert.equal(admits(policy, { aud, sub: "pulumi:environments:org:acme:env:web/dev" }), false, "other env");
      assert.equal(admits(policy, { aud, sub: "pulumi:environments:org:acme:env:api/prod" }), false, "other project");
      assert.equal(admits(policy, { aud: "aws:evil", sub: "pulumi:environments:org:evil:env:web/prod" }), false);
      assert.equal(admits(policy, { aud: "acme", sub: "pulumi:environments:org:acme:env:web/prod" }), false);
      assert.equal(
        admits(policy, { aud, sub: "pulumi:deploy:org:acme:project:web:stack:prod:operation:update:scope:write" }),
        false,
        "a deployment",
      );
      // Every subject the role accepts names one organisation and project, as iam-rules reads Pulumi's formats.
      for (const sub of JSON.parse(policy).Statement[0].Condition.StringEquals["api.pulumi.com/oidc:sub"]) {
        assert.equal(subjectScope("pulumi", "sub", sub).scoped, true, sub);
      }
    });

    it("uses StringLike for a wildcard environment, inside one project", async () => {
      const policy = await trustOf({ environments: ["web/*"] });
      assert.ok(JSON.parse(policy).Statement[0].Condition.StringLike);
      assert.equal(admits(policy, { aud: "aws:acme", sub: "pulumi:environments:org:acme:env:web/staging" }), true);
      assert.equal(admits(policy, { aud: "aws:acme", sub: "pulumi:environments:org:acme:env:api/staging" }), false);
    });
  });

  describe("Deployments", () => {
    it("pins aud <org> and the stack's subject, any operation", async () => {
      const policy = await trustOf({ stacks: ["web/prod"] });
      assert.deepEqual(JSON.parse(policy).Statement[0].Condition, {
        StringEquals: { "api.pulumi.com/oidc:aud": "acme" },
        StringLike: {
          "api.pulumi.com/oidc:sub": "pulumi:deploy:org:acme:project:web:stack:prod:operation:*:scope:write",
        },
      });
      const sub = (project: string, stack: string, op: string) =>
        `pulumi:deploy:org:acme:project:${project}:stack:${stack}:operation:${op}:scope:write`;
      assert.equal(admits(policy, { aud: "acme", sub: sub("web", "prod", "update") }), true);
      assert.equal(admits(policy, { aud: "acme", sub: sub("web", "prod", "destroy") }), true);
      assert.equal(admits(policy, { aud: "acme", sub: sub("web", "dev", "update") }), false, "other stack");
      assert.equal(admits(policy, { aud: "acme", sub: sub("api", "prod", "update") }), false, "other project");
      assert.equal(admits(policy, { aud: "aws:acme", sub: sub("web", "prod", "update") }), false, "ESC audience");
    });

    it("limits the operations, with StringEquals", async () => {
      const policy = await trustOf({ stacks: ["web/prod"], operations: ["preview"] });
      const condition = JSON.parse(policy).Statement[0].Condition;
      assert.equal(condition.StringLike, undefined);
      const sub = (op: string) => `pulumi:deploy:org:acme:project:web:stack:prod:operation:${op}:scope:write`;
      assert.equal(admits(policy, { aud: "acme", sub: sub("preview") }), true);
      assert.equal(admits(policy, { aud: "acme", sub: sub("update") }), false);
    });

    it("takes the ARN of an OidcProvider, and a default description", async () => {
      const provider = OidcProvider.pulumiCloud("pulumi", { organization: "acme" });
      const role = new PulumiCloudRole("pc", { providerArn: provider.arn, organization: "acme", stacks: ["web/*"] });
      assert.equal(JSON.parse((await resolved(role.trustPolicy))!).Statement[0].Principal.Federated, PROVIDER_ARN);
      await mocks.settle();
      assert.equal(mocks.one(ROLE).inputs.description, "keyless role for Pulumi Cloud Deployments of acme");
      assert.ok((await resolved(role.roleName))!.startsWith("pc-role-"));
      assert.ok(await resolved(role.roleArn));
    });
  });

  describe("validation", () => {
    const make = (args: Partial<PulumiCloudRoleArgs>) => () =>
      new PulumiCloudRole("pc", {
        providerArn: PROVIDER_ARN,
        organization: "acme",
        environments: ["web/prod"],
        ...args,
      });
    const refusals: [string, Partial<PulumiCloudRoleArgs>, string, string, RegExp?][] = [
      ["a wildcard organization", { organization: "ac*" }, KeylessErrorCode.WildcardSubject, "organization"],
      ["an uppercase organization", { organization: "Acme" }, KeylessErrorCode.InvalidArgument, "organization"],
      ["a wildcard project", { environments: ["*/prod"] }, KeylessErrorCode.WildcardSubject, "environments[0]"],
      [
        "a wildcard stack project",
        { environments: undefined, stacks: ["w?b/prod"] },
        KeylessErrorCode.WildcardSubject,
        "stacks[0]",
      ],
      [
        "an environment of the legacy default project",
        { environments: ["prod"] },
        KeylessErrorCode.InvalidArgument,
        "environments[0]",
        /legacy `default` project/,
      ],
      [
        "a fully qualified stack",
        { environments: undefined, stacks: ["acme/web/prod"] },
        KeylessErrorCode.InvalidArgument,
        "stacks[0]",
        /Leave out the organization/,
      ],
      ["no scope", { environments: undefined }, KeylessErrorCode.InvalidArgument, "environments|stacks"],
      ["both scopes", { stacks: ["web/prod"] }, KeylessErrorCode.ConflictingArguments, "stacks"],
      ["operations for ESC", { operations: ["update"] }, KeylessErrorCode.ConflictingArguments, "operations"],
      [
        "an unknown operation",
        { environments: undefined, stacks: ["web/prod"], operations: ["preview", "deploy"] },
        KeylessErrorCode.InvalidArgument,
        "operations[1]",
      ],
      ["no environment", { environments: [] }, KeylessErrorCode.InvalidArgument, "environments"],
      [
        "the provider of GitHub",
        { providerArn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" },
        KeylessErrorCode.IssuerMismatch,
        "providerArn",
      ],
      [
        "a privileged managed policy",
        { managedPolicies: [{ arn: "arn:aws:iam::aws:policy/AdministratorAccess" }] },
        KeylessErrorCode.PrivilegedManagedPolicy,
        "managedPolicies[0].arn",
      ],
    ];
    for (const [what, args, code, argument, message] of refusals) {
      it(`refuses ${what} before registering anything`, async () => {
        const err = expectValidationError(make(args), code, argument);
        if (message !== undefined) assert.match(err.message, message);
        await mocks.settle();
        assert.deepEqual(mocks.resources, [], "no half component");
      });
    }

    it("refuses missing arguments", () => {
      expectValidationError(
        () => new PulumiCloudRole("pc", undefined as never),
        KeylessErrorCode.InvalidArgument,
        "args",
      );
    });
  });
});
