// `npm run demo [-- --keep]`: the keyless story on LocalStack, end to end, with the real engine.
//   set-up → the pack in preview → up → what AWS says, and the identity software on the instance gets through IMDSv2
//   (the AWS SDK's chain, then the AWS CLI reading the reports bucket with no key)
//   → a role rotation, the identity changing at once → CI: a GitHub Actions job's identity through its OIDC token,
//   another repository refused → the pack refusing keys in user data → destroy.
// Exits non-zero when any step fails. --keep leaves the stack (and the emulators) up and says how to destroy it.
import { randomInt } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import { root, step } from "./lib.mjs";
import { POLICY_PACK, printKeepInstructions, startLocalRun, violationLine } from "./local-run.mjs";
import { useSupportedNode } from "./node.mjs";

const keep = process.argv.includes("--keep");
/** The bucket demo/index.ts grants the instance (its `bucket` config's default). */
const REPORTS_BUCKET = "keyless-demo-reports";
const started = Date.now();
let chapter = 0;
const TOTAL = 8;
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

/**
 * The workload itself: the AWS CLI on the "instance", with no key in its environment or files, asks who it is and
 * reads the reports the CI job publishes, through IMDSv2; a recorder in front of LocalStack shows which key signed
 * each of its calls (by fingerprint: IMDS delivered it, nothing else).
 */
async function showAwsCli(testing, imds, bucket) {
  const { S3Client, CreateBucketCommand, PutObjectCommand } = createRequire(path.join(root, "harness", "package.json"))(
    "@aws-sdk/client-s3",
  );
  const s3 = new S3Client({ ...testing.localStackClientConfig(), forcePathStyle: true });
  // What the CI job publishes (the demo program names the bucket; the job would fill it).
  await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((err) => {
    if (err.name !== "BucketAlreadyOwnedByYou") throw err;
  });
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: "reports/latest.csv", Body: "day,visits\n2026-12-01,41\n" }),
  );
  const recorder = await testing.startSigningRecorder({ upstream: testing.localStackEndpoint() });
  const cliStarted = Date.now();
  try {
    const aws = async (...args) => {
      const run = await testing.runOnInstance(imds, ["aws", ...args], { endpoint: recorder.endpoint });
      if (run.exitCode !== 0) throw new Error(`aws ${args.join(" ")} failed: ${run.stderr.trim()}`);
      return run.stdout.trim();
    };
    const who = JSON.parse(await aws("sts", "get-caller-identity"));
    show("aws cli", `$ aws sts get-caller-identity  → ${who.Arn}`);
    const listed = await aws("s3", "ls", `s3://${bucket}/reports/`);
    show("", `$ aws s3 ls s3://${bucket}/reports/  → ${listed.split(/\s+/).pop()}`);
    const body = await aws("s3", "cp", `s3://${bucket}/reports/latest.csv`, "-");
    show("", `$ aws s3 cp s3://${bucket}/reports/latest.csv -  → ${body.split("\n").join(" | ")}`);
    const signers = new Set(recorder.calls.map((c) => c.keyFingerprint));
    if (signers.size !== 1 || !signers.has(imds.keyFingerprint)) {
      throw new Error("a call of the AWS CLI was not signed by the credentials IMDS delivered");
    }
    show(
      "",
      `no key in its environment or ~/.aws; ${recorder.calls.length} calls in ${Date.now() - cliStarted} ms, ` +
        `all signed by the key IMDSv2 delivered (sha256 ${imds.keyFingerprint.slice(0, 12)}…)`,
    );
  } finally {
    await recorder.stop();
  }
}

/**
 * What the instance's software sees: the identity its SDK obtains through the metadata service. It must be a session
 * of the role the stack made (its outputs), not merely of whatever role the metadata service read and serves.
 */
async function showIdentity(testing, imds, { roleArn, roleName, instanceId }) {
  const who = await testing.callerIdentityThroughImds(imds.endpoint);
  const account = String(roleArn).split(":")[4];
  const expected = `arn:aws:sts::${account}:assumed-role/${roleName}/${instanceId}`;
  if (!who.fromInstanceMetadata || !who.temporary || who.arn !== expected) {
    throw new Error(`the SDK's default chain answered ${who.arn}, not the stack's instance role (${expected})`);
  }
  show("identity", `${who.arn}  (${who.durationMs} ms)`);
  show("", "AWS SDK v3 default chain, no key in its environment: IMDSv2 token → iam/security-credentials → STS");
  return who;
}

/** The CI role as IAM holds it: GitHub's provider, and the trust read back and parsed by @keyless/iam-rules. */
async function showCiTrust(testing, { roleArn, providerArn }) {
  const { parseTrustPolicy } = createRequire(import.meta.url)(path.join(root, "iam-rules"));
  const iam = testing.iamDirectory();
  const provider = (await iam.oidcProviders(String(providerArn).split(":")[4])).find((p) => p.arn === providerArn);
  if (!provider) throw new Error(`IAM holds no OIDC provider ${providerArn}`);
  const trust = parseTrustPolicy((await iam.roleTrustPolicy(roleArn)) ?? "{}");
  const [statement, ...more] = trust.statements;
  const federated = statement?.principal === "*" ? [] : (statement?.principal?.Federated ?? []);
  if (more.length > 0 || statement?.effect !== "Allow" || federated.join() !== providerArn) {
    throw new Error(`the CI role's trust must be one statement for ${providerArn}`);
  }
  show("provider", `${provider.url}, audience ${provider.clientIds.join(", ")}`);
  show("trust", `${String(roleArn).split("/").pop()}: ${statement.actions?.join(", ")} for that provider, if`);
  for (const c of statement.conditions) show("", `${c.operator} ${c.key} = ${c.values.join(" | ")}`);
}

