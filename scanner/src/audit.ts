// `keyless-scan audit`: where are the keys today? Reads what is deployed in AWS accounts through AWS SDK v3
// (default credential chain, standard endpoint settings, adaptive retry) and runs the one detector on it: EC2
// instance user data, every launch template version's user data, Lambda environments, ECS task definition
// container environments; and lists IAM users' active access keys as the migration inventory, the roles whose trust
// admits a web identity it does not name, and the IAM OIDC providers no role trusts (audit-web-identity.ts). Which
// accounts, and with which credentials, is audit-accounts.ts; the bound on requests in flight is limiter.ts.
import { createHmac } from "node:crypto";
import { type AuditTarget, auditTargets, callerIdentity, enabledRegions } from "./audit-accounts";
import { type IamReader, webIdentityInventory } from "./audit-web-identity";
import { Limiter, pool } from "./limiter";
import { DEFAULT_FINGERPRINT_KEY, scan } from "./scan";
import type { Finding, ScanOptions } from "./types";

/** What the audit found in one deployed resource (the same shape as a scanned file). */
export interface AuditResult {
  /**
   * The resource in its account, as a path: `ec2/eu-west-1/instance/i-0abc/userData`,
   * `iam/user/alice/access-key/…WXYZ`, `iam/role/ci/trust-policy`, `iam/oidc-provider/token.actions.githubusercontent.com`.
   */
  readonly file: string;
  /** The 12-digit id of the account the resource is in. */
  readonly account: string;
  /** The region the resource is in; `global` for IAM. */
  readonly region: string;
  readonly findings: readonly Finding[];
}

/** IAM's `region` in results and failures: it is one service for the whole account. */
export const GLOBAL_REGION = "global";

/**
 * A place the audit could not read: an account whose role could not be assumed (no region, no service), the
 * regions of an account that could not be listed, or one service in one region. The audit fails closed on it (exit 2),
 * naming it, and goes on with every other place.
 */
export interface AuditFailure {
  readonly account: string;
  /** The region, `global` for IAM; absent when the whole account could not be read. */
  readonly region?: string;
  /** `ec2`, `lambda`, `ecs`, `iam`; absent when the whole account (or its region list) could not be read. */
  readonly service?: string;
  /** What failed: the call and AWS's error name and first message line (AWS error messages carry no secrets). */
  readonly message: string;
}

/** What an audit returns: the findings, the places it could not read, and what it read. */
export interface AuditReport {
  readonly results: readonly AuditResult[];
  readonly failures: readonly AuditFailure[];
  /** The accounts audited (read, or failed), in the order they were listed. */
  readonly accounts: readonly string[];
  /** How many (account, region) pairs were read, IAM not counted. */
  readonly regionsRead: number;
}

/** Temporary credentials, as a role assumed in a member account gives them. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Credentials the SDK asks for before a request (and again when they come close to expiry). */
export type CredentialProvider = () => Promise<AwsCredentials>;

/** A command as the SDK clients take it: the tests pass fakes that answer by `constructor.name`. */
export interface SdkClient {
  send(command: object): Promise<unknown>;
  destroy?(): void;
}

/**
 * Makes the clients of one region (IAM is global: asked once per account), with the caller's credentials (the
 * default chain) or, given `credentials`, a member account's.
 */
export interface ClientFactory {
  ec2(region: string, credentials?: CredentialProvider): SdkClient;
  lambda(region: string, credentials?: CredentialProvider): SdkClient;
  ecs(region: string, credentials?: CredentialProvider): SdkClient;
  iam(region: string, credentials?: CredentialProvider): SdkClient;
  /** STS: who the caller is (`GetCallerIdentity`), and roles assumed in member accounts (`AssumeRole`). */
  sts(region: string): SdkClient;
  /** AWS Organizations, with the caller's credentials (the management or a delegated administrator account). */
  organizations(region: string): SdkClient;
  /** The commands, by name (the SDK's, or the tests' stand-ins). */
  command(name: CommandName, input: object): object;
  /** The region of the default configuration chain (AWS_REGION, profile), if any. */
  defaultRegion(): Promise<string | undefined>;
}

