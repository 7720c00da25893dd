// `keyless-scan audit`: where are the keys today? Reads what is deployed in an AWS account through AWS SDK v3
// (default credential chain, standard endpoint settings, adaptive retry) and runs the one detector on it: EC2
// instance user data, every launch template version's user data, Lambda environments, ECS task definition
// container environments; and lists IAM users' active access keys as the migration inventory, the roles whose trust
// admits a web identity it does not name, and the IAM OIDC providers no role trusts (audit-web-identity.ts).
import { createHmac } from "node:crypto";
import { type IamReader, webIdentityInventory } from "./audit-web-identity";
import { DEFAULT_FINGERPRINT_KEY, scan } from "./scan";
import type { Finding, ScanOptions } from "./types";

/** What the audit found in one deployed resource (the same shape as a scanned file). */
export interface AuditResult {
  /**
   * The resource, as a path: `ec2/eu-west-1/instance/i-0abc/userData`, `iam/user/alice/access-key/…WXYZ`,
   * `iam/role/ci/trust-policy`, `iam/oidc-provider/token.actions.githubusercontent.com`.
   */
  readonly file: string;
  readonly findings: readonly Finding[];
}

/** A command as the SDK clients take it: the tests pass fakes that answer by `constructor.name`. */
export interface SdkClient {
  send(command: object): Promise<unknown>;
  destroy?(): void;
}

/** Makes the clients of one region (IAM is global: asked once). */
export interface ClientFactory {
  ec2(region: string): SdkClient;
  lambda(region: string): SdkClient;
  ecs(region: string): SdkClient;
  iam(region: string): SdkClient;
  /** The commands, by name (the SDK's, or the tests' stand-ins). */
  command(name: CommandName, input: object): object;
  /** The region of the default configuration chain (AWS_REGION, profile), if any. */
  defaultRegion(): Promise<string | undefined>;
}

export type CommandName =
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
  readonly regions: readonly string[];
  /** Requests in flight at once per kind of resource. @default 8 */
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
 * `AWS_ENDPOINT_URL_<SERVICE>` apply), adaptive retry for throttling. Loaded on first use, so scanning files
 * never loads the SDK.
 */
export function sdkClients(): ClientFactory {
  const retry = { retryMode: "adaptive", maxAttempts: 10 } as const;
  const ec2 = require("@aws-sdk/client-ec2") as typeof import("@aws-sdk/client-ec2");
  const lambda = require("@aws-sdk/client-lambda") as typeof import("@aws-sdk/client-lambda");
  const ecs = require("@aws-sdk/client-ecs") as typeof import("@aws-sdk/client-ecs");
  const iam = require("@aws-sdk/client-iam") as typeof import("@aws-sdk/client-iam");
  const commands: Record<CommandName, new (input: never) => object> = {
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
  return {
    ec2: (region) => new ec2.EC2Client({ region, ...retry }),
    lambda: (region) => new lambda.LambdaClient({ region, ...retry }),
    ecs: (region) => new ecs.ECSClient({ region, ...retry }),
    iam: (region) => new iam.IAMClient({ region, ...retry }),
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

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order of the results. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

type Page = Record<string, unknown>;

/** Every page of a paginated call: `tokenIn` names the request's token, `tokenOut` the response's. */
async function pages(
  client: SdkClient,
  factory: ClientFactory,
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
      factory,
      name,
      token === undefined ? input : { ...input, [tokenIn]: token },
      what,
    )) as Page;
    out.push(page);
    token = page[tokenOut];
  } while (typeof token === "string" && token.length > 0);
  return out;
}

