// `keyless-scan audit` against fake AWS clients: every place, every page, bounded concurrency, failing
// closed, names the resource, never a value or a whole key id. The same code against the emulators is in
// tests/integration/scanner/audit.spec.ts.
import { readFileSync } from "node:fs";
import { deflateSync, gzipSync } from "node:zlib";
import type { ClientFactory, CommandName, SdkClient } from "@keyless/scanner/dist/audit";
import { mainAudit } from "@keyless/scanner/dist/cli";
import Ajv, { type ValidateFunction } from "ajv-draft-04";
import addFormats from "ajv-formats";
import { check, credentials, sessionToken } from "../../support/policy-credentials";
import { runFakeAudit } from "./run-fake-audit";

const ACCOUNT = "123456789012";
/** An IAM OIDC provider's ARN, from its URL as IAM holds it (host and path, no scheme). */
const providerArn = (url: string): string => `arn:aws:iam::${ACCOUNT}:oidc-provider/${url}`;

/** A role as ListRoles returns it: its trust policy's text as IAM stores it. */
interface FakeRole {
  readonly name: string;
  readonly trust: string;
}
interface FakeProvider {
  readonly url: string;
  readonly audiences: readonly string[];
}

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
  roles: FakeRole[];
  providers: FakeProvider[];
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
    roles: [] as FakeRole[],
    providers: [] as FakeProvider[],
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
        case "GetCallerIdentity":
          return { Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/auditor` };
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
        case "ListRoles": {
          const p = page(state.roles, input.Marker);
          return {
            Roles: p.items.map((r) => ({
              RoleName: r.name,
              Arn: `arn:aws:iam::${ACCOUNT}:role/${r.name}`,
              AssumeRolePolicyDocument: r.trust,
            })),
            Marker: p.next,
            IsTruncated: p.next !== undefined,
          };
        }
        case "ListOpenIDConnectProviders":
          return { OpenIDConnectProviderList: state.providers.map((p) => ({ Arn: providerArn(p.url) })) };
        case "GetOpenIDConnectProvider": {
          const p = state.providers.find((x) => providerArn(x.url) === input.OpenIDConnectProviderArn);
          if (p === undefined || input.OpenIDConnectProviderArn === state.vanish) {
            throw Object.assign(new Error("OpenIDConnect Provider not found"), { name: "NoSuchEntityException" });
          }
          return { Url: p.url, ClientIDList: p.audiences, CreateDate: new Date("2024-03-01T00:00:00Z") };
        }
      }
      throw new Error(`unexpected ${name}`);
    },
  };
  state.factory = {
    ec2: () => client,
    lambda: () => client,
    ecs: () => client,
    iam: () => client,
    sts: () => client,
    organizations: () => client,
    command: (name, input) => ({ name, input }),
    defaultRegion: async () => undefined,
  };
  return state;
}

async function run(args: readonly string[], fake: ReturnType<typeof account>) {
  return runFakeAudit(args, fake.factory, fake.keyIds, true);
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

// The web-identity inventory: roles whose trust admits a web identity it does not name, OIDC providers no role trusts.
const GITHUB = "token.actions.githubusercontent.com";
const EKS = "oidc.eks.eu-west-1.amazonaws.com/id/5C1A2B3D4E5F60718293A4B5C6D7E8F9";
const GITLAB = "gitlab.example.com";
const PULUMI = "api.pulumi.com/oidc";

/** A trust policy's text: one statement trusting `issuer`'s provider with `condition`. */
function federated(issuer: string, condition: Record<string, unknown>): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: providerArn(issuer) },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: condition,
      },
    ],
  });
}
const githubTrust = (sub: string | string[]): string =>
  federated(GITHUB, {
    StringEquals: { [`${GITHUB}:aud`]: "sts.amazonaws.com" },
    StringLike: { [`${GITHUB}:sub`]: sub },
  });
const podIdentity = (tags: Record<string, string>): string =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "pods.eks.amazonaws.com" },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        ...(Object.keys(tags).length > 0 ? { Condition: { StringEquals: tags } } : {}),
      },
    ],
  });
/**
 * The text a reviewer reads as pinned to one repository: `StringLike` written twice, IAM keeping the second. Written by
 * hand (JSON.stringify cannot write a member twice), and URL-encoded as IAM's API returns it.
 */
const DUPLICATE = encodeURIComponent(
  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"${providerArn(GITHUB)}"},` +
    `"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"${GITHUB}:aud":"sts.amazonaws.com"},` +
    `"StringLike":{"${GITHUB}:sub":"repo:octo/app:ref:refs/heads/main"},"StringLike":{"${GITHUB}:sub":"repo:octo/app:environment:prod"}}}]}`,
);

