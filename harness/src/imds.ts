/**
 * The instance metadata service (IMDS) of a deployed instance, emulated: the role its instance profile holds, with
 * temporary credentials from LocalStack STS obtained as EC2 obtains them (the role's trust evaluated for
 * `ec2.amazonaws.com` first) and renewed before they expire, served by AWS's amazon-ec2-metadata-mock behind a loopback
 * front that answers the IAM subtree; and the AWS SDK's default credential chain run against it in a clean child
 * process. LocalStack's EC2 runs no VM and so has no IMDS.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstancesCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { GetInstanceProfileCommand, IAMClient } from "@aws-sdk/client-iam";
import { watchChildExit } from "./child-exit";
import { type DefaultChainCall, runDefaultChain } from "./default-chain";
import { locateToolBinary } from "./engine";
import { freePort } from "./free-port";
import {
  assumeRoleUnauthorizedDocument,
  credentialsDocument,
  type IamCredentialsCode,
  iamInfoDocument,
  imdsTime,
} from "./imds-documents";
import { type ImdsFront, iamSubtree, serveImdsFront } from "./imds-front";
import { type InstanceRoleTarget, keepInstanceRoleCredentials } from "./instance-role-credentials";
import { localStackClientConfig, localStackEndpoint, localStackRegion } from "./localstack";
import { accessKeyFingerprint, type SignedCall } from "./signing-recorder";

export type { DefaultChainCall } from "./default-chain";
export type { IamCredentialsCode } from "./imds-documents";

/** Thrown when the metadata mock cannot be found, started or stopped, or the instance cannot be served. */
export class InstanceMetadataError extends Error {
  readonly code:
    | "MockMissing"
    | "MockStartFailed"
    | "NoInstanceProfile"
    | "MetadataDisabled"
    | "ChainFailed"
    | "InvalidOptions";
  constructor(code: InstanceMetadataError["code"], message: string) {
    super(message);
    this.code = code;
    this.name = "InstanceMetadataError";
  }
}

/** The SDKs refresh credentials that expire within this many seconds (5 minutes in AWS SDK for JavaScript v3). */
const SDK_REFRESH_WINDOW_SECONDS = 300;

/** Options of {@link serveInstanceMetadata}. */
export interface InstanceMetadataOptions {
  /**
   * The STS session name of the assumed role: it ends the caller's ARN, `assumed-role/<role>/<session>`.
   * @default - The instance id read from EC2, as EC2 itself does.
   */
  readonly sessionName?: string;
  /**
   * How long each set of served credentials lasts, in seconds: the AssumeRole `DurationSeconds`, so the served
   * `Expiration` is STS's own. LocalStack accepts less than AWS's minimum of 900, which lets a test see a rotation
   * within seconds.
   * @default 3600
   * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
   */
  readonly credentialLifetimeSeconds?: number;
  /**
   * How long before the served credentials expire new ones (a new AssumeRole, a new key) are served, in seconds. EC2
   * makes new credentials available at least five minutes before the old ones expire, and the SDKs refresh once less
   * than five minutes remain: it must be more than 300 and less than `credentialLifetimeSeconds`.
   * @default 360
   * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-security-credentials.html
   */
  readonly renewBeforeExpirySeconds?: number;
  /**
   * The amazon-ec2-metadata-mock binary.
   * @default - `KEYLESS_EC2_METADATA_MOCK`, else `ec2-metadata-mock` on PATH, else the repository's .tools/bin.
   */
  readonly mockBinary?: string;
  /**
   * How long the mock may take to answer after it is started, in milliseconds.
   * @default 10000
   */
  readonly startTimeoutMs?: number;
}

