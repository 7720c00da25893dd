// `npm run demo`: toolchain → LocalStack → the root Pulumi program (Pulumi.yaml, demo/) deployed by
// the real engine → what AWS now says about it → destroy → LocalStack stopped.
import { createRequire } from "node:module";
import path from "node:path";
import { buildPackages, ensureNodeModules } from "./bootstrap.mjs";
import { root, step, toolsEnv } from "./lib.mjs";

async function main() {
  await ensureNodeModules();
  await buildPackages();
  const { ensureToolchain } = await import("./toolchain.mjs");
  const { startLocalStack } = await import("./localstack.mjs");
  await ensureToolchain();
  const localstack = await startLocalStack();
  Object.assign(process.env, toolsEnv(localstack.env));
  const testing = createRequire(import.meta.url)(path.join(root, "harness"));
  let stack;
  try {
    stack = await step("create stack (file backend in a temp dir)", () =>
      testing.TestStack.create({ workDir: root, projectName: "keyless-demo" }),
    );
    const up = await step("pulumi up", () => stack.up());
    console.log("\nOutputs:");
    for (const [key, value] of Object.entries(up.outputs)) console.log(`  ${key.padEnd(16)} ${value}`);
    const { instanceId, instanceProfile, roleArn } = up.outputs;
    const roleName = String(roleArn).split("/").pop();
    await testing.assertInstanceProfileAssociation(instanceId, instanceProfile);
    await testing.assertProfileHoldsRole(instanceProfile, roleName);
    await testing.assertRoleTrusts(roleName, "ec2.amazonaws.com");
    await testing.assertMetadataOptions(instanceId, { httpTokens: "required", httpPutResponseHopLimit: 1 });
    const types = (await stack.resources()).map((r) => r.type);
    if (types.some((t) => t.startsWith("aws:iam/accessKey:") || t.startsWith("aws:iam/user:"))) {
      throw new Error(`the demo stack holds an IAM user or access key: ${types.join(", ")}`);
    }
    console.log("\nChecked in LocalStack with the AWS SDK:");
    console.log(`  ${instanceId} is associated with instance profile ${instanceProfile}`);
    console.log(`  ${instanceProfile} holds role ${roleName}, trusted by ec2.amazonaws.com only`);
    console.log("  IMDSv2 required, hop limit 1: the SDK on the instance gets short-lived role credentials");
    console.log(`  the stack's ${types.length} resources include no IAM user and no access key\n`);
  } finally {
    if (stack) await step("pulumi destroy", () => stack.dispose());
    await localstack.stop();
  }
}

main().catch((err) => {
  console.error(`[keyless] ${err.message}`);
  process.exit(1);
});
