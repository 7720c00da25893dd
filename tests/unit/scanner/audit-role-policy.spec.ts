// The permissions the audit needs, as shipped: scanner/audit-role-policy.json (the role in every audited account) and
// scanner/audit-caller-policy.json (what the caller adds to list the organization and assume that role). The audit's
// calls are exactly those the policies grant, over a run that issues every command; the role's policy is read-only by
// @keyless/iam-rules' access levels (the Service Authorization Reference's). The same calls, as moto saw them signed,
// are checked in tests/integration/scanner/audit-accounts.spec.ts.
import { readFileSync } from "node:fs";
import path from "node:path";
import { classifyAction, isWrite } from "@keyless/iam-rules";
import { mainAudit } from "@keyless/scanner/dist/cli";
import { check } from "../../support/policy-credentials";
import { CALLER, organization } from "./fake-organization";

const scanner = path.resolve(__dirname, "../../../scanner");
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
}
const statements = (file: string): Statement[] =>
  (JSON.parse(readFileSync(path.join(scanner, file), "utf8")) as { Statement: Statement[] }).Statement;
const actions = (file: string): string[] => statements(file).flatMap((s) => [s.Action].flat());
/** GetCallerIdentity needs no permission: AWS allows it to every caller, even under an explicit deny. */
const UNGRANTED = new Set(["sts:GetCallerIdentity"]);

/** The IAM actions a full run over the fake organization issues: `service:Command`, by whose credentials. */
async function issued(): Promise<{ member: Set<string>; caller: Set<string> }> {
  const fake = organization({ everything: true });
  const status = await mainAudit(
    ["--organization", "--role-name", "keyless-audit", "--all-regions", "--json"],
    { stdout: () => {}, stderr: () => {}, readFile: () => new Uint8Array(), readStdin: () => new Uint8Array() },
    fake.factory,
  );
  check(status === 2, `exit ${status}: the fake organization has one account whose role cannot be assumed`);
  const member = new Set<string>();
  const caller = new Set<string>();
  for (const c of fake.calls) (c.account === CALLER ? caller : member).add(`${c.service}:${c.name}`);
  return { member, caller };
}

const sorted = (s: Iterable<string>): string => [...s].sort().join(", ");

describe("the audit's IAM policies", () => {
  it("grant exactly what a full run calls: the role in member accounts, the role plus the caller's in the caller's own", async () => {
    const role = new Set(actions("audit-role-policy.json"));
    const callerOnly = new Set(actions("audit-caller-policy.json"));
    const { member, caller } = await issued();
    check(sorted(member) === sorted(role), `member accounts called ${sorted(member)}; the role grants ${sorted(role)}`);
    const callerGranted = new Set([...role, ...callerOnly, ...UNGRANTED]);
    check(
      sorted(caller) === sorted(callerGranted),
      `the caller called ${sorted(caller)}; its policies grant ${sorted(callerGranted)}`,
    );
  });

  it("the role's policy is read-only and names each action as AWS spells it", () => {
    for (const s of statements("audit-role-policy.json")) check(s.Effect === "Allow", "Allow statements only");
    for (const a of actions("audit-role-policy.json")) {
      const found = classifyAction(a).actions;
      check(found.length === 1 && found[0]?.name === a, `${a}: ${found.map((f) => f.name).join()}`);
      check(
        found.every((f) => !isWrite(f) && ["List", "Read"].includes(f.accessLevel)),
        `${a} is ${found[0]?.accessLevel}`,
      );
    }
  });

  it("the caller's policy adds only ListAccounts (List) and AssumeRole on the audit role's name", () => {
    const [list, assume] = statements("audit-caller-policy.json");
    check(list?.Action === "organizations:ListAccounts" && list.Resource === "*", JSON.stringify(list));
    check(classifyAction("organizations:ListAccounts").actions[0]?.accessLevel === "List", "ListAccounts is List");
    check(
      assume?.Action === "sts:AssumeRole" && assume.Resource === "arn:aws:iam::*:role/keyless-audit",
      JSON.stringify(assume),
    );
  });
});