/** An instance's metadata service, served on loopback. Stop it with {@link InstanceMetadataServer.stop}. */
export interface InstanceMetadataServer {
  /** Where the metadata service answers, `http://127.0.0.1:<port>`: for `AWS_EC2_METADATA_SERVICE_ENDPOINT`. */
  readonly endpoint: string;
  /** The instance served. */
  readonly instanceId: string;
  /** The instance profile associated with the instance when last read. */
  readonly profileName: string;
  /**
   * The association id (EC2 `iip-assoc-…`) when last read. AWS issues a new one when the profile is replaced;
   * LocalStack's moto keeps the id across ReplaceIamInstanceProfileAssociation.
   */
  readonly associationId: string;
  /** The role the profile holds, listed under `iam/security-credentials/`. */
  readonly roleName: string;
  /** Whether a token (IMDSv2) is required: the instance's `MetadataOptions.HttpTokens` is `required`. */
  readonly tokensRequired: boolean;
  /**
   * The `Code` of `iam/security-credentials/<role>` now: `Success` with credentials, or `AssumeRoleUnauthorizedAccess`
   * (no key) when the role's trust does not admit `ec2.amazonaws.com`. `iam/info` says `Success` either way: it
   * describes the instance profile.
   */
  readonly credentialsCode: IamCredentialsCode;
  /** Why the trust refused, when `credentialsCode` is `AssumeRoleUnauthorizedAccess` (the evaluation's reason). */
  readonly trustRefusal: string | undefined;
  /**
   * {@link accessKeyFingerprint} of the access key id served now, `undefined` while the trust refuses: compare it with
   * {@link SignedCall.keyFingerprint} to know a request was signed by what this service delivered. Never the id itself.
   */
  readonly keyFingerprint: string | undefined;
  /** How many times the served credentials were renewed on schedule (a new key each time); `refresh()` not counted. */
  readonly rotations: number;
  /**
   * Reads the instance's association again and serves the role it now holds, its trust evaluated again and new
   * credentials, before it returns (on the same endpoint). Tokens issued before stay valid, as on EC2.
   */
  refresh(): Promise<void>;
  /** Stops renewing, the front and the mock (SIGTERM, then SIGKILL after 3 s) and deletes its files. Safe twice. */
  stop(): Promise<void>;
}

/** What an instance holds, read from the emulator. */
interface InstanceIdentity {
  instanceId: string;
  account: string;
  associationId: string;
  profileName: string;
  profileArn: string;
  profileId: string;
  roleName: string;
  roleArn: string;
  tokensRequired: boolean;
  availabilityZone?: string;
}

/**
 * Serves a deployed instance's metadata as EC2 would. It reads from the emulator which instance profile the instance
 * holds (DescribeInstances, DescribeIamInstanceProfileAssociations) and which role that profile holds
 * (GetInstanceProfile), and asks for the role's credentials as EC2 does ({@link assumeRoleAsService}: the role's trust
 * evaluated for `ec2.amazonaws.com` with `aws:SourceAccount` = the instance's account and `aws:SourceArn` = its ARN,
 * then STS AssumeRole with session name = the instance id). A trust that admits EC2 gets its credentials served under
 * `latest/meta-data/iam/security-credentials/<role>` and renewed with a new key `renewBeforeExpirySeconds` before they
 * expire; a trust that does not gets EC2's answer: the role still listed, its document `"Code" :
 * "AssumeRoleUnauthorizedAccess"` with EC2's message and no key, so the SDK's chain finds no credentials.
 *
 * amazon-ec2-metadata-mock serves everything but the IAM subtree and decides every token (IMDSv2 required when the
 * instance's `metadataOptions.httpTokens` is `required`); a loopback front on the endpoint answers the IAM subtree
 * from memory, so renewed credentials are served without restarting anything and no secret is written to a file.
 * Secrets are never printed.
 *
 * Not emulated: the hop limit (`httpPutResponseHopLimit`, a property of the network path).
 *
 * @example
 * ```ts
 * const imds = await serveInstanceMetadata(instanceId);
 * try {
 *   const who = await callerIdentityThroughImds(imds.endpoint);
 *   // who.arn === `arn:aws:sts::000000000000:assumed-role/${imds.roleName}/${instanceId}`
 * } finally {
 *   await imds.stop();
 * }
 * ```
 */