/** Roles with an unscoped trust, each beside its scoped twin, and a role trusting a service. */
const ROLES: readonly FakeRole[] = [
  { name: "gh-any-repo", trust: encodeURIComponent(githubTrust("repo:*")) },
  { name: "gh-deploy", trust: encodeURIComponent(githubTrust("repo:octo/app:environment:prod")) },
  { name: "gh-any-owner", trust: githubTrust("repo:*/app:ref:refs/heads/main") },
  { name: "gh-list-later-star", trust: githubTrust(["repo:octo/app:ref:refs/heads/main", "*"]) },
  { name: "gh-list", trust: githubTrust(["repo:octo/app:ref:refs/heads/main", "repo:octo/app:pull_request"]) },
  { name: "gh-duplicate-sub", trust: DUPLICATE },
  { name: "gh-no-sub", trust: federated(GITHUB, { StringEquals: { [`${GITHUB}:aud`]: "sts.amazonaws.com" } }) },
  {
    name: "gh-owner-variable",
    // The owner from the token itself: no rule on the text fires; IAM's evaluation admits another owner's repository.
    trust: federated(GITHUB, {
      StringEquals: {
        [`${GITHUB}:aud`]: "sts.amazonaws.com",
        [`${GITHUB}:sub`]: `repo:\${${GITHUB}:repository_owner}/app:ref:refs/heads/main`,
      },
    }),
  },
  { name: "pods-any", trust: podIdentity({}) },
  {
    name: "pods-shop",
    trust: podIdentity({
      "aws:RequestTag/kubernetes-namespace": "shop",
      "aws:RequestTag/kubernetes-service-account": "api",
      "aws:RequestTag/eks-cluster-arn": `arn:aws:eks:eu-west-1:${ACCOUNT}:cluster/prod`,
    }),
  },
  {
    name: "eks-shop-api",
    trust: federated(EKS, {
      StringEquals: { [`${EKS}:aud`]: "sts.amazonaws.com", [`${EKS}:sub`]: "system:serviceaccount:shop:api" },
    }),
  },
  {
    name: "ec2-web",
    trust: JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    }),
  },
  // IAM would not hold this (a statement without a principal): keyless cannot read it, and says so.
  {
    name: "unreadable",
    trust: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole" }] }),
  },
];
const PROVIDERS: readonly FakeProvider[] = [
  { url: GITHUB, audiences: ["sts.amazonaws.com"] },
  { url: EKS, audiences: ["sts.amazonaws.com"] },
  { url: GITLAB, audiences: ["https://gitlab.example.com"] },
  { url: PULUMI, audiences: ["octo-org"] },
];

interface JsonEntry {
  file: string;
  findings: {
    kind: string;
    level: string;
    layer: string;
    description: string;
    fingerprint: string;
    iam?: { code: string; arn: string; issuer?: string; key?: string; value?: string; awsRefuses?: boolean };
  }[];
}

/** The account with nothing deployed but its IAM roles and OIDC providers: no instance, function, task or user. */
function withoutKeys(fake: ReturnType<typeof account>): ReturnType<typeof account> {
  const inner = fake.factory.iam("us-east-1");
  const empty: Partial<Record<CommandName, object>> = {
    DescribeInstances: { Reservations: [] },
    DescribeLaunchTemplates: { LaunchTemplates: [] },
    ListFunctions: { Functions: [] },
    ListTaskDefinitions: { taskDefinitionArns: [] },
    ListUsers: { Users: [] },
  };
  const client: SdkClient = {
    send: async (command) => empty[(command as Command).name] ?? inner.send(command),
  };
  fake.factory = { ...fake.factory, ec2: () => client, lambda: () => client, ecs: () => client, iam: () => client };
  return fake;
}