export type CommandName =
  | "GetCallerIdentity"
  | "AssumeRole"
  | "ListAccounts"
  | "DescribeRegions"
  | "DescribeInstances"
  | "DescribeInstanceAttribute"
  | "DescribeLaunchTemplates"
  | "DescribeLaunchTemplateVersions"
  | "ListFunctions"
  | "ListTaskDefinitions"
  | "DescribeTaskDefinition"
  | "ListUsers"
  | "ListAccessKeys"
  | "GetAccessKeyLastUsed"
  | "ListRoles"
  | "ListOpenIDConnectProviders"
  | "GetOpenIDConnectProvider";

export interface AuditOptions {
  /**
   * The regions to read in each account. The first is the home region: STS, Organizations, IAM and, with
   * `allRegions`, DescribeRegions are asked there.
   */
  readonly regions: readonly string[];
  /**
   * Read every region enabled for each account (EC2 `DescribeRegions` in the home region, with that account's
   * credentials: accounts may enable different opt-in regions) instead of `regions` beyond the first.
   * @default false
   */
  readonly allRegions?: boolean;
  /**
   * Which accounts: the caller's own (default), every ACTIVE account of the organization (`ListAccounts`, from the
   * management or a delegated administrator account), or the ids given. The caller's own account is always read with
   * the caller's credentials; every other account through `roleName`.
   * @default - The caller's account only.
   */
  readonly accounts?: { readonly organization: true } | { readonly ids: readonly string[] };
  /** The role assumed in each member account (`arn:<partition>:iam::<id>:role/<roleName>`). Needed with `accounts`. */
  readonly roleName?: string;
  /** The external id the member roles' trust asks for, if any. */
  readonly externalId?: string;
  /**
   * AWS requests in flight at once, in total, across accounts and regions (each page of a listing and each
   * per-resource read is one request; the AssumeRole calls that fetch member accounts' credentials are not counted).
   * @default 8
   */
  readonly concurrency?: number;
  readonly scanOptions?: ScanOptions;
  /** Called with a one-line progress message (the CLI shows it on a terminal). */
  readonly progress?: (line: string) => void;
  /**
   * Whether to read IAM (once, not per region): users' active access keys, roles' trust policies, OIDC providers.
   * @default true
   */
  readonly iam?: boolean;
  /** The clock, for key ages. */
  readonly now?: () => Date;
}

/** A service that could not be read: the audit fails closed (exit 2), naming it. */
export class AuditError extends Error {}

/**
 * A resource listed a moment ago and gone when read (`InvalidInstanceID.NotFound`, `NoSuchEntity`): it is no
 * longer deployed, so per-resource reads skip it; a listing that fails this way still fails the audit.
 */
class Vanished extends AuditError {}

/** The result of a per-resource read, or undefined when the resource vanished in between. */
async function unlessGone<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof Vanished) return undefined;
    throw err;
  }
}

/**
 * The AWS SDK v3 clients with the default credential chain and configuration (so `AWS_ENDPOINT_URL` and
 * `AWS_ENDPOINT_URL_<SERVICE>` apply), adaptive retry for throttling (the SDK's client-side rate limiter backs off
 * when AWS throttles). Loaded on first use, so scanning files never loads the SDK.
 */
