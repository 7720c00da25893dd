// A fake AWS organization for `keyless-scan audit`'s unit specs: clients that answer by command name, per account
// (known by the credentials a client was made with) and region, recording every call with the service that made it.
import type { ClientFactory, CommandName, CredentialProvider, SdkClient } from "@keyless/scanner/dist/audit";
import { credentials } from "../../support/policy-credentials";

export const CALLER = "111111111111";
export const MEMBER = "222222222222";
export const NO_ROLE = "333333333333";
export const SUSPENDED = "444444444444";
export const OLD_FIELD = "555555555555";
const b64 = (s: string): string => Buffer.from(s).toString("base64");

export interface Call {
  /** The client's service: `ec2`, `lambda`, `ecs`, `iam`, `sts`, `organizations`. */
  readonly service: string;
  readonly name: CommandName;
  readonly input: Record<string, unknown>;
  /** The account whose credentials signed it. */
  readonly account: string;
  readonly region: string;
}

export interface OrgOptions {
  /**
   * Also, in every place: a launch template with two versions, a task definition, an IAM user with an active key and an
   * IAM OIDC provider no role trusts, so that a run issues every command the audit has. @default false
   */
  readonly everything?: boolean;
  /** The partition of the caller's ARN. @default "aws" */
  readonly partition?: string;
  /** A command that fails with AccessDenied in one account and region. */
  readonly deny?: { readonly name: CommandName; readonly account: string; readonly region: string };
  /** The regions DescribeRegions returns for an account. */
  readonly enabled?: Readonly<Record<string, readonly string[]>>;
}

/**
 * An organization as the fake clients serve it: in every account and region, one instance whose user data holds a
 * generated key and one clean, one function with a key in its environment and one clean. `NO_ROLE`'s role does not
 * exist (AssumeRole is denied); `SUSPENDED` is not ACTIVE; `OLD_FIELD` has only the `Status` field.
 */