/** The SARIF 2.1.0 JSON schema (Microsoft's copy in @microsoft/jest-sarif), compiled once, as cli-output.spec.ts does. */
const sarifValidator = (() => {
  let compiled: ValidateFunction | undefined;
  return (): ValidateFunction => {
    if (compiled !== undefined) return compiled;
    // unicodeRegExp off: the schema's `language` pattern has a stray `]` that only non-unicode regular expressions accept.
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    const schema = require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
    compiled = ajv.compile(JSON.parse(readFileSync(schema, "utf8")));
    return compiled;
  };
})();
const sarifSchema = () => (doc: unknown) => sarifValidator()(doc) === true;
const sarifErrors = () => JSON.stringify(sarifValidator().errors ?? []);

function webIdentityAccount(roles: readonly FakeRole[] = ROLES, providers: readonly FakeProvider[] = PROVIDERS) {
  const fake = account();
  fake.roles = [...roles];
  fake.providers = [...providers];
  return fake;
}

describe("keyless-scan audit: web-identity trust and OIDC providers (fake AWS)", () => {
  const iamOnly = (doc: JsonEntry[]) => doc.filter((e) => /^iam\/(role|oidc-provider)\//.test(e.file));
  const codes = (e: JsonEntry | undefined) => e?.findings.map((f) => f.iam?.code).join() ?? "";

  it("names each role whose trust admits an unscoped web identity, with webIdentityTrustFindings' codes, and not its scoped twin", async () => {
    // GIVEN the roles above, trust policies URL-encoded or not, two per ListRoles page
    const fake = webIdentityAccount();
    const res = await run(["--region", "eu-west-1", "--format", "json"], fake);
    const doc = iamOnly(JSON.parse(res.out) as JsonEntry[]);
    const role = (name: string) => doc.find((e) => e.file === `iam/role/${name}/trust-policy`);
    // THEN exactly the unscoped ones are named, in ListRoles order, then the providers no role trusts
    check(
      doc.map((e) => e.file).join("\n") ===
        [
          "iam/role/gh-any-repo/trust-policy",
          "iam/role/gh-any-owner/trust-policy",
          "iam/role/gh-list-later-star/trust-policy",
          "iam/role/gh-duplicate-sub/trust-policy",
          "iam/role/gh-no-sub/trust-policy",
          "iam/role/gh-owner-variable/trust-policy",
          "iam/role/pods-any/trust-policy",
          "iam/role/unreadable/trust-policy",
          `iam/oidc-provider/${GITLAB}`,
          `iam/oidc-provider/${PULUMI}`,
        ].join("\n"),
      doc.map((e) => e.file).join("\n"),
    );
    check(codes(role("gh-any-repo")) === "UnscopedValue", codes(role("gh-any-repo")));
    check(codes(role("gh-any-owner")) === "UnscopedValue", codes(role("gh-any-owner")));
    const later = role("gh-list-later-star")?.findings[0];
    check(later?.iam?.code === "UnscopedValueInList" && later.iam.value === "*", JSON.stringify(later));
    // The duplicated member survives ListRoles' text: reported though IAM's last value is itself scoped.
    const dup = role("gh-duplicate-sub")?.findings[0];
    check(
      dup?.iam?.code === "DuplicateMember" &&
        dup.iam.key === "StringLike" &&
        dup.description.startsWith(
          `Role gh-duplicate-sub, trusting ${GITHUB}: statement 0 writes \`StringLike\` twice`,
        ),
      JSON.stringify(dup),
    );
    check(codes(role("gh-no-sub")) === "NoSubjectCondition", codes(role("gh-no-sub")));
    check(codes(role("gh-owner-variable")) === "ForeignTokenAdmitted", codes(role("gh-owner-variable")));
    check(
      codes(role("pods-any")) === "PodIdentityTagUnbounded,PodIdentityTagUnbounded,PodIdentityTagUnbounded",
      codes(role("pods-any")),
    );
    check(
      codes(role("unreadable")) === "TrustPolicyUnreadable" &&
        role("unreadable")?.findings[0]?.description ===
          "Role unreadable: keyless could not read its trust policy (Statement[0] must have exactly one of Principal and NotPrincipal), so cannot tell whether it lets a web identity it does not name assume the role: read it (aws iam get-role --role-name unreadable) and fix it.",
      JSON.stringify(role("unreadable")),
    );
    for (const e of doc.filter((x) => x.file.startsWith("iam/role/"))) {
      for (const f of e.findings) {
        check(f.kind === "web-identity-trust-unscoped" && f.level === "error", `${e.file}: ${f.kind} ${f.level}`);
        check(f.iam?.arn === `arn:aws:iam::${ACCOUNT}:role/${e.file.split("/")[2]}`, `${e.file}: arn ${f.iam?.arn}`);
      }
    }
  });

  it("says in each message the role, the issuer, the offending value, the fix and whether AWS itself refuses the policy", async () => {
    const doc = JSON.parse((await run(["--region", "eu-west-1", "--json", "--no-iam"], account())).out) as JsonEntry[];
    check(
      doc.every((e) => !e.file.startsWith("iam/")),
      "--no-iam reads no IAM",
    );
    const all = iamOnly(
      JSON.parse((await run(["--region", "eu-west-1", "--json"], webIdentityAccount())).out) as JsonEntry[],
    );
    const message = (name: string) => all.find((e) => e.file === `iam/role/${name}/trust-policy`)?.findings[0];
    const anyRepo = message("gh-any-repo");
    check(
      anyRepo?.description.startsWith(`Role gh-any-repo: statement 0 trusts ${GITHUB} with `) === true &&
        anyRepo.description.includes('"repo:*"') &&
        /Name it: `repo:<owner>\/<repository>/.test(anyRepo.description) &&
        anyRepo.description.endsWith("AWS itself accepts this trust policy.") &&
        anyRepo.iam?.awsRefuses === false,
      anyRepo?.description ?? "",
    );
    // AWS refuses a GitHub trust without a sub pin since 2025: a role that predates the check is still there.
    const noSub = message("gh-no-sub");
    check(
      noSub?.iam?.awsRefuses === true &&
        /AWS itself also refuses this trust policy/.test(noSub.description) &&
        /predates that check/.test(noSub.description),
      noSub?.description ?? "",
    );
    const pods = message("pods-any");
    check(
      pods?.description.startsWith("Role pods-any: statement 0 trusts EKS Pod Identity (pods.eks.amazonaws.com) ") ===
        true && pods.description.includes('"aws:RequestTag/kubernetes-namespace": "<namespace>"'),
      pods?.description ?? "",
    );
    const unused = all.find((e) => e.file === `iam/oidc-provider/${GITLAB}`)?.findings[0];
    check(
      unused?.kind === "oidc-provider-unused" &&
        unused.level === "warning" &&
        unused.iam?.code === "OidcProviderUnused" &&
        unused.iam.arn === providerArn(GITLAB) &&
        unused.description.includes(`IAM OIDC provider ${GITLAB} (${providerArn(GITLAB)}, created 2024-03-01`) &&
        unused.description.includes(
          `delete-open-id-connect-provider --open-id-connect-provider-arn ${providerArn(GITLAB)}`,
        ),
      unused?.description ?? "",
    );
  });

  it("reads IAM once over several regions, every ListRoles page, and GetOpenIDConnectProvider only for providers no role trusts", async () => {
    const fake = webIdentityAccount();
    await run(["--region", "eu-west-1", "--region", "us-east-1"], fake);
    const calls = (n: CommandName) => fake.calls.filter((c) => c.name === n);
    check(calls("ListRoles").length === Math.ceil(ROLES.length / 2), `ListRoles ${calls("ListRoles").length}`);
    check(calls("ListOpenIDConnectProviders").length === 1, "providers listed once");
    check(
      calls("GetOpenIDConnectProvider")
        .map((c) => c.input.OpenIDConnectProviderArn)
        .join() === [providerArn(GITLAB), providerArn(PULUMI)].join(),
      "Get only for the unused ones",
    );
    const none = webIdentityAccount();
    await run(["--region", "eu-west-1", "--no-iam"], none);
    check(
      !none.calls.some((c) => ["ListRoles", "ListOpenIDConnectProviders", "GetOpenIDConnectProvider"].includes(c.name)),
      "--no-iam",
    );
  });

  it("fails on an unscoped trust; an unused provider alone is a warning that fails only with --fail-on-warnings", async () => {
    const scoped = ROLES.filter((r) =>
      ["gh-deploy", "gh-list", "pods-shop", "eks-shop-api", "ec2-web"].includes(r.name),
    );
    // GIVEN only scoped roles and every provider trusted: clean
    const cleanIam = await run(
      ["--region", "eu-west-1"],
      withoutKeys(webIdentityAccount(scoped, PROVIDERS.slice(0, 2))),
    );
    check(cleanIam.status === 0 && /: 0 findings\n$/.test(cleanIam.err), `${cleanIam.status} ${cleanIam.err}`);
    // AN unused provider: reported as a warning, exit 0 unless asked
    const warned = await run(["--region", "eu-west-1"], withoutKeys(webIdentityAccount(scoped, PROVIDERS)));
    check(
      warned.status === 0 && /: 2 findings \(2 warnings, not failing the audit\)/.test(warned.err),
      `${warned.status} ${warned.err}`,
    );
    check(
      warned.out ===
        `${ACCOUNT}:iam/oidc-provider/${GITLAB}: warning: Unused IAM OIDC provider: IAM OIDC provider ${GITLAB} (${providerArn(GITLAB)}, created 2024-03-01, audiences https://gitlab.example.com) is trusted by no role of the account: an unused provider is attack surface and migration debris. Delete it if nothing is to use it (aws iam delete-open-id-connect-provider --open-id-connect-provider-arn ${providerArn(GITLAB)}).\n` +
          `${ACCOUNT}:iam/oidc-provider/${PULUMI}: warning: Unused IAM OIDC provider: IAM OIDC provider ${PULUMI} (${providerArn(PULUMI)}, created 2024-03-01, audiences octo-org) is trusted by no role of the account: an unused provider is attack surface and migration debris. Delete it if nothing is to use it (aws iam delete-open-id-connect-provider --open-id-connect-provider-arn ${providerArn(PULUMI)}).\n`,
      warned.out,
    );
    const strict = await run(
      ["--region", "eu-west-1", "--fail-on-warnings"],
      withoutKeys(webIdentityAccount(scoped, PROVIDERS)),
    );
    check(strict.status === 1 && /2 warnings\)/.test(strict.err), `${strict.status} ${strict.err}`);
    // ONE unscoped role among them fails the audit
    const unscoped = ROLES.filter((r) => r.name === "gh-any-repo");
    const failed = await run(
      ["--region", "eu-west-1"],
      withoutKeys(webIdentityAccount([...scoped, ...unscoped], PROVIDERS.slice(0, 2))),
    );
    check(
      failed.status === 1 &&
        failed.out.startsWith(
          `${ACCOUNT}:iam/role/gh-any-repo/trust-policy: Unscoped web-identity trust: Role gh-any-repo: statement 0 trusts`,
        ),
      `${failed.status} ${failed.out}`,
    );
  });

  it("prints valid SARIF 2.1.0: both rules with their level and help link, results with the IAM detail", async () => {
    const res = await run(["--region", "eu-west-1", "--format", "sarif"], webIdentityAccount());
    const log = JSON.parse(res.out) as {
      runs: {
        tool: {
          driver: {
            rules: {
              id: string;
              helpUri?: string;
              defaultConfiguration: { level: string };
              properties: { tags: string[] };
            }[];
          };
        };
        results: {
          ruleId: string;
          ruleIndex: number;
          level: string;
          message: { text: string };
          locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
          properties: { iam?: { code: string } };
        }[];
      }[];
    };
    check(sarifSchema()(log), sarifErrors());
    const rules = log.runs[0]?.tool.driver.rules ?? [];
    const rule = (id: string) => rules.find((r) => r.id === id);
    check(
      rule("web-identity-trust-unscoped")?.defaultConfiguration.level === "error" &&
        rule("web-identity-trust-unscoped")?.helpUri ===
          "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html" &&
        rule("web-identity-trust-unscoped")?.properties.tags.includes("iam") === true,
      JSON.stringify(rule("web-identity-trust-unscoped")),
    );
    check(
      rule("oidc-provider-unused")?.defaultConfiguration.level === "warning" &&
        /delete-open-id-connect-provider/.test(rule("oidc-provider-unused")?.helpUri ?? ""),
      JSON.stringify(rule("oidc-provider-unused")),
    );
    const results = log.runs[0]?.results ?? [];
    for (const r of results) check(rules[r.ruleIndex]?.id === r.ruleId, `${r.ruleId} index`);
    const byUri = (uri: string) => results.filter((r) => r.locations[0]?.physicalLocation.artifactLocation.uri === uri);
    const anyRepo = byUri("iam/role/gh-any-repo/trust-policy")[0];
    check(
      anyRepo?.ruleId === "web-identity-trust-unscoped" &&
        anyRepo.level === "error" &&
        anyRepo.properties.iam?.code === "UnscopedValue" &&
        anyRepo.message.text.startsWith("Unscoped web-identity trust: Role gh-any-repo: statement 0 trusts"),
      JSON.stringify(anyRepo),
    );
    const unused = byUri(`iam/oidc-provider/${GITLAB}`)[0];
    check(unused?.ruleId === "oidc-provider-unused" && unused.level === "warning", JSON.stringify(unused));
    check(byUri("iam/role/gh-deploy/trust-policy").length === 0, "scoped role in SARIF");
  });

  it("fingerprints each IAM finding by kind, ARN and place: the same on every run, also for made-up tokens, other under another key", async () => {
    const prints = async (env?: Record<string, string>) => {
      let out = "";
      await mainAudit(
        ["--region", "eu-west-1", "--json"],
        {
          stdout: (t) => {
            out += t;
          },
          stderr: () => {},
          readFile: () => new Uint8Array(),
          readStdin: () => new Uint8Array(),
          ...(env === undefined ? {} : { env }),
        },
        webIdentityAccount().factory,
      );
      return iamOnly(JSON.parse(out) as JsonEntry[]).flatMap((e) =>
        e.findings.map((f) => `${e.file} ${f.fingerprint}`),
      );
    };
    const first = await prints();
    const second = await prints();
    check(first.join("\n") === second.join("\n"), "stable between runs");
    check(new Set(first.map((l) => l.split(" ")[1])).size === first.length, "one fingerprint per finding");
    const keyed = await prints({ KEYLESS_SCAN_FINGERPRINT_KEY: "a private key" });
    check(
      keyed.every((l, i) => l !== first[i]),
      "depends on the key",
    );
  });

  it("fails closed naming the call when roles or providers cannot be listed, and skips a provider deleted meanwhile", async () => {
    for (const name of ["ListRoles", "ListOpenIDConnectProviders"] as const) {
      const fake = webIdentityAccount();
      fake.fail = name;
      const res = await run(["--region", "eu-west-1"], fake);
      check(res.status === 2 && new RegExp(`${name} failed: AccessDeniedException`).test(res.err), res.err);
    }
    const fake = webIdentityAccount();
    fake.vanish = providerArn(PULUMI);
    const doc = JSON.parse((await run(["--region", "eu-west-1", "--json"], fake)).out) as JsonEntry[];
    check(
      doc.some((e) => e.file === `iam/oidc-provider/${GITLAB}`) && !doc.some((e) => e.file.includes(PULUMI)),
      doc.map((e) => e.file).join(),
    );
  });
});
