// The real engine drives our Node.js language host (tools/language-host) and launchers (tools/launchers.mjs):
// a TypeScript directory program up/destroy, a CrossGuard policy pack through RunPlugin, a dynamic provider.
import assert from "node:assert/strict";
import type { Stack } from "@pulumi/pulumi/automation";
import { createSandbox, removeStack, resourceCount, type Sandbox, selectStack, writeFiles } from "./harness";

const COMPONENT_PROGRAM = {
  "Pulumi.yaml": "name: toolchain-component\nruntime: nodejs\ndescription: keyless toolchain test\n",
  "package.json": JSON.stringify({ name: "toolchain-component", main: "index.ts" }),
  "index.ts": `import * as pulumi from "@pulumi/pulumi";

class Box extends pulumi.ComponentResource {
  public readonly label: pulumi.Output<string>;
  constructor(name: string, args: { size: number }, opts?: pulumi.ComponentResourceOptions) {
    super("keyless:test:Box", name, args, opts);
    this.label = pulumi.output(\`box-\${name}-\${args.size}\`);
    this.registerOutputs({ label: this.label });
  }
}

const config = new pulumi.Config();
const box = new Box("one", { size: config.getNumber("size") ?? 3 });
export const label = box.label;
export const stack = pulumi.getStack();
`,
};

const POLICY_PACK = {
  "PulumiPolicy.yaml": "runtime: nodejs\ndescription: keyless toolchain test pack\n",
  "package.json": JSON.stringify({ name: "toolchain-pack", version: "0.0.1", main: "index.js" }),
  "index.js": `const { PolicyPack } = require("@pulumi/policy");
const pulumi = require("@pulumi/pulumi");

new PolicyPack("toolchain-pack", {
  policies: [
    {
      name: "no-box",
      description: "Components of type keyless:test:Box are forbidden",
      enforcementLevel: "mandatory",
      validateStack: (args, reportViolation) => {
        for (const r of args.resources) {
          if (r.type === "keyless:test:Box") {
            reportViolation(\`Box '\${r.name}' is forbidden in \${pulumi.getProject()}/\${pulumi.getStack()}\`, r.urn);
          }
        }
      },
    },
  ],
});
`,
};

const DYNAMIC_PROGRAM = {
  "Pulumi.yaml": "name: toolchain-dynamic\nruntime: nodejs\n",
  "package.json": JSON.stringify({ name: "toolchain-dynamic", main: "index.js" }),
  "index.js": `const pulumi = require("@pulumi/pulumi");

const provider = {
  async create(inputs) {
    return { id: "greeting-" + inputs.who, outs: { who: inputs.who, greeting: "hello " + inputs.who } };
  },
  async delete() {},
};

class Greeting extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
    super(provider, name, { who: args.who, greeting: undefined }, opts);
  }
}

const g = new Greeting("g1", { who: "keyless" });
exports.greeting = g.greeting;
exports.id = g.id;
`,
};

describe("toolchain: Node.js language host and launchers under the real engine", function () {
  this.timeout(180_000);
  let sandbox: Sandbox;

  before(async () => {
    sandbox = await createSandbox();
  });

  after(() => sandbox?.cleanup());

  it("runs a TypeScript directory program with a ComponentResource: up, then destroy to zero resources", async () => {
    const dir = writeFiles(sandbox.mkdir("component"), COMPONENT_PROGRAM);
    let stack: Stack | undefined;
    try {
      stack = await selectStack(sandbox, dir, "component");
      await stack.setConfig("size", { value: "7" });
      const up = await stack.up();
      assert.equal(up.summary.result, "succeeded");
      assert.equal(up.outputs.label?.value, "box-one-7");
      assert.equal(up.outputs.stack?.value, "component");
      assert.equal(up.summary.resourceChanges?.create, 2, "the stack and the component");
      assert.equal(await resourceCount(stack), 2);

      const destroy = await stack.destroy();
      assert.equal(destroy.summary.result, "succeeded");
      assert.equal(await resourceCount(stack), 0);
    } finally {
      await removeStack(stack);
    }
  });

  it("applies a policy pack through RunPlugin: the preview fails with the mandatory violation", async () => {
    const dir = writeFiles(sandbox.mkdir("policy-program"), COMPONENT_PROGRAM);
    const pack = writeFiles(sandbox.mkdir("policy-pack"), POLICY_PACK);
    let stack: Stack | undefined;
    try {
      stack = await selectStack(sandbox, dir, "policy");
      const err = await stack.preview({ policyPacks: [pack] }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      assert.ok(err, "the preview must fail");
      assert.match(err.message, /toolchain-pack@v0\.0\.1/);
      assert.match(err.message, /\[mandatory\]\s+no-box/);
      // The project and stack reach the pack through the policy proxy's environment.
      assert.match(err.message, /Box 'one' is forbidden in toolchain-component\/policy/);
      assert.equal(await resourceCount(stack), 0);
    } finally {
      await removeStack(stack);
    }
  });

  it("runs a dynamic provider (pulumi-resource-pulumi-nodejs): up, then destroy to zero resources", async () => {
    const dir = writeFiles(sandbox.mkdir("dynamic"), DYNAMIC_PROGRAM);
    let stack: Stack | undefined;
    try {
      stack = await selectStack(sandbox, dir, "dynamic");
      const up = await stack.up();
      assert.equal(up.summary.result, "succeeded");
      assert.equal(up.outputs.greeting?.value, "hello keyless");
      assert.equal(up.outputs.id?.value, "greeting-keyless");
      const types = (await stack.exportStack()).deployment.resources.map((r: { type: string }) => r.type);
      assert.ok(types.includes("pulumi-nodejs:dynamic:Resource"), `resources: ${types.join(", ")}`);

      const destroy = await stack.destroy();
      assert.equal(destroy.summary.result, "succeeded");
      assert.equal(await resourceCount(stack), 0);
    } finally {
      await removeStack(stack);
    }
  });
});
