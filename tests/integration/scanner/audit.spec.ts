// `keyless-scan audit` against the emulators, through the real bin and AWS SDK v3's default chain, pointed at
// them only by the SDK's standard endpoint settings (AWS_ENDPOINT_URL for LocalStack, AWS_ENDPOINT_URL_ECS for
// moto). Each place is seeded with a generated key, a clean resource beside it; other tests' resources may be
// in the same account, so assertions are about the seeded ones.
import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { DeregisterTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand } from "@aws-sdk/client-ecs";
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  IAMClient,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  LambdaClient,
  PublishVersionCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from "@aws-sdk/client-lambda";
import { localStackClientConfig, localStackRegion, motoEndpoint, requireLocalStack } from "@keyless/testing";
import { assertNoSecrets, check, credentials } from "../../support/policy-credentials";
import { storedZip } from "../../support/zip";
import { runAudit } from "./support";

const AMI = "ami-03cf127a";
const b64 = (s: string | Buffer): string => Buffer.from(s).toString("base64");

interface Entry {
  file: string;
  findings: { kind: string; layer: string; description: string }[];
}

describe("keyless-scan audit against the emulators", function () {
  this.timeout(300_000);
  const ec2 = new EC2Client(localStackClientConfig());
  const lambda = new LambdaClient(localStackClientConfig());
  const iam = new IAMClient(localStackClientConfig());
  const ecs = new ECSClient(localStackClientConfig(motoEndpoint()));
  const suffix = randomBytes(3).toString("hex");
  const seeded = {
    instances: [] as string[],
    templates: [] as string[],
    functions: [] as string[],
    taskDefs: [] as string[],
    version: "",
    terminated: "",
  };
  const user = `keyless-audit-${suffix}`;
  const idle = `keyless-audit-idle-${suffix}`;
  const userKeys: { user: string; id: string }[] = [];
  let doc: Entry[] = [];
  let output = "";
  let status: number | null = null;

  before(async () => {
    await requireLocalStack(["ec2", "lambda", "iam"]);
    const c = credentials();
    // EC2: one instance with a key in gzip'd user data, one clean.
    for (const userData of [
      b64(
        gzipSync(
          `#!/bin/bash\nexport AWS_ACCESS_KEY_ID=${c.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${c.secretAccessKey}\n`,
        ),
      ),
      b64("#!/bin/bash\nyum install -y nginx\n"),
    ]) {
      const run = await ec2.send(
        new RunInstancesCommand({
          ImageId: AMI,
          InstanceType: "t3.micro",
          MinCount: 1,
          MaxCount: 1,
          UserData: userData,
        }),
      );
      seeded.instances.push(run.Instances?.[0]?.InstanceId ?? "");
    }
    // Launch templates: version 1 clean, version 2 holds a secret; another template clean.
    for (const [i, versions] of [
      [
        "#!/bin/bash\necho v1\n",
        `#!/bin/bash\naws configure set aws_secret_access_key ${credentials().secretAccessKey}\n`,
      ],
      ["#cloud-config\npackages: [nginx]\n"],
    ].entries()) {
      const lt = await ec2.send(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: `keyless-audit-${suffix}-${i}`,
          LaunchTemplateData: { ImageId: AMI, UserData: b64(versions[0] ?? "") },
        }),
      );
      const id = lt.LaunchTemplate?.LaunchTemplateId ?? "";
      seeded.templates.push(id);
      for (const v of versions.slice(1)) {
        await ec2.send(
          new CreateLaunchTemplateVersionCommand({
            LaunchTemplateId: id,
            LaunchTemplateData: { ImageId: AMI, UserData: b64(v) },
          }),
        );
      }
    }
    // Lambda: one function with a secret in its environment, one clean.
    const environments: Record<string, string>[] = [
      { LOG_LEVEL: "info", AWS_SECRET_ACCESS_KEY: credentials().secretAccessKey },
      { LOG_LEVEL: "info" },
    ];
    for (const [i, vars] of environments.entries()) {
      const name = `keyless-audit-${suffix}-${i}`;
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Role: "arn:aws:iam::000000000000:role/keyless-audit",
          Runtime: "nodejs20.x",
          Handler: "index.handler",
          Code: { ZipFile: storedZip("index.js", "exports.handler = async () => 1;\n") },
          Environment: { Variables: vars },
        }),
      );
      seeded.functions.push(name);
    }
    // A published version of the clean function that still holds a key, the function cleaned since.
    const versioned = `keyless-audit-${suffix}-versioned`;
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: versioned,
        Role: "arn:aws:iam::000000000000:role/keyless-audit",
        Runtime: "nodejs20.x",
        Handler: "index.handler",
        Code: { ZipFile: storedZip("index.js", "exports.handler = async () => 1;\n") },
        Environment: { Variables: { AWS_SECRET_ACCESS_KEY: credentials().secretAccessKey } },
      }),
    );
    seeded.functions.push(versioned);
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 60 }, { FunctionName: versioned });
    const published = await lambda.send(new PublishVersionCommand({ FunctionName: versioned }));
    seeded.version = published.Version ?? "";
    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: versioned,
        Environment: { Variables: { LOG_LEVEL: "info" } },
      }),
    );
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 60 }, { FunctionName: versioned });
    // A terminated instance with a key: it runs nowhere, and is not read.
    const gone = await ec2.send(
      new RunInstancesCommand({
        ImageId: AMI,
        InstanceType: "t3.micro",
        MinCount: 1,
        MaxCount: 1,
        UserData: b64(`export AWS_ACCESS_KEY_ID=${credentials().accessKeyId}\n`),
      }),
    );
    seeded.terminated = gone.Instances?.[0]?.InstanceId ?? "";
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [seeded.terminated] }));
    // ECS (moto): a task definition whose app container carries a secret as a name/value pair, one clean.
    for (const [i, env] of [
      [
        { name: "PORT", value: "8080" },
        { name: "AWS_SECRET_ACCESS_KEY", value: credentials().secretAccessKey },
      ],
      [{ name: "PORT", value: "8080" }],
    ].entries()) {
      const td = await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: `keyless-audit-${suffix}-${i}`,
          containerDefinitions: [{ name: "app", image: "nginx", memory: 128, environment: env }],
        }),
      );
      seeded.taskDefs.push(td.taskDefinition?.taskDefinitionArn ?? "");
    }
    // IAM: a user with an active key, one whose key is inactive.
    for (const name of [user, idle]) {
      await iam.send(new CreateUserCommand({ UserName: name }));
      const key = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
      userKeys.push({ user: name, id: key.AccessKey?.AccessKeyId ?? "" });
    }
    await iam.send(
      new UpdateAccessKeyCommand({ UserName: idle, AccessKeyId: userKeys[1]?.id ?? "", Status: "Inactive" }),
    );

    // WHEN the audit runs with nothing but the SDK's standard settings
    const res = runAudit(["--format", "json"]);
    status = res.status;
    output = `${res.stdout}${res.stderr}`;
    assertNoSecrets(
      output,
      "audit output",
      userKeys.map((k) => k.id),
    );
    check(status === 1, `exit ${status}: ${res.stderr}`);
    doc = JSON.parse(res.stdout) as Entry[];
  });

  after(async () => {
    await ec2
      .send(new TerminateInstancesCommand({ InstanceIds: seeded.instances.filter(Boolean) }))
      .catch(() => undefined);
    for (const id of seeded.templates)
      await ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: id })).catch(() => undefined);
    for (const name of seeded.functions)
      await lambda.send(new DeleteFunctionCommand({ FunctionName: name })).catch(() => undefined);
    for (const arn of seeded.taskDefs)
      await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn })).catch(() => undefined);
    for (const k of userKeys) {
      await iam.send(new DeleteAccessKeyCommand({ UserName: k.user, AccessKeyId: k.id })).catch(() => undefined);
      await iam.send(new DeleteUserCommand({ UserName: k.user })).catch(() => undefined);
    }
  });

  const entry = (file: string): Entry | undefined => doc.find((e) => e.file === file);
  const region = localStackRegion();

  it("finds the key in the seeded instance's user data, and nothing in the clean one", () => {
    const dirty = entry(`ec2/${region}/instance/${seeded.instances[0]}/userData`);
    check(
      dirty?.findings.map((f) => f.kind).join() === "aws-access-key-id,aws-secret-access-key",
      JSON.stringify(dirty),
    );
    check(/gzip$/.test(dirty?.findings[0]?.layer ?? ""), `layer ${dirty?.findings[0]?.layer}`);
    check(entry(`ec2/${region}/instance/${seeded.instances[1]}/userData`) === undefined, "clean instance");
  });

  it("finds the secret in launch template version 2 only", () => {
    const t = seeded.templates[0];
    check(
      entry(`ec2/${region}/launch-template/${t}/version/2/userData`)?.findings[0]?.kind === "aws-secret-access-key",
      output,
    );
    check(entry(`ec2/${region}/launch-template/${t}/version/1/userData`) === undefined, "version 1 clean");
    check(!doc.some((e) => e.file.includes(`${seeded.templates[1]}/`)), "clean template");
  });

  it("finds the secret in the Lambda environment, naming the variable", () => {
    const f = entry(`lambda/${region}/function/${seeded.functions[0]}/environment`);
    check(
      f?.findings[0]?.kind === "aws-secret-access-key" &&
        /variable AWS_SECRET_ACCESS_KEY/.test(f.findings[0].description),
      JSON.stringify(f),
    );
    check(entry(`lambda/${region}/function/${seeded.functions[1]}/environment`) === undefined, "clean function");
  });

  it("finds the key a published Lambda version still holds, not in the cleaned function", () => {
    const name = seeded.functions[2];
    const f = entry(`lambda/${region}/function/${name}/version/${seeded.version}/environment`);
    check(
      f?.findings[0]?.kind === "aws-secret-access-key",
      JSON.stringify(doc.filter((e) => e.file.includes(name ?? "-"))),
    );
    check(entry(`lambda/${region}/function/${name}/environment`) === undefined, "$LATEST is clean");
  });

  it("does not read a terminated instance", () => {
    check(!doc.some((e) => e.file.includes(seeded.terminated)), "terminated instance");
  });

  it("finds the secret in the ECS task definition's name/value pair (moto)", () => {
    const family = (arn: string | undefined) => (arn ?? "").split("task-definition/")[1];
    const f = entry(`ecs/${region}/task-definition/${family(seeded.taskDefs[0])}/container/app/environment`);
    check(f?.findings[0]?.kind === "aws-secret-access-key", JSON.stringify(f));
    check(!doc.some((e) => e.file.includes(`task-definition/${family(seeded.taskDefs[1])}/`)), "clean task definition");
  });

  it("lists the user with an active key, masked, and not the one whose key is inactive", () => {
    const id = userKeys[0]?.id ?? "";
    const f = entry(`iam/user/${user}/access-key/${id.slice(0, 4)}…${id.slice(-4)}`);
    check(/active access key .*, 0 days old, never used/.test(f?.findings[0]?.description ?? ""), JSON.stringify(f));
    check(!doc.some((e) => e.file.startsWith(`iam/user/${idle}/`)), "inactive key");
  });
});
