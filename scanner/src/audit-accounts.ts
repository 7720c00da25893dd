// Which accounts `keyless-scan audit` reads, and with which credentials: the caller's own account with the caller's
// credentials (the default chain), every other account through a role assumed in it. The organization's accounts
// come from AWS Organizations `ListAccounts` (the management or a delegated administrator account may call it),
// ACTIVE ones only: a suspended or closing account cannot be signed into.
import {
  type AuditOptions,
  type AwsCredentials,
  type ClientFactory,
  type CredentialProvider,
  pages,
  type SdkClient,
  send,
} from "./audit";
import { Limiter } from "./limiter";

/** Who runs the audit, from STS `GetCallerIdentity` (which needs no permission). */
export interface CallerIdentity {
  /** The caller's 12-digit account id. */
  readonly account: string;
  /** The caller's ARN (`arn:aws:sts::111122223333:assumed-role/audit/alice`). */
  readonly arn: string;
  /** The partition of the caller's ARN (`aws`, `aws-cn`, `aws-us-gov`): the member roles' ARNs are in the same. */
  readonly partition: string;
}

/** One account to audit: the caller's own (no `roleArn`: the caller's credentials), or a member reached by a role. */
export interface AuditTarget {
  readonly account: string;
  /** The role assumed in the account; absent for the caller's own account. */
  readonly roleArn?: string;
  /** The account's credentials; absent for the caller's own account (the default chain). */
  readonly credentials?: CredentialProvider;
}

/** The session name of every role the audit assumes, so CloudTrail names keyless-audit as the one reading. */
export const AUDIT_SESSION_NAME = "keyless-audit";

/** Asked for one hour; refreshed when less than five minutes remain (as the SDK's own providers do). */
const SESSION_SECONDS = 3600;
const REFRESH_MS = 5 * 60 * 1000;

interface Reader {
  readonly factory: ClientFactory;
  readonly limiter: Limiter;
}

/** The caller: STS `GetCallerIdentity` in `region`. An AuditError when it fails (no credentials, say). */
export async function callerIdentity(reader: Reader, sts: SdkClient): Promise<CallerIdentity> {
  const res = (await send(sts, reader, "GetCallerIdentity", {}, "sts")) as { Account?: string; Arn?: string };
  const arn = res.Arn ?? "";
  return { account: res.Account ?? "", arn, partition: arn.split(":")[1] || "aws" };
}

/**
 * The accounts to audit, in the order listed (the caller's own first when it is one of them): the caller's only, the
 * organization's ACTIVE accounts, or the ids given. Every account but the caller's gets the credentials of
 * `arn:<partition>:iam::<id>:role/<roleName>`, assumed on first use. An AuditError when the organization cannot be
 * listed: without the list there is nothing to audit.
 */
export async function auditTargets(
  reader: Reader,
  sts: SdkClient,
  organizationsRegion: string,
  caller: CallerIdentity,
  options: Pick<AuditOptions, "accounts" | "roleName" | "externalId">,
): Promise<AuditTarget[]> {
  let ids: string[];
  if (options.accounts === undefined) ids = [caller.account];
  else if ("ids" in options.accounts) ids = [...new Set(options.accounts.ids)];
  else ids = await organizationAccounts(reader, organizationsRegion);
  // The caller's own account first: read with the caller's credentials, as Prowler reads the account it runs in.
  ids.sort((a, b) => Number(b === caller.account) - Number(a === caller.account));
  return ids.map((account) => {
    if (account === caller.account) return { account };
    const roleArn = `arn:${caller.partition}:iam::${account}:role/${options.roleName ?? ""}`;
    return { account, roleArn, credentials: assumedRole(reader, sts, roleArn, options.externalId) };
  });
}

/**
 * Every ACTIVE account of the organization, every page of `ListAccounts`. `State` is read first: AWS retires
 * `Status` on 9 September 2026 (both are returned until then, and moto returns both).
 */
async function organizationAccounts(reader: Reader, region: string): Promise<string[]> {
  const org = reader.factory.organizations(region);
  try {
    return (await pages(org, reader, "ListAccounts", {}, "NextToken", "NextToken", "organizations"))
      .flatMap((p) => (p["Accounts"] as { Id?: string; State?: string; Status?: string }[] | undefined) ?? [])
      .filter((a) => (a.State ?? a.Status) === "ACTIVE")
      .map((a) => a.Id ?? "")
      .filter((id) => id !== "");
  } finally {
    org.destroy?.();
  }
}

/**
 * The credentials of `roleArn`, assumed with `AssumeRole` (session `keyless-audit`, `externalId` when given) on first
 * use and again when less than five minutes remain; concurrent callers share one call.
 */
export function assumedRole(reader: Reader, sts: SdkClient, roleArn: string, externalId?: string): CredentialProvider {
  // Not through the audit's limiter: the SDK asks for credentials inside a request that already holds a slot, and a
  // refresh waiting for a slot that only finished requests free would deadlock once every slot waits for it.
  const unbounded: Reader = { factory: reader.factory, limiter: new Limiter(Number.MAX_SAFE_INTEGER) };
  let cached: AwsCredentials | undefined;
  let inflight: Promise<AwsCredentials> | undefined;
  const fresh = (c: AwsCredentials): boolean =>
    c.expiration === undefined || c.expiration.getTime() - Date.now() > REFRESH_MS;
  return async () => {
    if (cached !== undefined && fresh(cached)) return cached;
    inflight ??= (async () => {
      try {
        const res = (await send(
          sts,
          unbounded,
          "AssumeRole",
          {
            RoleArn: roleArn,
            RoleSessionName: AUDIT_SESSION_NAME,
            DurationSeconds: SESSION_SECONDS,
            ...(externalId === undefined ? {} : { ExternalId: externalId }),
          },
          `role ${roleArn}`,
        )) as {
          Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string; Expiration?: Date };
        };
        const c = res.Credentials;
        cached = {
          accessKeyId: c?.AccessKeyId ?? "",
          secretAccessKey: c?.SecretAccessKey ?? "",
          sessionToken: c?.SessionToken,
          expiration: c?.Expiration === undefined ? undefined : new Date(c.Expiration),
        };
        return cached;
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  };
}

/** The regions enabled for the account: EC2 `DescribeRegions` (opted-in and default regions) in `region`. */
export async function enabledRegions(reader: Reader, region: string, target: AuditTarget): Promise<string[]> {
  const ec2 = reader.factory.ec2(region, target.credentials);
  try {
    const res = (await send(ec2, reader, "DescribeRegions", {}, `ec2 in ${region}`)) as {
      Regions?: { RegionName?: string }[];
    };
    return (res.Regions ?? [])
      .map((r) => r.RegionName ?? "")
      .filter((r) => r !== "")
      .sort();
  } finally {
    ec2.destroy?.();
  }
}