export function organization(options: OrgOptions = {}) {
  const partition = options.partition ?? "aws";
  const accounts = [
    { Id: CALLER, State: "ACTIVE", Status: "ACTIVE" },
    { Id: MEMBER, State: "ACTIVE", Status: "ACTIVE" },
    { Id: NO_ROLE, State: "ACTIVE", Status: "ACTIVE" },
    { Id: SUSPENDED, State: "SUSPENDED", Status: "SUSPENDED" },
    { Id: OLD_FIELD, Status: "ACTIVE" },
  ];
  const keys: string[] = [];
  const dirty = (): string => {
    const c = credentials();
    keys.push(c.accessKeyId);
    return `export AWS_ACCESS_KEY_ID=${c.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${c.secretAccessKey}\n`;
  };
  const data = new Map<string, { instances: Record<string, string>; functions: Record<string, string> }>();
  const place = (account: string, region: string) => {
    const k = `${account}/${region}`;
    let d = data.get(k);
    if (d === undefined) {
      d = {
        instances: { "i-dirty": b64(dirty()), "i-clean": b64("#!/bin/bash\nyum install -y nginx\n") },
        functions: { "fn-dirty": dirty(), "fn-clean": "LOG_LEVEL=info" },
      };
      data.set(k, d);
    }
    return d;
  };
  const calls: Call[] = [];
  const userKey = credentials().accessKeyId;
  keys.push(userKey);
  let inFlight = 0;
  let peak = 0;
  const client = (service: string, region: string, creds?: CredentialProvider): SdkClient => ({
    async send(command: object) {
      const { name, input } = command as { name: CommandName; input: Record<string, unknown> };
      const account = creds === undefined ? CALLER : (await creds()).accessKeyId.replace("fake-", "");
      calls.push({ service, name, input, account, region });
      if (options.deny?.name === name && options.deny.account === account && options.deny.region === region)
        throw Object.assign(new Error("User is not authorized to perform this action"), {
          name: "AccessDeniedException",
        });
      // AssumeRole fetches credentials, outside the bound (see assumedRole): not counted.
      const counted = name !== "AssumeRole";
      if (counted) inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      if (counted) inFlight--;
      const d = place(account, region);
      switch (name) {
        case "GetCallerIdentity":
          return { Account: CALLER, Arn: `arn:${partition}:sts::${CALLER}:assumed-role/auditor/alice` };
        case "ListAccounts": {
          const start = typeof input.NextToken === "string" ? Number(input.NextToken) : 0;
          const next = start + 2 < accounts.length ? String(start + 2) : undefined;
          return { Accounts: accounts.slice(start, start + 2), NextToken: next };
        }
        case "AssumeRole": {
          const target = String(input.RoleArn).split(":")[4] ?? "";
          if (target === NO_ROLE)
            throw Object.assign(
              new Error(
                `User: arn:aws:sts::${CALLER}:assumed-role/auditor/alice is not authorized to perform: sts:AssumeRole`,
              ),
              { name: "AccessDenied" },
            );
          return {
            Credentials: {
              AccessKeyId: `fake-${target}`,
              SecretAccessKey: "fake-secret",
              SessionToken: "fake-token",
              Expiration: new Date(Date.now() + 3_600_000),
            },
          };
        }
        case "DescribeRegions":
          return { Regions: (options.enabled?.[account] ?? ["eu-west-1"]).map((RegionName) => ({ RegionName })) };
        case "DescribeInstances":
          return {
            Reservations: [
              { Instances: Object.keys(d.instances).map((InstanceId) => ({ InstanceId, State: { Name: "running" } })) },
            ],
          };
        case "DescribeInstanceAttribute":
          return { UserData: { Value: d.instances[String(input.InstanceId)] } };
        case "ListFunctions":
          return {
            Functions: Object.entries(d.functions).map(([FunctionName, text]) => ({
              FunctionName,
              Environment: {
                Variables: Object.fromEntries(
                  text
                    .replace(/^export /gm, "")
                    .trim()
                    .split("\n")
                    .map((l) => l.split("=") as [string, string]),
                ),
              },
            })),
          };
        case "DescribeLaunchTemplates":
          return { LaunchTemplates: options.everything ? [{ LaunchTemplateId: "lt-1" }] : [] };
        case "DescribeLaunchTemplateVersions":
          return {
            LaunchTemplateVersions: [1, 2].map((VersionNumber) => ({
              VersionNumber,
              LaunchTemplateData: { UserData: b64("#cloud-config\n") },
            })),
          };
        case "ListTaskDefinitions":
          return {
            taskDefinitionArns: options.everything ? [`arn:aws:ecs:${region}:${account}:task-definition/app:1`] : [],
          };
        case "DescribeTaskDefinition":
          return {
            taskDefinition: { containerDefinitions: [{ name: "app", environment: [{ name: "PORT", value: "80" }] }] },
          };
        case "ListUsers":
          return { Users: options.everything ? [{ UserName: "alice" }] : [] };
        case "ListAccessKeys":
          return {
            AccessKeyMetadata: [{ AccessKeyId: userKey, Status: "Active", CreateDate: new Date("2026-01-01") }],
          };
        case "GetAccessKeyLastUsed":
          return { AccessKeyLastUsed: {} };
        case "ListRoles":
          return { Roles: [] };
        case "ListOpenIDConnectProviders":
          return {
            OpenIDConnectProviderList: options.everything
              ? [{ Arn: `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com` }]
              : [],
          };
        case "GetOpenIDConnectProvider":
          return { Url: "token.actions.githubusercontent.com", ClientIDList: ["sts.amazonaws.com"] };
      }
      throw new Error(`unexpected ${name}`);
    },
  });
  const factory: ClientFactory = {
    ec2: (region, creds) => client("ec2", region, creds),
    lambda: (region, creds) => client("lambda", region, creds),
    ecs: (region, creds) => client("ecs", region, creds),
    iam: (region, creds) => client("iam", region, creds),
    sts: (region) => client("sts", region),
    organizations: (region) => client("organizations", region),
    command: (name, input) => ({ name, input }),
    defaultRegion: async () => "eu-west-1",
  };
  return { factory, calls, keys, peak: () => peak };
}
