/**
 * components/ as a Pulumi component package, used from a Pulumi YAML program: `pulumi package add <components/>`
 * binds the package's schema against the `aws` schema the LocalStack provider serves (GetSchema), and the engine
 * runs the components through componentProviderHost (Construct) while the YAML host runs the program.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from "@aws-sdk/client-iam";
import {
  AWS_PROVIDER_VERSION,
  assertInstanceProfileAssociation,
  assertMetadataOptions,
  assertProfileHoldsRole,
  localStackClientConfig,
  RESOURCE_HANDLERS,
  TestStack,
} from "@keyless/testing";
import { withProviderStack } from "../provider/support";

const COMPONENTS = path.resolve(__dirname, "..", "..", "..", "components");
const AMI = "ami-03cf127a";
const BUCKET_OBJECTS = "arn:aws:s3:::keyless-yaml-bucket/*";

const PROGRAM = `name: keyless-yaml
runtime: yaml
description: A SecureInstance from Pulumi YAML through the keyless component package.
resources:
  web:
    type: keyless:index:SecureInstance
    properties:
      ami: ${AMI}
      instanceType: t3.micro
      permissions:
        roleName: keyless-yaml-\${pulumi.stack}
        statements:
          - actions: ["s3:GetObject"]
            resources: ["${BUCKET_OBJECTS}"]
outputs:
  instanceId: \${web.instanceId}
  profileName: \${web.instanceProfileName}
  roleArn: \${web.role.arn}
  httpTokens: \${web.instance.metadataOptions.httpTokens}
`;

/** A temp project directory holding `program` as Pulumi.yaml; removed by the returned function. */
function yamlProject(program: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyless-yaml-"));
  writeFileSync(path.join(dir, "Pulumi.yaml"), program);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * `pulumi package add <components/>` installs the plugin's dependencies: the language host runs `npm install` at the
 * workspace root, this repository, which `npm ci` installed before the suite. A real install there re-places packages
 * in node_modules under every spec running beside this one (a unit run once failed to load `@pulumi/policy` in that
 * window), so npm only works out the install here and changes nothing.
 */
const SHARED_NODE_MODULES = { npm_config_dry_run: "true", npm_config_ignore_scripts: "true" };

describe("components package from Pulumi YAML", function () {
  this.timeout(600_000);

  it("the LocalStack aws plugin serves a schema the CLI binds: exactly its resource types", async () => {
    const project = yamlProject("name: keyless-yaml-schema\nruntime: yaml\n");
    const t = await TestStack.create({ workDir: project.dir });
    try {
      const { stdout } = await t.pulumi(["package", "get-schema", `aws@${AWS_PROVIDER_VERSION}`]);
      const schema = JSON.parse(stdout) as { name: string; version: string; resources: Record<string, unknown> };
      assert.equal(schema.name, "aws");
      assert.equal(schema.version, AWS_PROVIDER_VERSION);
      assert.deepEqual(Object.keys(schema.resources).sort(), [...RESOURCE_HANDLERS.keys()].sort());
    } finally {
      await t.dispose();
      project.remove();
    }
  });

  it("deploys a keyless:index:SecureInstance added with `pulumi package add`, then destroys it", async () => {
    const project = yamlProject(PROGRAM);
    try {
      await withProviderStack({ workDir: project.dir, env: SHARED_NODE_MODULES }, async (t, seen) => {
        // GIVEN the package added the way other teams add it
        await t.pulumi(["package", "add", COMPONENTS]);
        const projectFile = readFileSync(path.join(project.dir, "Pulumi.yaml"), "utf8");
        assert.match(projectFile, new RegExp(`packages:\\s*\\n\\s+keyless: ${COMPONENTS.replaceAll("/", "\\/")}`));

        // WHEN the YAML program is deployed
        const up = await t.up();
        const resources = await t.resources();
        seen(resources);

        // THEN the instance requires IMDSv2 tokens and has the component's profile, holding the named role
        const roleName = `keyless-yaml-${t.name}`;
        const instanceId = up.outputs["instanceId"] as string;
        const profileName = up.outputs["profileName"] as string;
        assert.match(instanceId, /^i-[0-9a-f]+$/);
        await assertMetadataOptions(instanceId, {
          httpTokens: "required",
          httpEndpoint: "enabled",
          httpPutResponseHopLimit: 1,
        });
        await assertInstanceProfileAssociation(instanceId, profileName);
        await assertProfileHoldsRole(profileName, roleName);
        // Resource references cross the package boundary typed: the YAML program read role.arn and instance.metadataOptions.
        assert.equal(up.outputs["roleArn"], `arn:aws:iam::000000000000:role/${roleName}`);
        assert.equal(up.outputs["httpTokens"], "required");

        // AND the permissions statement became the role's inline policy
        const iam = new IAMClient(localStackClientConfig());
        const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
        assert.equal(names.length, 1);
        const got = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: names[0] }));
        const doc = JSON.parse(decodeURIComponent(got.PolicyDocument ?? "")) as {
          Statement: Array<{ Effect: string; Action: unknown; Resource: unknown }>;
        };
        assert.deepEqual(
          doc.Statement.map((s) => [s.Effect, [s.Action].flat(), [s.Resource].flat()]),
          [["Allow", ["s3:GetObject"], [BUCKET_OBJECTS]]],
        );

        // AND the component keeps its own type token (keyless:aws:SecureInstance) with every child parented to it
        const types = resources.map((r) => r.type);
        assert.ok(types.includes("keyless:aws:SecureInstance"), types.join(", "));
        assert.ok(!types.includes("keyless:index:SecureInstance"));
        const children = resources.filter((r) => r.custom && r.type.startsWith("aws:"));
        assert.deepEqual(children.map((r) => r.type).sort(), [
          "aws:ec2/instance:Instance",
          "aws:iam/instanceProfile:InstanceProfile",
          "aws:iam/role:Role",
          "aws:iam/rolePolicy:RolePolicy",
        ]);
        for (const c of children) assert.match(c.urn, /::keyless:aws:SecureInstance\$aws:/, c.urn);

        // AND a second update changes nothing
        const again = await t.up();
        assert.deepEqual(
          again.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn}`),
          [],
        );
      });
    } finally {
      project.remove();
    }
  });
});