/**
 * What a GitHub Actions job sees: the SDK's default chain with only a token file and the role ARN, through an STS
 * front that verifies the token and evaluates the role's trust as AWS does (LocalStack checks neither). The tokens are
 * signed by a local issuer standing in for GitHub's, with a key made for this run, and never printed.
 */
async function showCiIdentity(testing, { roleArn, repository }) {
  const roleName = String(roleArn).split("/").pop();
  const github = await testing.startOidcIssuer({ issuer: testing.GITHUB_ACTIONS_ISSUER });
  const front = await testing.serveStsFront({ issuers: [github] }).catch(async (err) => {
    await github.stop();
    throw err;
  });
  try {
    const job = async (claims) =>
      testing.callerIdentityThroughWebIdentity({
        token: await github.mint(claims),
        roleArn,
        sessionName: "GitHubActions", // what aws-actions/configure-aws-credentials names the session
        stsEndpoint: front.endpoint,
      });
    const main = testing.githubActionsClaims({ repository, branch: "main", workflowFile: "publish.yml" });
    const who = await job(main);
    if (
      !who.fromWebIdentity ||
      !who.temporary ||
      who.arn !== `arn:aws:sts::${who.account}:assumed-role/${roleName}/GitHubActions`
    ) {
      throw new Error(`the SDK's default chain did not answer with the CI role: ${who.arn}`);
    }
    show("identity", `${who.arn}  (${who.durationMs} ms)`);
    show(
      "",
      "AWS SDK v3 default chain, no key in its environment: token file + AWS_ROLE_ARN → AssumeRoleWithWebIdentity",
    );

    const other = `${repository.split("/")[0]}/website`;
    const stranger = testing.githubActionsClaims({ repository: other, branch: "main", workflowFile: "publish.yml" });
    const refusal = await job(stranger).then(
      (got) => {
        throw new Error(`${other} must not get ${roleName}, got ${got.arn}`);
      },
      (err) => err,
    );
    if (!(refusal instanceof testing.OidcHarnessError) || refusal.awsCode !== "AccessDenied") throw refusal;
    const decided = front.decisions.at(-1);
    if (decided?.admitted !== false || decided.subject !== stranger.sub) {
      throw new Error(`the STS front did not record the refusal of ${stranger.sub}`);
    }
    show("refused", `${other}'s main branch (${stranger.sub}): ${refusal.awsCode} (HTTP ${refusal.httpStatusCode})`);
    show("", `"${refusal.message.split(": ").pop()}" (trust: ${decided.trust ?? "not evaluated"})`);
    show("", "(tokens from a local issuer shaped like GitHub's, signed with a key made for this run; none printed)");
  } finally {
    await Promise.all([front.stop(), github.stop()]);
  }
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
    for (const v of preview.violations) console.log(`   ${violationLine(v)}`);
    if (preview.violations.length > 0) throw new Error("the demo program must pass the keyless-aws pack");

    title("deploy");
    const up = await step("pulumi up", () => stack.up({ policyPacks: [POLICY_PACK] }));
    for (const v of up.violations) console.log(`   ${violationLine(v)}`);
    if (up.violations.length > 0) throw new Error("the demo program must pass the keyless-aws pack at up too");
    const { instanceId, instanceProfile, roleArn, roleName } = up.outputs;

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
    const before = await showIdentity(testing, imds, { roleArn, roleName, instanceId });
    await showAwsCli(testing, imds, REPORTS_BUCKET);

    title("role rotation: the workload moves to a new role");
    await stack.stack.setConfig("roleGeneration", { value: "2" });
    const rotated = await step("pulumi up (roleGeneration 2)", () => stack.up({ policyPacks: [POLICY_PACK] }));
    const newProfile = rotated.outputs.instanceProfile;
    const newRole = rotated.outputs.roleName;
    await testing.assertInstanceProfileAssociation(instanceId, newProfile);
    await testing.assertProfileHoldsRole(newProfile, newRole);
    if (newProfile === instanceProfile) throw new Error("a role change must associate a new instance profile");
    show("profile", `${instanceProfile} → ${newProfile} (a new profile associated, not the role swapped inside it)`);
    await imds.refresh();
    const after = await showIdentity(testing, imds, {
      roleArn: rotated.outputs.roleArn,
      roleName: newRole,
      instanceId,
    });
    if (after.arn === before.arn) throw new Error("the identity did not change with the role");

    title("CI without a key: a GitHub Actions job gets its role through OIDC");
    const { ciRoleArn, ciRepository, githubProvider } = rotated.outputs;
    await showCiTrust(testing, { roleArn: ciRoleArn, providerArn: githubProvider });
    await showCiIdentity(testing, { roleArn: ciRoleArn, repository: ciRepository });

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
