// `keyless-scan audit --organization` on moto: an organization whose accounts each have their own EC2, Lambda, ECS and
// IAM per region (a moto of this spec's own, without MOTO_ACCOUNT_ID: startMotoOrganization), keys seeded in several
// accounts and regions beside clean twins, one account whose audit role does not exist (AWS refuses AssumeRole into
// it; moto does not, so memberRoleMustExist refuses it in front of moto), one closed account. The CLI runs through a
// signing recorder, so the calls it made are known by the credentials that signed them: those in member accounts must
// be exactly the actions scanner/audit-role-policy.json grants.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import {
  DeregisterTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
} from "@aws-sdk/client-ecs";
import {
  CreateAccessKeyCommand,
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
} from "@aws-sdk/client-iam";
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  LambdaClient,
  ListFunctionsCommand,
} from "@aws-sdk/client-lambda";
import {
  CloseAccountCommand,
  CreateAccountCommand,
  CreateOrganizationCommand,
  ListAccountsCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import {
  accessKeyFingerprint,
  LOCALSTACK_CREDENTIALS,
  type MotoOrganization,
  memberRoleMustExist,
  type SigningRecorder,
  startMotoOrganization,
  startSigningRecorder,
} from "@keyless/testing";
import { assertNoSecrets, check, credentials } from "../../support/policy-credentials";
import { storedZip } from "../../support/zip";
import { runAuditAt } from "./support";

const AMI = "ami-03cf127a";
const REGIONS = ["eu-west-1", "us-east-2"] as const;
const b64 = (s: string | Buffer): string => Buffer.from(s).toString("base64");
const policy = path.resolve(__dirname, "../../../scanner/audit-role-policy.json");
const callerPolicy = path.resolve(__dirname, "../../../scanner/audit-caller-policy.json");
const actionsOf = (file: string): string[] =>
  (JSON.parse(readFileSync(file, "utf8")) as { Statement: { Action: string | string[] }[] }).Statement.flatMap((s) =>
    [s.Action].flat(),
  );

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

interface Entry {
  file: string;
  account?: string;
  region?: string;
  error?: string;
  findings: { kind: string }[];
}

/** A recorded call as an IAM action: query `Action`, JSON `X-Amz-Target`'s operation, Lambda's one REST route. */
function actionOf(c: { service: string | undefined; operation: string }): string {
  let op = c.operation;
  if (/^[A-Za-z0-9]+\.[A-Za-z]+$/.test(op)) op = op.split(".")[1] ?? op;
  else if (/^GET \/2015-03-31\/functions\/?(\?|$)/.test(op)) op = "ListFunctions";
  return `${c.service}:${op}`;
}

describe("keyless-scan audit --organization on moto", function () {
  this.timeout(600_000);
  const suffix = randomBytes(3).toString("hex");
  const role = `keyless-audit-${suffix}`;
  let moto: MotoOrganization;
  let recorder: SigningRecorder;
  const keyIds: string[] = [];
  /** What was seeded where: `account region file` of each dirty resource, and each clean twin's file. */
  const dirty: string[] = [];
  const clean: string[] = [];
  const ids = { withRole: "", second: "", noRole: "", closed: "" };
  const creds = new Map<string, Credentials>();
  let management = "";
  let output = "";
  let doc: Entry[] = [];
  let status: number | null = null;

  const client = <T>(C: new (config: object) => T, account: string, region = "us-east-1"): T =>
    new C({ endpoint: moto.endpoint, region, credentials: creds.get(account) ?? LOCALSTACK_CREDENTIALS });
  const secretLine = (): string => {
    const c = credentials();
    keyIds.push(c.accessKeyId);
    return `export AWS_ACCESS_KEY_ID=${c.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${c.secretAccessKey}\n`;
  };

  async function instances(account: string, region: string, name: string): Promise<void> {
    const ec2 = client(EC2Client, account, region);
    for (const [kind, userData] of [
      ["dirty", b64(gzipSync(`#!/bin/bash\n${secretLine()}`))],
      ["clean", b64("#!/bin/bash\nyum install -y nginx\n")],
    ] as const) {
      const run = await ec2.send(
        new RunInstancesCommand({
          ImageId: AMI,
          InstanceType: "t3.micro",
          MinCount: 1,
          MaxCount: 1,
          UserData: userData,
          TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Name", Value: `${name}-${kind}` }] }],
        }),
      );
      const file = `ec2/${region}/instance/${run.Instances?.[0]?.InstanceId}/userData`;
      (kind === "dirty" ? dirty : clean).push(kind === "dirty" ? `${account} ${region} ${file}` : file);
    }
  }

  async function launchTemplates(account: string, region: string): Promise<void> {
    const ec2 = client(EC2Client, account, region);
    const made = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: `keyless-${suffix}-dirty`,
        LaunchTemplateData: { ImageId: AMI, UserData: b64("#!/bin/bash\necho v1\n") },
      }),
    );
    const id = made.LaunchTemplate?.LaunchTemplateId ?? "";
    await ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: id,
        LaunchTemplateData: { ImageId: AMI, UserData: b64(secretLine()) },
      }),
    );
    dirty.push(`${account} ${region} ec2/${region}/launch-template/${id}/version/2/userData`);
    clean.push(`ec2/${region}/launch-template/${id}/version/1/userData`);
    const twin = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: `keyless-${suffix}-clean`,
        LaunchTemplateData: { ImageId: AMI, UserData: b64("#cloud-config\npackages: [nginx]\n") },
      }),
    );
    clean.push(`ec2/${region}/launch-template/${twin.LaunchTemplate?.LaunchTemplateId}/`);
  }

  async function functions(account: string, region: string): Promise<void> {
    const iam = client(IAMClient, account);
    const fnRole = `keyless-fn-${suffix}`;
    await iam
      .send(
        new CreateRoleCommand({
          RoleName: fnRole,
          AssumeRolePolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
          }),
        }),
      )
      .catch((err: Error) => {
        if (err.name !== "EntityAlreadyExistsException") throw err;
      });
    const lambda = client(LambdaClient, account, region);
    const c = credentials();
    keyIds.push(c.accessKeyId);
    for (const [kind, vars] of [
      ["dirty", { LOG_LEVEL: "info", AWS_SECRET_ACCESS_KEY: c.secretAccessKey }],
      ["clean", { LOG_LEVEL: "info" }],
    ] as const) {
      const name = `keyless-${suffix}-${kind}`;
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Role: `arn:aws:iam::${account}:role/${fnRole}`,
          Runtime: "nodejs20.x",
          Handler: "index.handler",
          Code: { ZipFile: storedZip("index.js", "exports.handler = async () => 1;\n") },
          Environment: { Variables: vars },
        }),
      );
      const file = `lambda/${region}/function/${name}/environment`;
      (kind === "dirty" ? dirty : clean).push(kind === "dirty" ? `${account} ${region} ${file}` : file);
    }
  }

  async function taskDefinitions(account: string, region: string): Promise<void> {
    const ecs = client(ECSClient, account, region);
    for (const [kind, env] of [
      ["dirty", [{ name: "AWS_SECRET_ACCESS_KEY", value: credentials().secretAccessKey }]],
      ["clean", [{ name: "PORT", value: "8080" }]],
    ] as const) {
      const family = `keyless-${suffix}-${kind}`;
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family,
          containerDefinitions: [{ name: "app", image: "nginx", memory: 128, environment: [...env] }],
        }),
      );
      const file = `ecs/${region}/task-definition/${family}:1/container/app/environment`;
      (kind === "dirty" ? dirty : clean).push(kind === "dirty" ? `${account} ${region} ${file}` : file);
    }
  }

  before(async () => {
    moto = await startMotoOrganization();
    management = moto.managementAccount;
    recorder = await startSigningRecorder({ upstream: moto.endpoint, answer: memberRoleMustExist(moto.endpoint) });
    // GIVEN an organization: the management account, two members with the audit role, one without, one closed
    const org = client(OrganizationsClient, management);
    await org.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
    for (const key of ["withRole", "second", "noRole", "closed"] as const) {
      const made = await org.send(
        new CreateAccountCommand({ AccountName: `${key}-${suffix}`, Email: `${key}-${suffix}@example.com` }),
      );
      ids[key] = made.CreateAccountStatus?.AccountId ?? "";
      // Seeding acts in the member through credentials moto issues for it (any role name does, in moto).
      const seed = await client(STSClient, management).send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ids[key]}:role/seed`, RoleSessionName: "seed" }),
      );
      creds.set(ids[key], {
        accessKeyId: seed.Credentials?.AccessKeyId ?? "",
        secretAccessKey: seed.Credentials?.SecretAccessKey ?? "",
        sessionToken: seed.Credentials?.SessionToken,
      });
      if (key !== "noRole") {
        await client(IAMClient, ids[key]).send(
          new CreateRoleCommand({
            RoleName: role,
            AssumeRolePolicyDocument: JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${management}:root` }, Action: "sts:AssumeRole" },
              ],
            }),
          }),
        );
      }
    }
    // Keys in several accounts and regions, each beside a clean twin.
    await instances(management, "eu-west-1", "mgmt");
    await launchTemplates(ids.withRole, "eu-west-1");
    await functions(ids.withRole, "eu-west-1");
    await taskDefinitions(ids.withRole, "us-east-2");
    await instances(ids.withRole, "us-east-2", "member");
    await functions(ids.second, "us-east-2");
    await taskDefinitions(ids.second, "eu-west-1");
    // IAM in the first member: a user's active key (a finding), an OIDC provider no role trusts (a warning).
    const iam = client(IAMClient, ids.withRole);
    await iam.send(new CreateUserCommand({ UserName: `ci-${suffix}` }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: `ci-${suffix}` }));
    keyIds.push(key.AccessKey?.AccessKeyId ?? "");
    await iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: "https://token.actions.githubusercontent.com",
        ClientIDList: ["sts.amazonaws.com"],
        ThumbprintList: ["6938fd4d98bab03faadb97b34396831e3780aea1"],
      }),
    );
    // Keys where the audit must not look: the account without the role, and the closed one.
    await instances(ids.noRole, "eu-west-1", "norole");
    await instances(ids.closed, "eu-west-1", "closed");
    const unreachable = dirty.splice(-2);
    clean.splice(-2);
    await org.send(new CloseAccountCommand({ AccountId: ids.closed }));
    check(
      unreachable.every((d) => d.startsWith(ids.noRole) || d.startsWith(ids.closed)),
      "seeding order",
    );

    // WHEN the audit runs once over the organization, through the recorder
    const res = await runAuditAt(recorder.endpoint, [
      "--organization",
      "--role-name",
      role,
      "--region",
      REGIONS[0],
      "--region",
      REGIONS[1],
      "--format",
      "json",
    ]);
    status = res.status;
    output = `${res.stdout}${res.stderr}`;
    assertNoSecrets(output, "audit output");
    check(
      keyIds.every((id) => !output.includes(id)),
      "a whole key id was printed",
    );
    doc = JSON.parse(res.stdout) as Entry[];
  });

  after(async () => {
    // moto's state goes with the server; nothing of it outlives the spec.
    await recorder?.stop();
    await moto?.stop();
  });

  it("finds every seeded key, naming its account and region, and no clean twin", () => {
    const found = doc.filter((e) => e.error === undefined).map((e) => `${e.account} ${e.region} ${e.file}`);
    const missing = dirty.filter((d) => !found.includes(d));
    check(missing.length === 0, `not found: ${missing.join("; ")}`);
    check(
      doc.every((e) => /^\d{12}$/.test(e.account ?? "") && (e.error !== undefined || (e.region ?? "") !== "")),
      "every entry names account and region",
    );
    const named = doc.map((e) => e.file).join("\n");
    check(
      clean.filter((c) => named.includes(c)).length === 0,
      `clean twins named: ${clean.filter((c) => named.includes(c))}`,
    );
    check(
      doc.some(
        (e) => e.account === ids.withRole && e.region === "global" && e.file.startsWith(`iam/user/ci-${suffix}/`),
      ),
      "the member's IAM user key",
    );
  });

  it("names the account whose role does not exist, exits 2, and still reports every other account", () => {
    const failed = doc.filter((e) => e.error !== undefined);
    check(
      failed.length === 1 &&
        failed[0]?.account === ids.noRole &&
        /AssumeRole failed: AccessDenied/.test(failed[0].error ?? ""),
      JSON.stringify(failed),
    );
    check(status === 2, `exit ${status}`);
    check(!doc.some((e) => e.account === ids.noRole && e.error === undefined), "nothing read in the account");
    check(
      [management, ids.withRole, ids.second].every((a) => doc.some((e) => e.account === a && e.error === undefined)),
      "the others are reported",
    );
  });

  it("does not audit a closed (SUSPENDED) account", () => {
    check(!output.includes(ids.closed), "the closed account is named");
  });

  it("calls in member accounts exactly what audit-role-policy.json grants (with --all-regions for DescribeRegions)", async () => {
    // A second run, one member, every enabled region: DescribeRegions is asked too.
    const before = recorder.calls.length;
    const allRegions = await runAuditAt(recorder.endpoint, [
      "--accounts",
      ids.withRole,
      "--role-name",
      role,
      "--all-regions",
      "--no-iam",
      "--json",
    ]);
    check(allRegions.status === 1, `exit ${allRegions.status}: ${allRegions.stderr.slice(-400)}`);
    check(
      keyIds.every((id) => !`${allRegions.stdout}${allRegions.stderr}`.includes(id)),
      "a whole key id was printed",
    );
    const regionsRead = new Set(
      (JSON.parse(allRegions.stdout) as Entry[]).map((e) => e.region).filter((r) => r !== undefined),
    );
    check(regionsRead.has("eu-west-1") && regionsRead.has("us-east-2"), [...regionsRead].join());
    const test = accessKeyFingerprint(LOCALSTACK_CREDENTIALS.accessKeyId);
    const member = new Set(recorder.calls.filter((c) => c.keyFingerprint !== test).map(actionOf));
    const caller = new Set(
      recorder.calls
        .slice(0, before)
        .filter((c) => c.keyFingerprint === test)
        .map(actionOf),
    );
    const granted = new Set(actionsOf(policy));
    const sorted = (s: Iterable<string>) => [...s].sort().join(", ");
    check(sorted(member) === sorted(granted), `member accounts: called ${sorted(member)}; granted ${sorted(granted)}`);
    // The caller: reads in its own account (what is there to read: a subset of the role's), the organization, the
    // roles, and GetCallerIdentity (which needs no permission). Nothing beyond its two policies.
    const callerGranted = new Set([...granted, ...actionsOf(callerPolicy), "sts:GetCallerIdentity"]);
    const beyond = [...caller].filter((a) => !callerGranted.has(a));
    check(beyond.length === 0, `the caller called ${beyond.join(", ")}, which neither policy grants`);
    check(
      ["organizations:ListAccounts", "sts:AssumeRole", "sts:GetCallerIdentity"].every((a) => caller.has(a)),
      sorted(caller),
    );
  });

  it("leaves nothing behind: the seeded resources are deleted, the members closed", async () => {
    for (const account of [management, ids.withRole, ids.second]) {
      for (const region of REGIONS) {
        const ec2 = client(EC2Client, account, region);
        const running = (await ec2.send(new DescribeInstancesCommand({}))).Reservations?.flatMap(
          (r) => r.Instances ?? [],
        )
          .filter((i) => i.State?.Name !== "terminated")
          .map((i) => i.InstanceId ?? "");
        if ((running?.length ?? 0) > 0) await ec2.send(new TerminateInstancesCommand({ InstanceIds: running }));
        for (const t of (await ec2.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates ?? [])
          await ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: t.LaunchTemplateId }));
        const lambda = client(LambdaClient, account, region);
        for (const f of (await lambda.send(new ListFunctionsCommand({}))).Functions ?? [])
          await lambda.send(new DeleteFunctionCommand({ FunctionName: f.FunctionName }));
        const ecs = client(ECSClient, account, region);
        for (const arn of (await ecs.send(new ListTaskDefinitionsCommand({}))).taskDefinitionArns ?? [])
          await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
        // THEN listing finds none of ours
        const left = [
          ...((await ec2.send(new DescribeInstancesCommand({}))).Reservations?.flatMap((r) => r.Instances ?? []) ?? [])
            .filter((i) => i.State?.Name !== "terminated")
            .map((i) => i.InstanceId),
          ...((await ec2.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates ?? []).map(
            (t) => t.LaunchTemplateName,
          ),
          ...((await lambda.send(new ListFunctionsCommand({}))).Functions ?? []).map((f) => f.FunctionName),
        ];
        check(left.length === 0, `${account} ${region}: left ${left.join()}`);
      }
    }
    const org = client(OrganizationsClient, management);
    for (const a of [ids.withRole, ids.second, ids.noRole]) await org.send(new CloseAccountCommand({ AccountId: a }));
    const active = ((await org.send(new ListAccountsCommand({}))).Accounts ?? []).filter(
      (a) => (a.State ?? a.Status) === "ACTIVE",
    );
    check(active.map((a) => a.Id).join() === management, `active: ${active.map((a) => a.Id).join()}`);
  });
});