export function sdkClients(): ClientFactory {
  const retry = { retryMode: "adaptive", maxAttempts: 10 } as const;
  const ec2 = require("@aws-sdk/client-ec2") as typeof import("@aws-sdk/client-ec2");
  const lambda = require("@aws-sdk/client-lambda") as typeof import("@aws-sdk/client-lambda");
  const ecs = require("@aws-sdk/client-ecs") as typeof import("@aws-sdk/client-ecs");
  const iam = require("@aws-sdk/client-iam") as typeof import("@aws-sdk/client-iam");
  const sts = require("@aws-sdk/client-sts") as typeof import("@aws-sdk/client-sts");
  const org = require("@aws-sdk/client-organizations") as typeof import("@aws-sdk/client-organizations");
  const commands: Record<CommandName, new (input: never) => object> = {
    GetCallerIdentity: sts.GetCallerIdentityCommand,
    AssumeRole: sts.AssumeRoleCommand,
    ListAccounts: org.ListAccountsCommand,
    DescribeRegions: ec2.DescribeRegionsCommand,
    DescribeInstances: ec2.DescribeInstancesCommand,
    DescribeInstanceAttribute: ec2.DescribeInstanceAttributeCommand,
    DescribeLaunchTemplates: ec2.DescribeLaunchTemplatesCommand,
    DescribeLaunchTemplateVersions: ec2.DescribeLaunchTemplateVersionsCommand,
    ListFunctions: lambda.ListFunctionsCommand,
    ListTaskDefinitions: ecs.ListTaskDefinitionsCommand,
    DescribeTaskDefinition: ecs.DescribeTaskDefinitionCommand,
    ListUsers: iam.ListUsersCommand,
    ListAccessKeys: iam.ListAccessKeysCommand,
    GetAccessKeyLastUsed: iam.GetAccessKeyLastUsedCommand,
    ListRoles: iam.ListRolesCommand,
    ListOpenIDConnectProviders: iam.ListOpenIDConnectProvidersCommand,
    GetOpenIDConnectProvider: iam.GetOpenIDConnectProviderCommand,
  };
  const config = (region: string, credentials?: CredentialProvider) => ({
    region,
    ...retry,
    ...(credentials === undefined ? {} : { credentials }),
  });
  return {
    ec2: (region, credentials) => new ec2.EC2Client(config(region, credentials)),
    lambda: (region, credentials) => new lambda.LambdaClient(config(region, credentials)),
    ecs: (region, credentials) => new ecs.ECSClient(config(region, credentials)),
    iam: (region, credentials) => new iam.IAMClient(config(region, credentials)),
    sts: (region) => new sts.STSClient(config(region)),
    organizations: (region) => new org.OrganizationsClient(config(region)),
    command: (name, input) => new commands[name](input as never),
    defaultRegion: async () => {
      try {
        return await new ec2.EC2Client({}).config.region();
      } catch {
        return undefined;
      }
    },
  };
}

type Page = Record<string, unknown>;

/** How one account is read: its clients' factory, credentials and the audit-wide bound on requests in flight. */
export interface Reader {
  readonly factory: ClientFactory;
  readonly limiter: Limiter;
}

/** Every page of a paginated call: `tokenIn` names the request's token, `tokenOut` the response's. */
export async function pages(
  client: SdkClient,
  reader: Reader,
  name: CommandName,
  input: object,
  tokenIn: string,
  tokenOut: string,
  what: string,
): Promise<Page[]> {
  const out: Page[] = [];
  let token: unknown;
  do {
    const page = (await send(
      client,
      reader,
      name,
      token === undefined ? input : { ...input, [tokenIn]: token },
      what,
    )) as Page;
    out.push(page);
    token = page[tokenOut];
  } while (typeof token === "string" && token.length > 0);
  return out;
}

export async function send(
  client: SdkClient,
  reader: Reader,
  name: CommandName,
  input: object,
  what: string,
): Promise<unknown> {
  try {
    return await reader.limiter.run(() => client.send(reader.factory.command(name, input)));
  } catch (err) {
    const e = err as { name?: string; message?: string; Code?: string };
    // The error's name and message only (AWS error messages do not carry request contents).
    const message = `${what}: ${name} failed: ${e.name ?? "Error"}: ${(e.message ?? "").split("\n")[0]}`;
    const gone = /NotFound|NoSuchEntity/.test(`${e.name ?? ""} ${e.Code ?? ""}`);
    throw gone ? new Vanished(message) : new AuditError(message);
  }
}