export async function serveInstanceMetadata(
  instanceId: string,
  options: InstanceMetadataOptions = {},
): Promise<InstanceMetadataServer> {
  const lifetimeSeconds = options.credentialLifetimeSeconds ?? 3600;
  const renewBeforeExpirySeconds = options.renewBeforeExpirySeconds ?? 360;
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds <= SDK_REFRESH_WINDOW_SECONDS) {
    throw new InstanceMetadataError(
      "InvalidOptions",
      `\`credentialLifetimeSeconds\` must be an integer above ${SDK_REFRESH_WINDOW_SECONDS} (the SDKs' refresh ` +
        `window); got ${lifetimeSeconds}`,
    );
  }
  if (renewBeforeExpirySeconds <= SDK_REFRESH_WINDOW_SECONDS || renewBeforeExpirySeconds >= lifetimeSeconds) {
    throw new InstanceMetadataError(
      "InvalidOptions",
      `\`renewBeforeExpirySeconds\` must be above ${SDK_REFRESH_WINDOW_SECONDS} (new credentials before the SDKs' ` +
        `refresh window opens) and below \`credentialLifetimeSeconds\` (${lifetimeSeconds}); got ${renewBeforeExpirySeconds}`,
    );
  }
  const binary = options.mockBinary ?? requireMetadataMock();
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  let identity = await readInstance(instanceId);
  const target = (id: InstanceIdentity): InstanceRoleTarget => ({
    roleArn: id.roleArn,
    roleName: id.roleName,
    sessionName: options.sessionName ?? id.instanceId,
    sourceAccount: id.account,
    sourceArn: `arn:aws:ec2:${localStackRegion()}:${id.account}:instance/${id.instanceId}`,
  });
  const credentials = await keepInstanceRoleCredentials(target(identity), {
    lifetimeSeconds,
    renewBeforeExpirySeconds,
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyless-imds-"));
  let mockPort = await freePort();
  const launch = () =>
    startMock({
      binary,
      dir,
      port: mockPort,
      timeoutMs,
      instanceId,
      config: mockConfig(instanceId, identity),
      tokensRequired: identity.tokensRequired,
    });
  const launchOnFreePort = () =>
    launch().catch(async (err) => {
      // A port taken between freePort() and the mock's bind: once more on another port.
      if (!(err instanceof InstanceMetadataError && /address already in use/.test(err.message))) throw err;
      mockPort = await freePort();
      return launch();
    });
  let infoUpdated = new Date();
  let mock: RunningMock | undefined;
  let front: ImdsFront | undefined;
  try {
    mock = await launchOnFreePort();
    front = await serveImdsFront({
      upstream: () => `http://127.0.0.1:${mockPort}`,
      // The mock serves iam/info behind its token check: it decides the token of every IAM request.
      tokenCheckPath: "/latest/meta-data/iam/info",
      iam: (requested) =>
        iamSubtree(requested, {
          roleName: identity.roleName,
          info: () => iamInfoDocument({ arn: identity.profileArn, id: identity.profileId }, infoUpdated),
          document: () => {
            const served = credentials.current;
            return served.code === "Success"
              ? credentialsDocument(served.credentials, served.lastUpdated)
              : assumeRoleUnauthorizedDocument(identity.roleName, served.lastUpdated);
          },
        }),
    });
  } catch (err) {
    credentials.stop();
    await mock?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const killOnExit = () => mock?.child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let stopped = false;
  const server: InstanceMetadataServer = {
    endpoint: front.endpoint,
    instanceId,
    get profileName() {
      return identity.profileName;
    },
    get associationId() {
      return identity.associationId;
    },
    get roleName() {
      return identity.roleName;
    },
    get tokensRequired() {
      return identity.tokensRequired;
    },
    get credentialsCode() {
      return credentials.current.code;
    },
    get trustRefusal() {
      const served = credentials.current;
      return served.code === "AssumeRoleUnauthorizedAccess" ? served.reason : undefined;
    },
    get keyFingerprint() {
      const served = credentials.current;
      return served.code === "Success" ? accessKeyFingerprint(served.credentials.accessKeyId) : undefined;
    },
    get rotations() {
      return credentials.rotations;
    },
    async refresh() {
      if (stopped) throw new InstanceMetadataError("MockStartFailed", "refresh() after stop()");
      const next = await readInstance(instanceId);
      await credentials.refresh(target(next));
      const restart = next.tokensRequired !== identity.tokensRequired;
      identity = next;
      infoUpdated = new Date();
      if (restart) {
        // The mock takes --imdsv2 at start: restarted behind the front, whose endpoint stays the same.
        await mock?.stop();
        mock = await launchOnFreePort();
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener("exit", killOnExit);
      credentials.stop();
      try {
        await front?.stop();
        await mock?.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  return server;
}

/** The ARN and kind of credentials the SDK's default chain obtained, as STS GetCallerIdentity saw them. */
export interface ChainIdentity {
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>` for an instance role. */
  readonly arn: string;
  /** The account id. */
  readonly account: string;
  /**
   * Whether the credentials are temporary: an `ASIA…` key id with a session token, not a user's `AKIA…` key.
   * (LocalStack marks its keys `LSIA…` unless started with `PARITY_AWS_ACCESS_KEY_ID=1`, as `npm test` starts it.)
   */
  readonly temporary: boolean;
  /** The first four characters of the access key id (`ASIA`, `AKIA`, …): the kind of key, not the key. */
  readonly keyIdPrefix: string;
  /** Whether the chain's last link, the instance metadata service, supplied the credentials. */
  readonly fromInstanceMetadata: boolean;
  /** How long the child process took, from spawn to answer, in milliseconds. */
  readonly durationMs: number;
  /**
   * Each call in the child, in order (two with {@link ChainOptions.secondCallAfterMs}): who STS said, the key id's
   * fingerprint (an HMAC under a key drawn in the child for this run) and the credentials' expiry. No key id.
   */
  readonly calls: readonly DefaultChainCall[];
}

/** Options of {@link callerIdentityThroughImds}. */
export interface ChainOptions {
  /**
   * STS, for `AWS_ENDPOINT_URL_STS`.
   * @default - The LocalStack endpoint.
   */
  readonly stsEndpoint?: string;
  /**
   * The region, for `AWS_REGION`.
   * @default - `AWS_REGION`, else us-east-1.
   */
  readonly region?: string;
  /**
   * Calls again after this pause, in the same process with the same client: the SDK resolves its credentials anew
   * (refreshing them when less than 5 minutes remain) and STS is asked again. For rotation tests.
   * @default - One call.
   */
  readonly secondCallAfterMs?: number;
  /**
   * How long the child may take, in milliseconds.
   * @default - 30000, plus `secondCallAfterMs`.
   */
  readonly timeoutMs?: number;
}

/**
 * Runs the AWS SDK for JavaScript v3 default credential chain as software on the instance would, and asks STS who it
 * is. It runs in a child process whose environment holds no AWS keys, profile or container-credential variables
 * (config and credentials files point at paths that do not exist), only `AWS_EC2_METADATA_SERVICE_ENDPOINT`,
 * `AWS_EC2_METADATA_V1_DISABLED=true` (no token-less fallback: IMDSv2 only), `AWS_REGION` and
 * `AWS_ENDPOINT_URL_STS`. Nothing secret leaves the child: only the ARN, the account, the key id's kind and
 * fingerprint, expiries and booleans. When the chain finds no credentials it rejects with
 * {@link InstanceMetadataError} `ChainFailed`, naming the `Code` and `Message` the metadata service gave for the role
 * (EC2's `AssumeRoleUnauthorizedAccess` when the role does not trust EC2).
 *
 * @param imdsEndpoint - the metadata service, for example {@link InstanceMetadataServer.endpoint}
 * @example
 * ```ts
 * const { arn, temporary } = await callerIdentityThroughImds(imds.endpoint);
 * ```
 */
export async function callerIdentityThroughImds(
  imdsEndpoint: string,
  options: ChainOptions = {},
): Promise<ChainIdentity> {
  const answer = await runDefaultChain({
    env: {
      AWS_EC2_METADATA_SERVICE_ENDPOINT: imdsEndpoint,
      AWS_EC2_METADATA_V1_DISABLED: "true",
      AWS_REGION: options.region ?? localStackRegion(),
      AWS_ENDPOINT_URL_STS: options.stsEndpoint ?? localStackEndpoint(),
    },
    timeoutMs: options.timeoutMs ?? 30_000 + (options.secondCallAfterMs ?? 0),
    ...(options.secondCallAfterMs !== undefined ? { secondCallAfterMs: options.secondCallAfterMs } : {}),
  });
  if ("refused" in answer || "failed" in answer) {
    const why = "refused" in answer ? `${answer.refused.code}: ${answer.refused.message}` : answer.failed;
    const served = await servedCredentialsCode(imdsEndpoint);
    throw new InstanceMetadataError(
      "ChainFailed",
      `the SDK's default credential chain via ${imdsEndpoint} failed (${why})` +
        (served ? `; the metadata service answers ${served}` : ""),
    );
  }
  const { links, ...who } = answer;
  return { ...who, fromInstanceMetadata: links.includes("instanceMetadata") };
}

/**
 * `iam/security-credentials/<role> says <Code>: <Message>` when that document holds no credentials, read through a
 * token; undefined when it holds credentials or cannot be read. Only `Code` and `Message` are kept.
 */
async function servedCredentialsCode(endpoint: string): Promise<string | undefined> {
  try {
    const token = await fetch(`${endpoint}/latest/api/token`, {
      method: "PUT",
      headers: { "X-aws-ec2-metadata-token-ttl-seconds": "60" },
      signal: AbortSignal.timeout(2000),
    });
    if (!token.ok) return undefined;
    const headers = { "X-aws-ec2-metadata-token": await token.text() };
    const base = `${endpoint}/latest/meta-data/iam/security-credentials/`;
    const listing = await fetch(base, { headers, signal: AbortSignal.timeout(2000) });
    if (!listing.ok) return `iam/security-credentials/: HTTP ${listing.status}`;
    const role = (await listing.text()).trim();
    const doc = await fetch(`${base}${role}`, { headers, signal: AbortSignal.timeout(2000) });
    const { Code, Message } = JSON.parse(await doc.text()) as { Code?: string; Message?: string };
    return Code === "Success" ? undefined : `iam/security-credentials/${role}: ${Code}: ${Message ?? ""}`;
  } catch {
    return undefined;
  }
}

/** Masks anything shaped like a secret key, session token or IMDS token, in case the mock's log quotes one. */
function redact(text: string): string {
  return text.replace(/(X-Aws-Ec2-Metadata-Token:\[)[^\]]*/gi, "$1***").replace(/[A-Za-z0-9/+=]{40,}/g, "***");
}

/**
 * The amazon-ec2-metadata-mock binary: `KEYLESS_EC2_METADATA_MOCK`, else `ec2-metadata-mock` on PATH, else the
 * repository's .tools/bin. Throws {@link InstanceMetadataError} saying how to build it: call it first to fail fast.
 *
 * @example
 * ```ts
 * before(() => requireMetadataMock());
 * ```
 */
export function requireMetadataMock(): string {
  const found = locateToolBinary("KEYLESS_EC2_METADATA_MOCK", "ec2-metadata-mock");
  if ("path" in found) return found.path;
  throw new InstanceMetadataError("MockMissing", `${found.missing} (amazon-ec2-metadata-mock)`);
}

async function readInstance(instanceId: string): Promise<InstanceIdentity> {
  const ec2 = new EC2Client(localStackClientConfig());
  const iam = new IAMClient(localStackClientConfig());
  const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = described.Reservations?.[0]?.Instances?.[0];
  if (!instance) throw new InstanceMetadataError("NoInstanceProfile", `instance ${instanceId} not found`);
  if (instance.MetadataOptions?.HttpEndpoint === "disabled") {
    throw new InstanceMetadataError(
      "MetadataDisabled",
      `instance ${instanceId} has metadataOptions.httpEndpoint "disabled": software on it cannot reach IMDS`,
    );
  }
  const associations = await ec2.send(
    new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: "instance-id", Values: [instanceId] }] }),
  );
  const association = associations.IamInstanceProfileAssociations?.find((a) => a.State === "associated");
  const profileArn = association?.IamInstanceProfile?.Arn;
  if (!association?.AssociationId || !profileArn) {
    throw new InstanceMetadataError(
      "NoInstanceProfile",
      `instance ${instanceId} is associated with no instance profile, so IMDS would serve no credentials`,
    );
  }
  // A profile ARN may carry a path (instance-profile/path/name): the name is the last segment.
  const profileName = profileArn.split("/").pop() as string;
  const profile = (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: profileName }))).InstanceProfile;
  const roles = profile?.Roles ?? [];
  if (roles.length !== 1 || !roles[0]?.RoleName || !roles[0].Arn) {
    throw new InstanceMetadataError(
      "NoInstanceProfile",
      `instance profile ${profileName} of instance ${instanceId} must hold exactly one role; it holds ${roles.length}`,
    );
  }
  return {
    instanceId: instance.InstanceId ?? instanceId,
    // The account that owns the instance: aws:SourceAccount of EC2's request for the role.
    account: described.Reservations?.[0]?.OwnerId ?? roles[0].Arn.split(":")[4] ?? "",
    associationId: association.AssociationId,
    profileName,
    profileArn,
    profileId: profile?.InstanceProfileId ?? association.IamInstanceProfile?.Id ?? "",
    roleName: roles[0].RoleName,
    roleArn: roles[0].Arn,
    tokensRequired: instance.MetadataOptions?.HttpTokens === "required",
    ...(instance.Placement?.AvailabilityZone ? { availabilityZone: instance.Placement.AvailabilityZone } : {}),
  };
}

