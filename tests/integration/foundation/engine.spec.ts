import assert from "node:assert/strict";
import { cliServesSdk, requirePulumiCli, sdkVersion, TestStack } from "@keyless/testing";
import * as pulumi from "@pulumi/pulumi";

class Greeting extends pulumi.ComponentResource {
  readonly text: pulumi.Output<string>;
  constructor(name: string, who: string, opts?: pulumi.ComponentResourceOptions) {
    super("keyless:test:Greeting", name, {}, opts);
    this.text = pulumi.output(`hello, ${who}`);
    this.registerOutputs({ text: this.text });
  }
}

describe("foundation: the Pulumi engine", function () {
  this.timeout(180_000);

  it("is on PATH at a version that serves @pulumi/pulumi: the same major, no older", () => {
    // GIVEN the toolchain npm test built / WHEN we look it up / THEN it serves the SDK this process loaded
    const { version } = requirePulumiCli();
    assert.ok(cliServesSdk(version, sdkVersion()), `CLI ${version}, SDK ${sdkVersion()}`);
  });

  it("runs up and destroy of a program with a ComponentResource on a local file backend", async () => {
    const stack = await TestStack.create({
      program: async () => {
        const greeting = new Greeting("greeting", "keyless");
        return { text: greeting.text };
      },
    });
    try {
      // WHEN the real engine deploys the program
      const up = await stack.stack.up();
      // THEN the output comes back and the component is in the state
      assert.equal(up.summary.result, "succeeded");
      assert.equal(up.outputs["text"]?.value, "hello, keyless");
      const types = (await stack.resources()).map((r) => r.type);
      assert.ok(types.includes("keyless:test:Greeting"), `state holds ${types.join(", ")}`);

      // WHEN it is destroyed THEN nothing is left in the stack
      const destroyed = await stack.stack.destroy();
      assert.equal(destroyed.summary.result, "succeeded");
      assert.deepEqual(await stack.resources(), []);
    } finally {
      await stack.dispose();
    }
  });
});