/** `AKIA…WXYZ`: the first four and last four characters of a key id, never the whole. */
export function maskKeyId(id: string): string {
  return id.length <= 8 ? "…" : `${id.slice(0, 4)}…${id.slice(-4)}`;
}

/** `NAME=value` lines, one per variable, so the detector judges each value by its name. */
function envText(vars: readonly (readonly [string, string])[]): string {
  return vars.map(([k, v]) => `${k}=${v}`).join("\n");
}

/** The findings of `NAME=value` lines, each description naming its variable (by the line it is on). */
function scanEnvironment(vars: readonly (readonly [string, string])[], options: ScanOptions | undefined): Finding[] {
  return scan(envText(vars), options).map((f) => {
    const first = f.layer === "raw" ? f.line : Number(/\(line (\d+)\)/.exec(f.layer.split(" > ")[0] ?? "")?.[1] ?? 0);
    const name = vars[first - 1]?.[0];
    return name === undefined ? f : { ...f, description: `${f.description} (variable ${name})` };
  });
}

/** What one service in one region of one account gave: results, or why it could not be read. */
type Add = (file: string, findings: readonly Finding[]) => void;

/** Where one (account, region) is read from: the account's clients' credentials and the audit-wide limiter. */
interface RegionContext {
  readonly reader: Reader;
  readonly target: AuditTarget;
  readonly region: string;
  readonly limit: number;
  readonly options: AuditOptions;
  readonly progress: (line: string) => void;
}

/** EC2 in one region: instances' user data, then every version of every launch template. */
async function auditEc2({ reader, target, region, limit, options, progress }: RegionContext, add: Add): Promise<void> {
  // EC2 instances' user data.
  const ec2 = reader.factory.ec2(region, target.credentials);
  try {
    const where = `ec2 in ${region}`;
    const reservations = await pages(
      ec2,
      reader,
      "DescribeInstances",
      { MaxResults: 1000 },
      "NextToken",
      "NextToken",
      where,
    );
    // Terminated instances no longer run their user data (and EC2 may refuse to read it).
    const ids = reservations.flatMap((p) =>
      (
        (p.Reservations as { Instances?: { InstanceId?: string; State?: { Name?: string } }[] }[] | undefined) ?? []
      ).flatMap((r) =>
        (r.Instances ?? [])
          .filter((i) => i.State?.Name !== "terminated" && i.State?.Name !== "shutting-down")
          .map((i) => i.InstanceId ?? ""),
      ),
    );
    let done = 0;
    const userData = await pool(ids.filter(Boolean), limit, async (id) => {
      const attr = (await unlessGone(
        send(ec2, reader, "DescribeInstanceAttribute", { InstanceId: id, Attribute: "userData" }, where),
      )) as { UserData?: { Value?: string } } | undefined;
      progress(`${region}: instances ${++done}/${ids.length}`);
      return [id, attr?.UserData?.Value ?? ""] as const;
    });
    for (const [id, value] of userData) {
      if (value !== "") add(`ec2/${region}/instance/${id}/userData`, scan(value, options.scanOptions));
    }
    // Every version of every launch template.
    const templates = (
      await pages(ec2, reader, "DescribeLaunchTemplates", { MaxResults: 200 }, "NextToken", "NextToken", where)
    ).flatMap((p) => (p.LaunchTemplates as { LaunchTemplateId?: string }[] | undefined) ?? []);
    done = 0;
    const versions = await pool(templates, limit, async (t) => {
      const id = t.LaunchTemplateId ?? "";
      const vs = (
        (await unlessGone(
          pages(
            ec2,
            reader,
            "DescribeLaunchTemplateVersions",
            { LaunchTemplateId: id, MaxResults: 200 },
            "NextToken",
            "NextToken",
            where,
          ),
        )) ?? []
      ).flatMap(
        (p) =>
          (p.LaunchTemplateVersions as
            | { VersionNumber?: number; LaunchTemplateData?: { UserData?: string } }[]
            | undefined) ?? [],
      );
      progress(`${region}: launch templates ${++done}/${templates.length}`);
      return vs.map((v) => [id, v.VersionNumber ?? 0, v.LaunchTemplateData?.UserData ?? ""] as const);
    });
    for (const [id, version, value] of versions.flat()) {
      if (value !== "")
        add(`ec2/${region}/launch-template/${id}/version/${version}/userData`, scan(value, options.scanOptions));
    }
  } finally {
    ec2.destroy?.();
  }
}

