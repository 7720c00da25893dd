// `keyless-scan audit --organization` at scale (issue 21): an organization on a moto of its own (startMotoOrganization,
// accounts apart), each member with the audit role and, in each of 4 regions, 20 instances, 5 launch templates and 10
// Lambda functions (one instance, one template and one function per region hold a generated key). The audit runs at
// 10, 25 and 50 accounts (accounts added between runs), from the management account, default --concurrency; wall time
// and the CLI's peak resident memory come from /usr/bin/time. Seeding is timed apart: on moto it dominates. Output
// holds no key (the report goes to a file and only its finding count is printed). Run: `npm run bench -- audit`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CreateLaunchTemplateCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { startMotoOrganization } from "@keyless/testing";
import { storedZip } from "../tests/support/zip";
import { keyPair, secretKey } from "./support/generated-keys";

const root = path.resolve(__dirname, "..");
const cli = path.join(root, "scanner", "bin", "keyless-scan.js");
const work = mkdtempSync(path.join(tmpdir(), "keyless-bench-org-"));
const REGIONS = ["eu-west-1", "us-east-1", "us-east-2", "ap-southeast-2"];
const STEPS = [10, 25, 50];
const ROLE = "keyless-audit";
const AMI = "ami-03cf127a";
const base = { credentials: { accessKeyId: "test", secretAccessKey: "test" } };

const b64 = (s: string): string => Buffer.from(s).toString("base64");
const CLEAN = "#!/bin/bash\nyum install -y nginx\nsystemctl enable --now nginx\n";
const ZIP = storedZip("index.js", "exports.handler = async () => 1;\n");

/** Runs `fn` over `items`, `limit` at a time. */
async function each<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/** One member account: the audit role, a function role, and in each region its instances, templates and functions. */
async function seedAccount(endpoint: string, org: OrganizationsClient, n: number): Promise<void> {
  const made = await org.send(new CreateAccountCommand({ AccountName: `bench-${n}`, Email: `bench-${n}@example.com` }));
  const id = made.CreateAccountStatus?.AccountId ?? "";
  const sts = new STSClient({ endpoint, region: "us-east-1", ...base });
  const seed = await sts.send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${id}:role/seed`, RoleSessionName: "seed" }),
  );
  const credentials = {
    accessKeyId: seed.Credentials?.AccessKeyId ?? "",
    secretAccessKey: seed.Credentials?.SecretAccessKey ?? "",
    sessionToken: seed.Credentials?.SessionToken,
  };
  const iam = new IAMClient({ endpoint, region: "us-east-1", credentials });
  const trust = (principal: object) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" }],
    });
  await iam.send(
    new CreateRoleCommand({
      RoleName: ROLE,
      AssumeRolePolicyDocument: trust({ AWS: "arn:aws:iam::123456789012:root" }),
    }),
  );
  await iam.send(
    new CreateRoleCommand({ RoleName: "fn", AssumeRolePolicyDocument: trust({ Service: "lambda.amazonaws.com" }) }),
  );
  for (const region of REGIONS) {
    const ec2 = new EC2Client({ endpoint, region, credentials });
    for (const [count, data] of [
      [1, keyPair()],
      [19, CLEAN],
    ] as const) {
      await ec2.send(
        new RunInstancesCommand({
          ImageId: AMI,
          InstanceType: "t3.micro",
          MinCount: count,
          MaxCount: count,
          UserData: b64(data),
        }),
      );
    }
    for (let t = 0; t < 5; t++) {
      await ec2.send(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: `lt-${t}`,
          LaunchTemplateData: { ImageId: AMI, UserData: b64(t === 0 ? keyPair() : CLEAN) },
        }),
      );
    }
    const lambda = new LambdaClient({ endpoint, region, credentials });
    for (let f = 0; f < 10; f++) {
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: `fn-${f}`,
          Role: `arn:aws:iam::${id}:role/fn`,
          Runtime: "nodejs20.x",
          Handler: "index.handler",
          Code: { ZipFile: ZIP },
          Environment: {
            Variables: f === 0 ? { AWS_SECRET_ACCESS_KEY: secretKey(), LOG_LEVEL: "info" } : { LOG_LEVEL: "info" },
          },
        }),
      );
    }
  }
}

/** Wall time (s) and peak resident memory (MB) of the audit, and its finding and unread-place counts. */
function measureAudit(endpoint: string): { seconds: number; mb: number; findings: number; unread: number } {
  const report = path.join(work, "audit.json");
  const res = spawnSync(
    "/usr/bin/time",
    [
      "-f",
      "%e %M",
      "sh",
      "-c",
      `"${process.execPath}" "${cli}" audit --organization --role-name ${ROLE} ${REGIONS.map((r) => `--region ${r}`).join(" ")} --format json > "${report}"`,
    ],
    {
      encoding: "utf8",
      env: {
        ...process.env,
        AWS_ENDPOINT_URL: endpoint,
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_REGION: "us-east-1",
        AWS_PROFILE: "",
      },
      timeout: 3_600_000,
    },
  );
  const [seconds, kb] = (res.stderr.trim().split("\n").pop() ?? "").split(" ").map(Number);
  const doc = JSON.parse(readFileSync(report, "utf8")) as { error?: string; findings: unknown[] }[];
  rmSync(report, { force: true });
  return {
    seconds: seconds ?? Number.NaN,
    mb: (kb ?? Number.NaN) / 1024,
    findings: doc.reduce((n, e) => n + e.findings.length, 0),
    unread: doc.filter((e) => e.error !== undefined).length,
  };
}

async function main(): Promise<void> {
  const moto = await startMotoOrganization();
  try {
    const org = new OrganizationsClient({ endpoint: moto.endpoint, region: "us-east-1", ...base });
    await org.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
    console.log(
      `\naudit --organization, ${REGIONS.length} regions, per member and region 20 instances, 5 launch templates, 10 functions (moto)`,
    );
    console.log(
      `${"accounts".padEnd(10)}${"seeding".padEnd(12)}${"audit wall".padEnd(12)}${"peak RSS".padEnd(10)}findings`,
    );
    let seeded = 0;
    for (const step of STEPS) {
      const t0 = performance.now();
      const next = Array.from({ length: step - seeded }, (_, i) => seeded + i);
      await each(next, 4, (n) => seedAccount(moto.endpoint, org, n));
      const seeding = (performance.now() - t0) / 1000;
      seeded = step;
      const m = measureAudit(moto.endpoint);
      console.log(
        `${String(step).padEnd(10)}${`${seeding.toFixed(0)} s`.padEnd(12)}${`${m.seconds.toFixed(1)} s`.padEnd(12)}${`${m.mb.toFixed(0)} MB`.padEnd(10)}${m.findings}${m.unread > 0 ? ` (${m.unread} places not read)` : ""}`,
      );
    }
  } finally {
    await moto.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench audit-organization: ${(err as Error).message}`);
  process.exitCode = 1;
});
