// `npm run demo [-- --keep]`: the keyless story on LocalStack, end to end, with the real engine.
//   set-up → the pack in preview → up → what AWS says, and the identity software on the instance gets through IMDSv2
//   → a role rotation, the identity changing at once → the pack refusing keys in user data → destroy.
// Exits non-zero when any step fails. --keep leaves the stack (and the emulators) up and says how to destroy it.
import { randomInt } from "node:crypto";
import path from "node:path";
import { root, step } from "./lib.mjs";
import { POLICY_PACK, printKeepInstructions, startLocalRun, violationLine } from "./local-run.mjs";
import { useSupportedNode } from "./node.mjs";

const keep = process.argv.includes("--keep");
const started = Date.now();
let chapter = 0;
const TOTAL = 7;
const title = (text) => console.log(`\n── ${++chapter}/${TOTAL} ${text}`);
const show = (label, value) => console.log(`   ${label.padEnd(12)} ${value}`);

/** An access-key-shaped pair made up now, so the refusal can be shown without any real key. */
function madeUpKeyPair() {
  const pick = (alphabet, n) => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join("");
  return {
    accessKeyId: `AKIA${pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)}`,
    secretAccessKey: pick("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40),
  };
}

/** What the instance's software sees: the identity its SDK obtains through the metadata service, and the refusal of IMDSv1. */
async function showIdentity(testing, imds) {
  const who = await testing.callerIdentityThroughImds(imds.endpoint);
  if (!who.fromInstanceMetadata || !who.temporary || !who.arn.includes(`:assumed-role/${imds.roleName}/`)) {
    throw new Error(`the SDK's default chain did not answer with the instance role: ${who.arn}`);
  }
  show("identity", `${who.arn}  (${who.durationMs} ms)`);
  show("", "AWS SDK v3 default chain, no key in its environment: IMDSv2 token → iam/security-credentials → STS");
  return who;
}

async function main() {
  await useSupportedNode();
  title("set-up: workspace, Pulumi CLI, EC2 metadata mock, LocalStack and moto");
  const { testing, stop } = await startLocalRun();
  let stack;
  let imds;
  let kept = false;
  try {
    stack = await testing.TestStack.create({ workDir: root, projectName: "keyless-demo" });

    title("the keyless-aws pack previews the program");
    const preview = await step("pulumi preview --policy-pack policy-pack", () =>
      stack.preview({ policyPacks: [POLICY_PACK] }),
    );
    show("pack", `${preview.violations.length} violation(s) in ${preview.steps.length} planned steps`);
    if (preview.violations.length > 0) throw new Error("the demo program must pass the keyless-aws pack");

    title("deploy");
    const up = await step("pulumi up", () => stack.up({ policyPacks: [POLICY_PACK] }));
    const { instanceId, instanceProfile, roleArn } = up.outputs;
    const roleName = String(roleArn).split("/").pop();

    title("what AWS says, read back with the AWS SDK");
    await testing.assertRoleTrusts(roleName, "ec2.amazonaws.com");
    await testing.assertProfileHoldsRole(instanceProfile, roleName);
    await testing.assertInstanceProfileAssociation(instanceId, instanceProfile);
    await testing.assertMetadataOptions(instanceId, { httpTokens: "required", httpPutResponseHopLimit: 1 });
    const types = (await stack.resources()).map((r) => r.type);
    if (types.some((t) => t.startsWith("aws:iam/accessKey:") || t.startsWith("aws:iam/user:"))) {
      throw new Error(`the demo stack holds an IAM user or access key: ${types.join(", ")}`);
    }
    show("role", `${roleName}, trusted by ec2.amazonaws.com only`);
    show("profile", `${instanceProfile}, holding ${roleName}`);
    show("instance", `${instanceId}, associated with ${instanceProfile}`);
    show("IMDS", "v2 required (httpTokens required), hop limit 1");
    show("keys", `none: the stack's ${types.length} resources include no IAM user and no access key`);
    imds = await testing.serveInstanceMetadata(instanceId);
    const tokenless = await fetch(`${imds.endpoint}/latest/meta-data/iam/security-credentials/`);
    show("IMDSv1", `a request without a token is refused: HTTP ${tokenless.status}`);
    if (tokenless.status !== 401) throw new Error(`IMDS answered a token-less request with ${tokenless.status}`);
    const before = await showIdentity(testing, imds);

    title("role rotation: the workload moves to a new role");
    await stack.stack.setConfig("roleGeneration", { value: "2" });
    const rotated = await step("pulumi up (roleGeneration 2)", () => stack.up({ policyPacks: [POLICY_PACK] }));
    const newProfile = rotated.outputs.instanceProfile;
    const newRole = String(rotated.outputs.roleArn).split("/").pop();
    await testing.assertInstanceProfileAssociation(instanceId, newProfile);
    await testing.assertProfileHoldsRole(newProfile, newRole);
    if (newProfile === instanceProfile) throw new Error("a role change must associate a new instance profile");
    show("profile", `${instanceProfile} → ${newProfile} (a new profile associated, not the role swapped inside it)`);
    await imds.refresh();
    const after = await showIdentity(testing, imds);
    if (after.arn === before.arn) throw new Error("the identity did not change with the role");

    title("the pack refuses keys in user data (examples/migrate-from-keys/before)");
    const legacy = madeUpKeyPair();
    const refused = await testing.TestStack.create({
      workDir: path.join(root, "examples", "migrate-from-keys", "before"),
      secretConfig: { legacyAccessKeyId: legacy.accessKeyId, legacySecretAccessKey: legacy.secretAccessKey },
    });
    try {
      const err = await step("pulumi preview --policy-pack policy-pack", () =>
        refused.preview({ policyPacks: [POLICY_PACK] }),
      ).then(
        () => undefined,
        (e) => e,
      );
      if (!(err instanceof testing.StackRunError)) throw new Error("the pack must refuse keys in user data");
      for (const v of err.result.violations) {
        const text = `${v.message} ${v.urn ?? ""}`;
        if (text.includes(legacy.accessKeyId) || text.includes(legacy.secretAccessKey)) {
          throw new Error(`violation ${v.policyName} printed the key it found`);
        }
        console.log(`   ${violationLine(v)}`);
      }
      show("", "(the key pair was made up for this run; no violation prints it)");
    } finally {
      await refused.dispose();
    }

    if (keep) {
      kept = true;
      title("kept (--keep)");
      printKeepInstructions(stack, root);
    }
  } finally {
    await imds?.stop();
    if (!kept) {
      title("destroy");
      if (stack) await step("pulumi destroy", () => stack.dispose());
      await stop();
    }
  }
  console.log(`\nDemo done in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
}

main().catch((err) => {
  console.error(`\n[keyless] demo failed: ${err.message}`);
  process.exit(1);
});