/**
 * Lambda in one region: functions' environment variables, every published version too (a version keeps the
 * environment it was published with). ListFunctions returns them.
 */
async function auditLambda({ reader, target, region, options, progress }: RegionContext, add: Add): Promise<void> {
  // Lambda functions' environment variables, every published version too (a version keeps the
  // environment it was published with). ListFunctions returns them.
  const lambda = reader.factory.lambda(region, target.credentials);
  try {
    const fns = (
      await pages(
        lambda,
        reader,
        "ListFunctions",
        { MaxItems: 50, FunctionVersion: "ALL" },
        "Marker",
        "NextMarker",
        `lambda in ${region}`,
      )
    ).flatMap(
      (p) =>
        (p.Functions as
          | { FunctionName?: string; Version?: string; Environment?: { Variables?: Record<string, string> } }[]
          | undefined) ?? [],
    );
    progress(`${region}: ${fns.length} function versions`);
    for (const fn of fns) {
      const vars = Object.entries(fn.Environment?.Variables ?? {});
      const version = fn.Version === undefined || fn.Version === "$LATEST" ? "" : `/version/${fn.Version}`;
      if (vars.length > 0) {
        add(
          `lambda/${region}/function/${fn.FunctionName}${version}/environment`,
          scanEnvironment(vars, options.scanOptions),
        );
      }
    }
  } finally {
    lambda.destroy?.();
  }
}

/** ECS in one region: task definitions' container environments (name/value pairs). */
async function auditEcs({ reader, target, region, limit, options, progress }: RegionContext, add: Add): Promise<void> {
  // ECS task definitions' container environments (name/value pairs).
  const ecs = reader.factory.ecs(region, target.credentials);
  try {
    const where = `ecs in ${region}`;
    const arns = (
      await pages(ecs, reader, "ListTaskDefinitions", { maxResults: 100 }, "nextToken", "nextToken", where)
    ).flatMap((p) => (p.taskDefinitionArns as string[] | undefined) ?? []);
    let done = 0;
    const defs = await pool(arns, limit, async (arn) => {
      const res = ((await unlessGone(send(ecs, reader, "DescribeTaskDefinition", { taskDefinition: arn }, where))) ??
        {}) as {
        taskDefinition?: {
          containerDefinitions?: { name?: string; environment?: { name?: string; value?: string }[] }[];
        };
      };
      progress(`${region}: task definitions ${++done}/${arns.length}`);
      return [arn, res.taskDefinition?.containerDefinitions ?? []] as const;
    });
    for (const [arn, containers] of defs) {
      const family = arn.slice(arn.indexOf("task-definition/") + "task-definition/".length);
      for (const c of containers) {
        const vars = (c.environment ?? []).map((e) => [e.name ?? "", e.value ?? ""] as const);
        if (vars.length > 0) {
          add(
            `ecs/${region}/task-definition/${family}/container/${c.name}/environment`,
            scanEnvironment(vars, options.scanOptions),
          );
        }
      }
    }
  } finally {
    ecs.destroy?.();
  }
}

/** The services read in each region, in report order. */
const REGIONAL: readonly (readonly [string, (ctx: RegionContext, add: Add) => Promise<void>])[] = [
  ["ec2", auditEc2],
  ["lambda", auditLambda],
  ["ecs", auditEcs],
];

