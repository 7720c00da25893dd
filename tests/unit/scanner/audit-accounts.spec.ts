// `keyless-scan audit` across accounts and regions against fake AWS clients: which accounts (the organization's
// ACTIVE ones, or the ids given), how they are reached (the caller's own with its credentials, the others through the
// role), the bound on requests in flight, failing closed per account and per service, and every finding named by
// account and region in text, JSON and SARIF. The same against moto is tests/integration/scanner/audit-accounts.spec.ts.
import { readFileSync } from "node:fs";
import { parseAuditArguments } from "@keyless/scanner/dist/cli";
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import { check } from "../../support/policy-credentials";
import { CALLER, MEMBER, NO_ROLE, OLD_FIELD, organization, SUSPENDED } from "./fake-organization";
import { runFakeAudit } from "./run-fake-audit";

async function run(args: readonly string[], fake: ReturnType<typeof organization>) {
  return runFakeAudit(args, fake.factory, fake.keys);
}

interface Entry {
  file: string;
  account?: string;
  region?: string;
  service?: string;
  error?: string;
  findings: { kind: string }[];
}

describe("keyless-scan audit across accounts and regions (fake AWS)", () => {
  it("names the flag and the reason for every bad combination or value, before calling AWS", () => {
    const bad: [readonly string[], RegExp][] = [
      [["--accounts", "12345"], /^--accounts needs 12-digit AWS account ids separated by commas .*, not "12345"$/],
      [["--accounts", `${MEMBER},abc`], /^--accounts needs 12-digit .*, not "abc"$/],
      [["--accounts", ""], /^--accounts needs 12-digit/],
      [["--accounts"], /^--accounts needs 12-digit/],
      [["--organization"], /^--organization needs --role-name NAME: the role assumed in each member account$/],
      [["--accounts", MEMBER], /^--accounts needs --role-name NAME/],
      [
        ["--organization", "--accounts", MEMBER, "--role-name", "r"],
        /^--organization and --accounts cannot be combined$/,
      ],
      [["--role-name", "audit"], /^--role-name needs --organization or --accounts$/],
      [
        ["--organization", "--role-name", "path/audit"],
        /^--role-name needs an IAM role name .*no path\), not "path\/audit"$/,
      ],
      [
        ["--organization", "--role-name", "r", "--external-id", "x"],
        /^--external-id needs 2 to 1224 .* \(the value given is not shown\)$/,
      ],
      [["--external-id", "abcdef"], /^--external-id needs --role-name$/],
      [["--all-regions", "--region", "eu-west-1"], /^--all-regions and --region cannot be combined/],
    ];
    for (const [argv, message] of bad) {
      const parsed = parseAuditArguments(argv);
      check(typeof parsed === "string" && message.test(parsed), `${argv.join(" ")}: ${JSON.stringify(parsed)}`);
    }
    const ok = parseAuditArguments([
      "--accounts",
      `${MEMBER},${CALLER}`,
      "--role-name",
      "keyless-audit",
      "--external-id",
      "ext-1",
      "--all-regions",
    ]);
    check(
      typeof ok === "object" &&
        JSON.stringify(ok.accounts) === JSON.stringify({ ids: [MEMBER, CALLER] }) &&
        ok.roleName === "keyless-audit" &&
        ok.externalId === "ext-1" &&
        ok.allRegions,
      JSON.stringify(ok),
    );
  });

  it("exits 2 on a bad flag without a single AWS call", async () => {
    const fake = organization();
    const res = await run(["--accounts", "1234"], fake);
    check(res.status === 2 && /--accounts needs 12-digit/.test(res.err) && fake.calls.length === 0, res.err);
  });

  it("--organization: every ACTIVE account of every ListAccounts page, the caller's own with its credentials, the others through the role", async () => {
    const fake = organization();
    const res = await run(
      ["--organization", "--role-name", "keyless-audit", "--external-id", "ext-1", "--region", "eu-west-1", "--json"],
      fake,
    );
    const listed = fake.calls.filter((c) => c.name === "ListAccounts");
    check(listed.length === 3 && listed.every((c) => c.account === CALLER), "ListAccounts: 3 pages, the caller's");
    const assumed = fake.calls.filter((c) => c.name === "AssumeRole");
    check(
      assumed.map((c) => c.input.RoleArn).join() ===
        [MEMBER, NO_ROLE, OLD_FIELD].map((a) => `arn:aws:iam::${a}:role/keyless-audit`).join(),
      `assumed ${assumed.map((c) => c.input.RoleArn).join()}`,
    );
    check(
      assumed.every((c) => c.input.RoleSessionName === "keyless-audit" && c.input.ExternalId === "ext-1"),
      "session name and external id",
    );
    check(!fake.calls.some((c) => c.account === SUSPENDED), "a suspended account is not read");
    const doc = JSON.parse(res.out) as Entry[];
    // THEN every finding names its account and region; the caller's own account is read as itself
    const found = doc.filter((e) => e.error === undefined);
    check(
      found.map((e) => `${e.account} ${e.region} ${e.file}`).join("\n") ===
        [CALLER, MEMBER, OLD_FIELD]
          .flatMap((a) => [
            `${a} eu-west-1 ec2/eu-west-1/instance/i-dirty/userData`,
            `${a} eu-west-1 lambda/eu-west-1/function/fn-dirty/environment`,
          ])
          .join("\n"),
      found.map((e) => `${e.account} ${e.region} ${e.file}`).join("\n"),
    );
    check(!res.out.includes("i-clean") && !res.out.includes("fn-clean"), "clean twins are not named");
    // AND the account whose role cannot be assumed is named, failing the audit, the others still reported
    const failed = doc.filter((e) => e.error !== undefined);
    check(
      failed.length === 1 &&
        failed[0]?.account === NO_ROLE &&
        failed[0].file === "account" &&
        /^role arn:aws:iam::333333333333:role\/keyless-audit: AssumeRole failed: AccessDenied: /.test(
          failed[0].error ?? "",
        ),
      JSON.stringify(failed),
    );
    check(res.status === 2, `exit ${res.status}`);
    check(
      /not audited: 333333333333: role arn:aws:iam::333333333333:role\/keyless-audit: AssumeRole failed/.test(res.err),
      res.err,
    );
  });

  it("names account and region in text and SARIF (properties, logical locations), and each unread place as a failed invocation's notification", async () => {
    const text = await run(
      ["--accounts", `${MEMBER},${NO_ROLE}`, "--role-name", "audit", "--region", "eu-west-1"],
      organization(),
    );
    check(
      text.out ===
        `${MEMBER}:ec2/eu-west-1/instance/i-dirty/userData: AWS access key id at base64, line 1 (AKIA…)\n` +
          `${MEMBER}:ec2/eu-west-1/instance/i-dirty/userData: AWS secret access key at base64, line 2\n` +
          `${MEMBER}:lambda/eu-west-1/function/fn-dirty/environment: AWS access key id at raw, line 1 (AKIA…)\n` +
          `${MEMBER}:lambda/eu-west-1/function/fn-dirty/environment: AWS secret access key at raw, line 2\n` +
          `${NO_ROLE}: not audited: role arn:aws:iam::${NO_ROLE}:role/audit: AssumeRole failed: AccessDenied: User: arn:aws:sts::${CALLER}:assumed-role/auditor/alice is not authorized to perform: sts:AssumeRole\n`,
      text.out,
    );
    check(/: 2 accounts, 1 region read and IAM: 4 findings; 1 place not audited\n$/.test(text.err), text.err);
    const sarif = await run(
      ["--accounts", `${MEMBER},${NO_ROLE}`, "--role-name", "audit", "--region", "eu-west-1", "--format", "sarif"],
      organization(),
    );
    const log = JSON.parse(sarif.out) as {
      runs: {
        results: {
          properties: { account: string; region: string };
          locations: { logicalLocations: { fullyQualifiedName: string }[] }[];
          partialFingerprints: Record<string, string>;
        }[];
        invocations: {
          executionSuccessful: boolean;
          toolExecutionNotifications: { level: string; message: { text: string }; properties: { account: string } }[];
        }[];
      }[];
    };
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    const schema = require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
    const valid = ajv.compile(JSON.parse(readFileSync(schema, "utf8")));
    check(valid(log) === true, JSON.stringify(valid.errors));
    const run0 = log.runs[0];
    check(
      run0?.results.length === 4 &&
        run0.results.every(
          (r) =>
            r.properties.account === MEMBER &&
            r.properties.region === "eu-west-1" &&
            r.locations[0]?.logicalLocations[0]?.fullyQualifiedName === `${MEMBER}/eu-west-1`,
        ),
      JSON.stringify(run0?.results.map((r) => r.properties)),
    );
    const inv = run0?.invocations[0];
    check(
      inv?.executionSuccessful === false &&
        inv.toolExecutionNotifications.length === 1 &&
        inv.toolExecutionNotifications[0]?.level === "error" &&
        inv.toolExecutionNotifications[0].properties.account === NO_ROLE,
      JSON.stringify(inv),
    );
  });

  it("gives the same resource path in two accounts two fingerprints", async () => {
    const res = await run(
      ["--accounts", `${CALLER},${MEMBER}`, "--role-name", "audit", "--region", "eu-west-1", "--json"],
      organization(),
    );
    const doc = JSON.parse(res.out) as { file: string; account: string; findings: { fingerprint: string }[] }[];
    const a = doc.find((e) => e.account === CALLER && e.file.includes("i-dirty"));
    const b = doc.find((e) => e.account === MEMBER && e.file.includes("i-dirty"));
    check(
      a !== undefined && b !== undefined && a.findings[0]?.fingerprint !== b.findings[0]?.fingerprint,
      "fingerprints",
    );
  });

  it("fails closed per service: one service unreadable in one account and region is named, every other place still reported", async () => {
    const fake = organization({ deny: { name: "ListFunctions", account: MEMBER, region: "us-east-1" } });
    const res = await run(
      [
        "--accounts",
        `${CALLER},${MEMBER}`,
        "--role-name",
        "audit",
        "--region",
        "eu-west-1",
        "--region",
        "us-east-1",
        "--json",
      ],
      fake,
    );
    const doc = JSON.parse(res.out) as Entry[];
    const failed = doc.filter((e) => e.error !== undefined);
    check(
      failed.length === 1 &&
        failed[0]?.account === MEMBER &&
        failed[0].region === "us-east-1" &&
        failed[0].service === "lambda" &&
        failed[0].file === "lambda/us-east-1" &&
        /^lambda in us-east-1: ListFunctions failed: AccessDeniedException/.test(failed[0].error ?? ""),
      JSON.stringify(failed),
    );
    const places = doc.filter((e) => e.error === undefined).map((e) => `${e.account} ${e.file}`);
    check(
      places.length === 7 &&
        places.includes(`${MEMBER} ec2/us-east-1/instance/i-dirty/userData`) &&
        !places.includes(`${MEMBER} lambda/us-east-1/function/fn-dirty/environment`) &&
        places.includes(`${MEMBER} lambda/eu-west-1/function/fn-dirty/environment`),
      places.join("\n"),
    );
    check(res.status === 2, `exit ${res.status}`);
  });

  it("--all-regions: the regions each account has enabled (DescribeRegions with that account's credentials)", async () => {
    const fake = organization({
      enabled: { [CALLER]: ["eu-west-1", "us-east-1"], [MEMBER]: ["eu-west-1", "ap-east-1", "us-east-1"] },
    });
    const res = await run(["--accounts", `${CALLER},${MEMBER}`, "--role-name", "audit", "--all-regions"], fake);
    const asked = fake.calls.filter((c) => c.name === "DescribeRegions");
    check(
      asked.map((c) => `${c.account}@${c.region}`).join() === `${CALLER}@eu-west-1,${MEMBER}@eu-west-1`,
      asked.map((c) => `${c.account}@${c.region}`).join(),
    );
    const read = (account: string) =>
      [
        ...new Set(
          fake.calls.filter((c) => c.name === "DescribeInstances" && c.account === account).map((c) => c.region),
        ),
      ]
        .sort()
        .join();
    check(
      read(CALLER) === "eu-west-1,us-east-1" && read(MEMBER) === "ap-east-1,eu-west-1,us-east-1",
      `${read(CALLER)} ${read(MEMBER)}`,
    );
    check(res.status === 1 && /2 accounts, 5 regions read and IAM: 20 findings\n$/.test(res.err), res.err);
  });

  it("the member role's ARN is in the caller's partition", async () => {
    const fake = organization({ partition: "aws-cn" });
    await run(["--accounts", MEMBER, "--role-name", "audit", "--region", "cn-north-1"], fake);
    check(
      fake.calls.find((c) => c.name === "AssumeRole")?.input.RoleArn === `arn:aws-cn:iam::${MEMBER}:role/audit`,
      "partition",
    );
  });

  it("keeps at most --concurrency requests in flight across accounts and regions, and uses them all", async () => {
    for (const n of [1, 3, 6]) {
      const fake = organization();
      const res = await run(
        [
          "--accounts",
          `${CALLER},${MEMBER},${OLD_FIELD}`,
          "--role-name",
          "audit",
          "--region",
          "eu-west-1",
          "--region",
          "us-east-1",
          "--region",
          "eu-central-1",
          "--concurrency",
          String(n),
        ],
        fake,
      );
      check(res.status === 1, res.err);
      check(fake.peak() === n, `--concurrency ${n}: ${fake.peak()} in flight at most`);
    }
  });
});
