import * as assert from "node:assert/strict";
import { componentProviderOptions, KeylessErrorCode, PACKAGE_NAME } from "@keyless/aws";
import { evaluateTrust, webIdentityRequest } from "@keyless/iam-rules";
import * as pulumi from "@pulumi/pulumi";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import { resolved, useMocks } from "../../support/mocks";

// The component package boundary (`pulumi package add`): the schema componentProviderHost derives from the sources,
// and Construct as the provider calls it. The real engine + YAML program test lives with the integration tests.
describe("component provider", () => {
  const mocks = useMocks();
  let provider: ComponentProvider;
  // biome-ignore lint/suspicious/noExplicitAny: schema JSON
  let schema: any;

  before(async function () {
    this.timeout(300_000); // the analyzer type-checks the package sources: 40 s alone, minutes beside the engine tests
    provider = new ComponentProvider(componentProviderOptions());
    schema = JSON.parse(await provider.getSchema());
  });

  it("derives a schema for every component under the package name keyless", () => {
    assert.equal(PACKAGE_NAME, "keyless");
    assert.equal(schema.name, "keyless");
    assert.equal(schema.version, "0.1.0");
    assert.deepEqual(Object.keys(schema.resources).sort(), [
      "keyless:index:EcsTaskRoles",
      "keyless:index:EksPodIdentityRole",
      "keyless:index:EksServiceAccountRole",
      "keyless:index:GitHubActionsRole",
      "keyless:index:GitLabCiRole",
      "keyless:index:InstanceProfile",
      "keyless:index:LambdaExecutionRole",
      "keyless:index:OidcProvider",
      "keyless:index:PulumiCloudRole",
      "keyless:index:SecureInstance",
      "keyless:index:SecureLaunchTemplate",
      "keyless:index:WorkloadRole",
    ]);
    assert.deepEqual(schema.dependencies, [{ name: "aws", version: "7.48.0" }]);
  });

  it("carries every TSDoc description as text: each component documented, nothing rendered as [object Object]", () => {
    // Pulumi's schema analyzer turns a TSDoc {@link} into "[object Object]": component and Args docs name types in
    // backticks instead, since these descriptions become the docs of every generated SDK.
    const broken: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (node === null || typeof node !== "object") return;
      for (const [key, value] of Object.entries(node)) {
        if (key === "description" && typeof value === "string" && value.includes("[object Object]")) broken.push(at);
        walk(value, `${at}.${key}`);
      }
    };
    walk(schema, "schema");
    assert.deepEqual(broken, []);
    for (const [token, resource] of Object.entries(schema.resources as Record<string, { description?: string }>)) {
      assert.ok((resource.description ?? "").length > 40, `${token} has a description`);
    }
  });

  it("keeps arguments and outputs to plain serializable types and aws resource references", () => {
    const si = schema.resources["keyless:index:SecureInstance"];
    assert.deepEqual(si.requiredInputs, ["ami", "instanceType"]);
    assert.equal(si.inputProperties.userData.type, "string");
    assert.match(si.inputProperties.instanceProfile.$ref, /aws:iam%2FinstanceProfile:InstanceProfile$/);
    assert.match(si.properties.instance.$ref, /aws:ec2%2Finstance:Instance$/);
    assert.deepEqual(
      schema.types["keyless:index:WorkloadService"].enum.map((e: { value: string }) => e.value),
      ["ec2", "lambda", "ecs-tasks"],
    );
    assert.deepEqual(schema.resources["keyless:index:WorkloadRole"].requiredInputs, ["service"]);
  });

  it("constructs a component from deserialized inputs, Outputs included", async () => {
    const result = await provider.construct(
      "remote",
      "keyless:index:SecureInstance",
      {
        ami: pulumi.output("ami-0123456789abcdef0"),
        instanceType: "t3.micro",
        userData: pulumi.output("#!/bin/bash\necho hi\n"),
        permissions: { statements: [{ actions: ["s3:GetObject"], resources: [pulumi.output("arn:aws:s3:::b/*")] }] },
      },
      {},
    );
    assert.match((await resolved(result.urn as pulumi.Output<string>))!, /::keyless:aws:SecureInstance::remote$/);
    // the state's instanceId is the instance child's id (the mocks give `<resource name>-id`)
    assert.equal(await resolved(result.state["instanceId"] as pulumi.Output<string>), "remote-instance-id");
    await mocks.settle();
    // the Outputs among the inputs arrived resolved in the children
    const instance = mocks.one("aws:ec2/instance:Instance").inputs;
    assert.equal(instance.metadataOptions.httpTokens, "required");
    assert.equal(instance.ami, "ami-0123456789abcdef0");
    assert.equal(instance.userData, "#!/bin/bash\necho hi\n");
    const policy = JSON.parse(mocks.one("aws:iam/rolePolicy:RolePolicy").inputs.policy);
    assert.deepEqual(policy.Statement, [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }]);
  });

  it("derives the web-identity roles' arguments: scopes as lists, the opt-out as an object, permissions inherited", () => {
    const gh = schema.resources["keyless:index:GitHubActionsRole"];
    assert.deepEqual(gh.requiredInputs, ["providerArn"]);
    assert.equal(gh.inputProperties.branches.items.type, "string");
    assert.equal(gh.inputProperties.pullRequests.type, "boolean");
    assert.match(gh.inputProperties.allowWriteFromPullRequests.$ref, /PullRequestWriteException$/);
    assert.ok(gh.inputProperties.statements, "the permissions of RolePermissionsArgs");
    assert.equal(gh.properties.trustPolicy.type, "string");
    assert.deepEqual(schema.resources["keyless:index:OidcProvider"].requiredInputs, ["url"]);
    assert.deepEqual(schema.resources["keyless:index:EksPodIdentityRole"].requiredInputs.sort(), [
      "clusterArn",
      "namespace",
      "serviceAccount",
    ]);
  });

  it("constructs a GitHubActionsRole whose trust policy admits only the repository's branch", async () => {
    const providerArn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
    const result = await provider.construct(
      "ci",
      "keyless:index:GitHubActionsRole",
      { providerArn: pulumi.output(providerArn), repository: "acme/web", branches: ["main"] },
      {},
    );
    const policy = (await resolved(result.state["trustPolicy"] as pulumi.Output<string>))!;
    const request = (sub: string) => webIdentityRequest(providerArn, { aud: "sts.amazonaws.com", sub });
    assert.equal(evaluateTrust(policy, request("repo:acme/web:ref:refs/heads/main")).allowed, true);
    assert.equal(evaluateTrust(policy, request("repo:acme/web:pull_request")).allowed, false);
  });

  it("refuses bad input through the provider with the same error", async () => {
    await assert.rejects(
      provider.construct(
        "bad",
        "keyless:index:WorkloadRole",
        { service: "ec2", statements: [{ actions: ["*"], resources: ["*"] }] },
        {},
      ),
      (err: Error & { code?: string }) => err.code === KeylessErrorCode.WildcardAction,
    );
  });
});