/**
 * Audits the accounts `options.accounts` names (the caller's own by default): in each, every region of
 * `options.regions` (or, with `allRegions`, every region enabled for it), then IAM once. At most `concurrency` AWS
 * requests are in flight at once, in total. Fails closed per place: an account whose role cannot be assumed, or a
 * service that cannot be read, becomes an {@link AuditFailure} and every other place is still read. Throws an
 * {@link AuditError} only when nothing can be audited (the caller unknown, the organization not listable).
 *
 * @example
 * ```ts
 * const report = await audit(sdkClients(), { regions: ["eu-west-1"], accounts: { organization: true }, roleName: "keyless-audit" });
 * report.failures.length > 0; // then the audit is incomplete: exit 2
 * ```
 */
export async function audit(factory: ClientFactory, options: AuditOptions): Promise<AuditReport> {
  const limit = Math.max(1, options.concurrency ?? 8);
  const progress = options.progress ?? (() => {});
  const home = options.regions[0];
  if (home === undefined) throw new AuditError("no region to audit");
  const reader: Reader = { factory, limiter: new Limiter(limit) };
  const sts = factory.sts(home);
  try {
    const caller = await callerIdentity(reader, sts);
    const list = await auditTargets(reader, sts, home, caller, options);
    const many = list.length > 1;
    let accountsDone = 0;
    let regionsRead = 0;
    // Per account, per region, per service: filled in parallel, flattened in order at the end.
    const perAccount = await pool(list, limit, async (target) => {
      const results: AuditResult[][] = [];
      const failures: AuditFailure[] = [];
      const say = (line: string): void =>
        progress(many ? `accounts ${accountsDone}/${list.length}: ${target.account} ${line}` : line);
      try {
        if (target.credentials !== undefined) {
          try {
            await target.credentials();
          } catch (err) {
            if (!(err instanceof AuditError)) throw err;
            failures.push({ account: target.account, message: err.message });
            return { results, failures };
          }
        }
        let regions = options.regions;
        if (options.allRegions === true) {
          try {
            regions = await enabledRegions(reader, home, target);
          } catch (err) {
            if (!(err instanceof AuditError)) throw err;
            failures.push({ account: target.account, message: err.message });
            return { results, failures };
          }
        }
        const perRegion = await pool(regions, limit, async (region) => {
          const out: AuditResult[] = [];
          const failed: AuditFailure[] = [];
          const ctx: RegionContext = { reader, target, region, limit, options, progress: say };
          for (const [service, read] of REGIONAL) {
            const found: AuditResult[] = [];
            try {
              await read(ctx, (file, findings) => {
                if (findings.length > 0) found.push({ file, account: target.account, region, findings });
              });
              out.push(...found);
            } catch (err) {
              if (!(err instanceof AuditError)) throw err;
              failed.push({ account: target.account, region, service, message: err.message });
            }
          }
          regionsRead++;
          return { out, failed };
        });
        for (const r of perRegion) {
          results.push(r.out);
          failures.push(...r.failed);
        }
        if (options.iam !== false) {
          try {
            results.push(await iamInventory(reader, target, home, limit, options, say));
          } catch (err) {
            if (!(err instanceof AuditError)) throw err;
            failures.push({ account: target.account, region: GLOBAL_REGION, service: "iam", message: err.message });
          }
        }
        return { results, failures };
      } finally {
        accountsDone++;
      }
    });
    return {
      results: perAccount.flatMap((a) => a.results.flat()),
      failures: perAccount.flatMap((a) => a.failures),
      accounts: list.map((t) => t.account),
      regionsRead,
    };
  } finally {
    sts.destroy?.();
  }
}

/**
 * IAM, read once: users with active access keys (one finding each, with the key's age and last use, never the whole
 * id), then the web-identity inventory (roles' trust, unused OIDC providers).
 */
