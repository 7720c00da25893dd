// `keyless-scan audit` against fake AWS clients: every place, every page, bounded concurrency, failing
// closed, names the resource, never a value or a whole key id. The same code against the emulators is in
// tests/integration/scanner/audit.spec.ts.
import { deflateSync, gzipSync } from "node:zlib";
import type { ClientFactory, CommandName, SdkClient } from "@keyless/scanner/dist/audit";
import { mainAudit } from "@keyless/scanner/dist/cli";
import { assertNoSecrets, check, credentials, sessionToken } from "../../support/policy-credentials";

interface Command {
  readonly name: CommandName;
  readonly input: Record<string, unknown>;
}

const b64 = (s: string | Buffer): string => Buffer.from(s).toString("base64");

/** An account as the fake clients serve it, two items per page. */
function account(): {
  factory: ClientFactory;
  calls: Command[];
  maxInFlight: () => number;
  keyIds: string[];
  fail?: CommandName;
  vanish?: string;
} {
  const dirty = credentials();
  const lt = credentials();
  const fn = credentials();
  const task = credentials();
  const userKey = credentials().accessKeyId;
  const instances = [
    { id: "i-clean1", userData: b64("#!/bin/bash\nyum install -y nginx\n") },
    {
      id: "i-dirty",
      userData: b64(
        gzipSync(
          `#!/bin/bash\nexport AWS_ACCESS_KEY_ID=${dirty.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${dirty.secretAccessKey}\n`,
        ),
      ),
    },
    { id: "i-clean2", userData: "" },
    // Terminated: its user data runs nowhere any more, and is not read.
    { id: "i-gone", state: "terminated", userData: b64(`export AWS_ACCESS_KEY_ID=${credentials().accessKeyId}\n`) },
  ];
  const templates: Record<string, { version: number; userData: string }[]> = {
    "lt-clean": [{ version: 1, userData: b64("#cloud-config\npackages: [nginx]\n") }],
    "lt-dirty": [
      { version: 1, userData: b64("#!/bin/bash\necho v1\n") },
      { version: 2, userData: b64("#!/bin/bash\necho v2\n") },
      { version: 3, userData: b64(deflateSync(`aws_secret_access_key = ${lt.secretAccessKey}\n`)) },
    ],
  };
  const functions = [
    { FunctionName: "clean-fn", Environment: { Variables: { LOG_LEVEL: "info", TABLE: "orders" } } },
    {
      FunctionName: "dirty-fn",
      Environment: {
        Variables: { LOG_LEVEL: "info", AWS_SECRET_ACCESS_KEY: fn.secretAccessKey, AWS_SESSION_TOKEN: sessionToken() },
      },
    },
    { FunctionName: "no-env" },
    // A published version keeps the environment it was published with.
    {
      FunctionName: "clean-fn",
      Version: "1",
      Environment: { Variables: { AWS_SECRET_ACCESS_KEY: credentials().secretAccessKey } },
    },
  ];
  const taskDefs: Record<string, { name: string; environment: { name: string; value: string }[] }[]> = {
    "arn:aws:ecs:eu-west-1:123456789012:task-definition/clean:1": [
      { name: "app", environment: [{ name: "PORT", value: "8080" }] },
    ],
    "arn:aws:ecs:eu-west-1:123456789012:task-definition/dirty:4": [
      { name: "sidecar", environment: [] },
      {
        name: "app",
        environment: [
          { name: "PORT", value: "8080" },
          { name: "AWS_SECRET_ACCESS_KEY", value: task.secretAccessKey },
        ],
      },
    ],
  };
  const users: Record<string, { AccessKeyId: string; Status: string; CreateDate: Date }[]> = {
    alice: [{ AccessKeyId: userKey, Status: "Active", CreateDate: new Date("2025-11-26T00:00:00Z") }],
    bob: [{ AccessKeyId: credentials().accessKeyId, Status: "Inactive", CreateDate: new Date("2024-01-01T00:00:00Z") }],
    carol: [],
  };
  const calls: Command[] = [];
  let inFlight = 0;
  let max = 0;
  const page = <T>(items: readonly T[], token: unknown): { items: T[]; next?: string } => {
    const start = typeof token === "string" ? Number(token) : 0;
    const next = start + 2 < items.length ? String(start + 2) : undefined;
    return { items: items.slice(start, start + 2), next };
  };
  const state = {
    factory: undefined as unknown as ClientFactory,
    calls,
    maxInFlight: () => max,
    keyIds: [dirty.accessKeyId, userKey],
    fail: undefined as CommandName | undefined,
    vanish: undefined as string | undefined,
  };
  const client: SdkClient = {
    async send(command: object) {
      const { name, input } = command as Command;
      calls.push({ name, input });
      if (name === "DescribeInstanceAttribute" && input.InstanceId === state.vanish) {
        throw Object.assign(new Error(`The instance ID '${state.vanish}' does not exist`), {
          name: "InvalidInstanceID.NotFound",
        });
      }
      if (state.fail === name)
        throw Object.assign(new Error("User is not authorized to perform this action"), {
          name: "AccessDeniedException",
        });
      inFlight++;
      max = Math.max(max, inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      switch (name) {
        case "DescribeInstances": {
          const p = page(instances, input.NextToken);
          return {
            Reservations: [
              {
                Instances: p.items.map((i) => ({
                  InstanceId: i.id,
                  State: { Name: "state" in i ? i.state : "running" },
                })),
              },
            ],
            NextToken: p.next,
          };
        }
        case "DescribeInstanceAttribute":
          return { UserData: { Value: instances.find((i) => i.id === input.InstanceId)?.userData || undefined } };
        case "DescribeLaunchTemplates": {
          const p = page(Object.keys(templates), input.NextToken);
          return { LaunchTemplates: p.items.map((id) => ({ LaunchTemplateId: id })), NextToken: p.next };
        }
        case "DescribeLaunchTemplateVersions": {
          const p = page(templates[String(input.LaunchTemplateId)] ?? [], input.NextToken);
          return {
            LaunchTemplateVersions: p.items.map((v) => ({
              VersionNumber: v.version,
              LaunchTemplateData: { UserData: v.userData },
            })),
            NextToken: p.next,
          };
        }
        case "ListFunctions": {
          const p = page(functions, input.Marker);
          return { Functions: p.items, NextMarker: p.next };
        }
        case "ListTaskDefinitions": {
          const p = page(Object.keys(taskDefs), input.nextToken);
          return { taskDefinitionArns: p.items, nextToken: p.next };
        }
        case "DescribeTaskDefinition":
          return { taskDefinition: { containerDefinitions: taskDefs[String(input.taskDefinition)] } };
        case "ListUsers": {
          const p = page(Object.keys(users), input.Marker);
          return {
            Users: p.items.map((UserName) => ({ UserName })),
            Marker: p.next,
            IsTruncated: p.next !== undefined,
          };
        }
        case "ListAccessKeys":
          return { AccessKeyMetadata: users[String(input.UserName)] ?? [] };
        case "GetAccessKeyLastUsed":
          return {
            AccessKeyLastUsed: {
              LastUsedDate: new Date("2026-11-01T10:00:00Z"),
              ServiceName: "s3",
              Region: "eu-west-1",
            },
          };
      }
      throw new Error(`unexpected ${name}`);
    },
  };
  state.factory = {
    ec2: () => client,
    lambda: () => client,
    ecs: () => client,
    iam: () => client,
    command: (name, input) => ({ name, input }),
    defaultRegion: async () => undefined,
  };
  return state;
}

async function run(args: readonly string[], fake: ReturnType<typeof account>) {
  let out = "";
  let err = "";
  const status = await mainAudit(
    args,
    {
      stdout: (t) => {
        out += t;
      },
      stderr: (t) => {
        err += t;
      },
      readFile: () => new Uint8Array(),
      readStdin: () => new Uint8Array(),
      isTTY: true,
    },
    fake.factory,
  );
  assertNoSecrets(out + err, "audit output");
  for (const id of fake.keyIds) check(!(out + err).includes(id), "a whole key id was printed");
  return { status, out, err };
}

describe("keyless-scan audit (fake AWS)", () => {
  it("finds keys in instance user data, launch template versions, Lambda and ECS environments, and active IAM keys", async () => {
    const fake = account();
    const res = await run(["--region", "eu-west-1", "--format", "json"], fake);
    check(res.status === 1, `exit ${res.status}: ${res.err}`);
    const doc = JSON.parse(res.out) as {
      file: string;
      findings: { kind: string; layer: string; description: string }[];
    }[];
    const files = doc.map((d) => d.file);
    check(
      files.join("\n") ===
        [
          "ec2/eu-west-1/instance/i-dirty/userData",
          "ec2/eu-west-1/launch-template/lt-dirty/version/3/userData",
          "lambda/eu-west-1/function/dirty-fn/environment",
          "lambda/eu-west-1/function/clean-fn/version/1/environment",
          "ecs/eu-west-1/task-definition/dirty:4/container/app/environment",
          `iam/user/alice/access-key/${fake.keyIds[1]?.slice(0, 4)}…${fake.keyIds[1]?.slice(-4)}`,
        ].join("\n"),
      files.join("\n"),
    );
    check(
      doc[0]?.findings.map((f) => `${f.kind}@${f.layer}`).join() ===
        "aws-access-key-id@base64 > gzip,aws-secret-access-key@base64 > gzip",
      "user data layers",
    );
    check(doc[1]?.findings[0]?.layer === "base64 > zlib", "launch template layer");
    check(doc[2]?.findings.map((f) => f.kind).join() === "aws-secret-access-key,aws-session-token", "lambda kinds");
    check(/variable AWS_SECRET_ACCESS_KEY/.test(doc[2]?.findings[0]?.description ?? ""), "names the variable");
    check(/variable AWS_SECRET_ACCESS_KEY/.test(doc[4]?.findings[0]?.description ?? ""), "names the ECS variable");
    check(
      /IAM user alice has an active access key .*, \d+ days old, last used 2026-11-01 by s3 in eu-west-1/.test(
        doc[5]?.findings[0]?.description ?? "",
      ),
      doc[5]?.findings[0]?.description ?? "",
    );
    check(
      !files.some(
        (f) => f.includes("bob") || f.includes("carol") || f.includes("i-gone") || f.endsWith("clean-fn/environment"),
      ),
      "inactive keys and clean resources are not findings",
    );
  });

  it("reads every page and every version, with at most --concurrency requests in flight", async () => {
    const fake = account();
    await run(["--region", "eu-west-1", "--concurrency", "2"], fake);
    const count = (n: CommandName) => fake.calls.filter((c) => c.name === n).length;
    check(
      count("DescribeInstances") === 2 && count("DescribeInstanceAttribute") === 3,
      "instances, two pages, not the terminated one",
    );
    check(count("DescribeLaunchTemplateVersions") === 3, "lt-dirty's versions span two pages");
    check(count("ListFunctions") === 2 && count("ListTaskDefinitions") === 1 && count("ListUsers") === 2, "pages");
    check(
      fake.calls.every((c) => c.name !== "ListFunctions" || c.input.FunctionVersion === "ALL"),
      "all versions",
    );
    check(fake.maxInFlight() <= 2, `${fake.maxInFlight()} in flight`);
  });

  it("audits each --region, and IAM once", async () => {
    const fake = account();
    const res = await run(["--region", "eu-west-1", "--region", "us-east-1"], fake);
    check(fake.calls.filter((c) => c.name === "DescribeInstances").length === 4, "both regions");
    check(fake.calls.filter((c) => c.name === "ListUsers").length === 2, "IAM once (two pages)");
    check(
      /us-east-1\/instance\/i-dirty/.test(res.out) && /eu-west-1, us-east-1 and IAM: 15 findings/.test(res.err),
      res.err,
    );
  });

  it("prints SARIF and a progress line on a terminal", async () => {
    const res = await run(["--region", "eu-west-1", "--format", "sarif", "--no-iam"], account());
    const log = JSON.parse(res.out) as {
      runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[];
    };
    check(
      log.runs[0]?.results[0]?.locations[0]?.physicalLocation.artifactLocation.uri ===
        "ec2/eu-west-1/instance/i-dirty/userData",
      "uri",
    );
    check(res.err.includes("\r\u001b[2Keu-west-1: instances 3/3"), "progress");
  });

  it("fails closed, naming the service, when one cannot be read", async () => {
    const fake = account();
    fake.fail = "ListFunctions";
    const res = await run(["--region", "eu-west-1"], fake);
    check(
      res.status === 2 && /lambda in eu-west-1: ListFunctions failed: AccessDeniedException/.test(res.err),
      res.err,
    );
  });

  it("skips a resource deleted between listing and reading it, and still reports the rest", async () => {
    const fake = account();
    fake.vanish = "i-dirty";
    const res = await run(["--region", "eu-west-1", "--format", "json", "--no-iam"], fake);
    const files = (JSON.parse(res.out) as { file: string }[]).map((d) => d.file);
    check(
      res.status === 1 && !files.some((f) => f.includes("i-dirty")) && files.some((f) => f.includes("lt-dirty")),
      res.err,
    );
  });

  it("names the argument on bad input, and needs a region", async () => {
    const bad = await run(["--region", "nowhere"], account());
    check(bad.status === 2 && /--region needs a region name like eu-west-1, not "nowhere"/.test(bad.err), bad.err);
    check(
      /--concurrency needs an integer from 1 to 64/.test((await run(["--concurrency", "0"], account())).err),
      "concurrency",
    );
    check(/unknown audit argument --bogus/.test((await run(["--bogus"], account())).err), "unknown");
    const none = await run([], account());
    check(none.status === 2 && /no region: pass --region/.test(none.err), none.err);
  });
});