/**
 * The mock's configuration file (see its pkg/config/defaults/aemm-metadata-default-values.json). It holds no secret:
 * the front answers the IAM subtree; the mock's `iam-info` only stands behind the token check of those requests.
 */
function mockConfig(instanceId: string, id: InstanceIdentity): object {
  const region = localStackRegion();
  return {
    metadata: {
      values: {
        "instance-id": instanceId,
        "placement-region": region,
        "placement-availability-zone": id.availabilityZone ?? `${region}a`,
        "iam-info": {
          Code: "Success",
          LastUpdated: imdsTime(new Date()),
          InstanceProfileArn: id.profileArn,
          InstanceProfileId: id.profileId,
        },
      },
    },
  };
}

interface RunningMock {
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the mock and waits until it answers as this instance; the config file is deleted once it has been read. */
async function startMock(run: {
  binary: string;
  dir: string;
  port: number;
  timeoutMs: number;
  instanceId: string;
  config: object;
  tokensRequired: boolean;
}): Promise<RunningMock> {
  const { binary, dir, port, timeoutMs } = run;
  const configFile = path.join(dir, "aemm-config.json");
  writeFileSync(configFile, JSON.stringify(run.config), { mode: 0o600 });
  const args = ["--config-file", configFile, "--hostname", "127.0.0.1", "--port", String(port)];
  if (run.tokensRequired) args.push("--imdsv2");
  // HOME is the temp dir: the mock would otherwise read $HOME/aemm-config.json. No AEMM_* variables either.
  const child = spawn(binary, args, { env: { PATH: process.env["PATH"] ?? "", HOME: dir }, stdio: "pipe" });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    // The mock logs every request (IMDS tokens included): keep only the last lines, for errors, redacted.
    tail.push(...redact(chunk.toString()).split("\n").filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 15));
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const { exited, reason: exit } = watchChildExit(child);
  const stop = async () => {
    if (exit() === undefined) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      clearTimeout(timer);
    }
    rmSync(configFile, { force: true });
  };
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const why = exit();
      if (why !== undefined) throw new Error(why);
      // Ready when it answers as this instance (not some other server that took the port).
      if ((await instanceIdAt(endpoint)) === run.instanceId) break;
      if (Date.now() > deadline) throw new Error(`no answer within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    await stop();
    throw new InstanceMetadataError(
      "MockStartFailed",
      `ec2-metadata-mock (${binary}) did not start on ${endpoint}: ${(err as Error).message}\n${tail.join("\n")}`,
    );
  }
  rmSync(configFile, { force: true });
  return { child, stop };
}

/** The instance id an IMDS endpoint serves (through a token), or undefined while it does not answer. */
async function instanceIdAt(endpoint: string): Promise<string | undefined> {
  try {
    const token = await fetch(`${endpoint}/latest/api/token`, {
      method: "PUT",
      headers: { "X-aws-ec2-metadata-token-ttl-seconds": "60" },
      signal: AbortSignal.timeout(1000),
    });
    if (!token.ok) return undefined;
    const res = await fetch(`${endpoint}/latest/meta-data/instance-id`, {
      headers: { "X-aws-ec2-metadata-token": await token.text() },
      signal: AbortSignal.timeout(1000),
    });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}