async function iamInventory(
  reader: Reader,
  target: AuditTarget,
  region: string,
  limit: number,
  options: AuditOptions,
  progress: (line: string) => void,
): Promise<AuditResult[]> {
  const iam = reader.factory.iam(region, target.credentials);
  const place = { account: target.account, region: GLOBAL_REGION };
  const now = (options.now ?? (() => new Date()))();
  try {
    const users = (await pages(iam, reader, "ListUsers", { MaxItems: 1000 }, "Marker", "Marker", "iam")).flatMap(
      (p) => (p.Users as { UserName?: string }[] | undefined) ?? [],
    );
    let done = 0;
    const perUser = await pool(users, limit, async (u) => {
      const name = u.UserName ?? "";
      const keys = (
        (await unlessGone(
          pages(
            iam,
            reader,
            "ListAccessKeys",
            { UserName: name, MaxItems: 1000 },
            "Marker",
            "Marker",
            `iam user ${name}`,
          ),
        )) ?? []
      )
        .flatMap(
          (p) =>
            (p.AccessKeyMetadata as { AccessKeyId?: string; Status?: string; CreateDate?: Date }[] | undefined) ?? [],
        )
        .filter((k) => k.Status === "Active");
      const out: AuditResult[] = [];
      for (const k of keys) {
        const id = k.AccessKeyId ?? "";
        const used = (await unlessGone(
          send(iam, reader, "GetAccessKeyLastUsed", { AccessKeyId: id }, `iam user ${name}`),
        )) as { AccessKeyLastUsed?: { LastUsedDate?: Date; ServiceName?: string; Region?: string } } | undefined;
        if (used === undefined) continue; // deleted since it was listed
        const created = k.CreateDate === undefined ? undefined : new Date(k.CreateDate);
        const age =
          created === undefined
            ? "unknown age"
            : `${Math.floor((now.getTime() - created.getTime()) / 86_400_000)} days old`;
        const last = used.AccessKeyLastUsed?.LastUsedDate;
        const lastUse =
          last === undefined
            ? "never used"
            : `last used ${new Date(last).toISOString().slice(0, 10)}${used.AccessKeyLastUsed?.ServiceName && used.AccessKeyLastUsed.ServiceName !== "N/A" ? ` by ${used.AccessKeyLastUsed.ServiceName}` : ""}${used.AccessKeyLastUsed?.Region && used.AccessKeyLastUsed.Region !== "N/A" ? ` in ${used.AccessKeyLastUsed.Region}` : ""}`;
        const masked = maskKeyId(id);
        out.push({
          file: `iam/user/${name}/access-key/${masked}`,
          ...place,
          findings: [
            {
              kind: "aws-access-key-id",
              layer: "IAM",
              line: 1,
              preview: `${id.slice(0, 4)}…`,
              description: `IAM user ${name} has an active access key ${masked}, ${age}, ${lastUse}: replace it with a role`,
              fingerprint: createHmac("sha256", options.scanOptions?.fingerprintKey ?? DEFAULT_FINGERPRINT_KEY)
                .update(`iam-access-key\0${name}\0${id}`)
                .digest("hex")
                .slice(0, 32),
            },
          ],
        });
      }
      progress(`iam: users ${++done}/${users.length}`);
      return out;
    });
    const iamReader: IamReader = {
      pages: (name, input, what) => pages(iam, reader, name, input, "Marker", "Marker", what),
      send: async (name, input, what) => (await send(iam, reader, name, input, what)) as Record<string, unknown>,
      read: async (name, input, what) =>
        (await unlessGone(send(iam, reader, name, input, what))) as Record<string, unknown> | undefined,
      map: (items, fn) => pool(items, limit, fn),
    };
    const key = options.scanOptions?.fingerprintKey ?? DEFAULT_FINGERPRINT_KEY;
    const trust = await webIdentityInventory(iamReader, key, progress);
    return [...perUser.flat(), ...trust.map((r) => ({ ...r, ...place }))];
  } finally {
    iam.destroy?.();
  }
}