async function send(
  client: SdkClient,
  factory: ClientFactory,
  name: CommandName,
  input: object,
  what: string,
): Promise<unknown> {
  try {
    return await client.send(factory.command(name, input));
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

/** Audits the account: every region in `options.regions`, then IAM once. Results only for resources with findings. */
export async function audit(factory: ClientFactory, options: AuditOptions): Promise<AuditResult[]> {
  const limit = Math.max(1, options.concurrency ?? 8);
  const progress = options.progress ?? (() => {});
  const results: AuditResult[] = [];
  const add = (file: string, findings: readonly Finding[]): void => {
    if (findings.length > 0) results.push({ file, findings });
  };
  for (const region of options.regions) {
    // EC2 instances' user data.
    const ec2 = factory.ec2(region);
    try {
      const where = `ec2 in ${region}`;
      const reservations = await pages(
        ec2,
        factory,
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
          send(ec2, factory, "DescribeInstanceAttribute", { InstanceId: id, Attribute: "userData" }, where),
        )) as { UserData?: { Value?: string } } | undefined;
        progress(`${region}: instances ${++done}/${ids.length}`);
        return [id, attr?.UserData?.Value ?? ""] as const;
      });
      for (const [id, value] of userData) {
        if (value !== "") add(`ec2/${region}/instance/${id}/userData`, scan(value, options.scanOptions));
      }
      // Every version of every launch template.
      const templates = (
        await pages(ec2, factory, "DescribeLaunchTemplates", { MaxResults: 200 }, "NextToken", "NextToken", where)
      ).flatMap((p) => (p.LaunchTemplates as { LaunchTemplateId?: string }[] | undefined) ?? []);
      done = 0;
      const versions = await pool(templates, limit, async (t) => {
        const id = t.LaunchTemplateId ?? "";
        const vs = (
          (await unlessGone(
            pages(
              ec2,
              factory,
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
    // Lambda functions' environment variables, every published version too (a version keeps the
    // environment it was published with). ListFunctions returns them.
    const lambda = factory.lambda(region);
    try {
      const fns = (
        await pages(
          lambda,
          factory,
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
    // ECS task definitions' container environments (name/value pairs).
    const ecs = factory.ecs(region);
    try {
      const where = `ecs in ${region}`;
      const arns = (
        await pages(ecs, factory, "ListTaskDefinitions", { maxResults: 100 }, "nextToken", "nextToken", where)
      ).flatMap((p) => (p.taskDefinitionArns as string[] | undefined) ?? []);
      let done = 0;
      const defs = await pool(arns, limit, async (arn) => {
        const res = ((await unlessGone(send(ecs, factory, "DescribeTaskDefinition", { taskDefinition: arn }, where))) ??
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
  if (options.iam !== false)
    results.push(...(await iamInventory(factory, options.regions[0] ?? "us-east-1", limit, options, progress)));
  return results;
}

/**
 * IAM, read once: users with active access keys (one finding each, with the key's age and last use, never the whole
 * id), then the web-identity inventory (roles' trust, unused OIDC providers).
 */
async function iamInventory(
  factory: ClientFactory,
  region: string,
  limit: number,
  options: AuditOptions,
  progress: (line: string) => void,
): Promise<AuditResult[]> {
  const iam = factory.iam(region);
  const now = (options.now ?? (() => new Date()))();
  try {
    const users = (await pages(iam, factory, "ListUsers", { MaxItems: 1000 }, "Marker", "Marker", "iam")).flatMap(
      (p) => (p.Users as { UserName?: string }[] | undefined) ?? [],
    );
    let done = 0;
    const perUser = await pool(users, limit, async (u) => {
      const name = u.UserName ?? "";
      const keys = (
        (await unlessGone(
          pages(
            iam,
            factory,
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
          send(iam, factory, "GetAccessKeyLastUsed", { AccessKeyId: id }, `iam user ${name}`),
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
    const reader: IamReader = {
      pages: (name, input, what) => pages(iam, factory, name, input, "Marker", "Marker", what),
      send: async (name, input, what) => (await send(iam, factory, name, input, what)) as Record<string, unknown>,
      read: async (name, input, what) =>
        (await unlessGone(send(iam, factory, name, input, what))) as Record<string, unknown> | undefined,
      map: (items, fn) => pool(items, limit, fn),
    };
    const key = options.scanOptions?.fingerprintKey ?? DEFAULT_FINGERPRINT_KEY;
    return [...perUser.flat(), ...(await webIdentityInventory(reader, key, progress))];
  } finally {
    iam.destroy?.();
  }
}
