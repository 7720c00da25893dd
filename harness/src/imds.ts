/**
 * The instance metadata service (IMDS) of a deployed instance, emulated: the role its instance profile holds, with
 * temporary credentials from LocalStack STS, served by AWS's amazon-ec2-metadata-mock; and the AWS SDK's default
 * credential chain run against it in a clean child process. LocalStack's EC2 runs no VM and so has no IMDS.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import {
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstancesCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { GetInstanceProfileCommand, IAMClient } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { runDefaultChain } from "./default-chain";
import { onPath } from "./engine";
import { localStackClientConfig, localStackEndpoint, localStackRegion } from "./localstack";

/** Thrown when the metadata mock cannot be found, started or stopped, or the instance cannot be served. */
export class InstanceMetadataError extends Error {
  readonly code: "MockMissing" | "MockStartFailed" | "NoInstanceProfile" | "MetadataDisabled" | "ChainFailed";
  constructor(code: InstanceMetadataError["code"], message: string) {
    super(message);
    this.code = code;
    this.name = "InstanceMetadataError";
  }
}

/** Options of {@link serveInstanceMetadata}. */
export interface InstanceMetadataOptions {
  /**
   * The STS session name of the assumed role: it ends the caller's ARN, `assumed-role/<role>/<session>`.
   * @default - The instance id, as EC2 itself does.
   */
  readonly sessionName?: string;
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
  /** The role the profile holds, whose credentials are served under `iam/security-credentials/<roleName>`. */
  readonly roleName: string;
  /** Whether a token (IMDSv2) is required: the instance's `MetadataOptions.HttpTokens` is `required`. */
  readonly tokensRequired: boolean;
  /**
   * Reads the instance's association again and serves the role it now holds, with fresh credentials, before it
   * returns (on the same endpoint). Tokens issued before are no longer valid.
   */
  refresh(): Promise<void>;
  /** Stops the mock (SIGTERM, then SIGKILL after 3 s) and deletes its files. Safe to call twice. */
  stop(): Promise<void>;
}

/** What an instance holds, read from the emulator. */
interface InstanceIdentity {
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
 * Serves a deployed instance's metadata as EC2 would: reads from the emulator which instance profile the instance
 * holds (DescribeIamInstanceProfileAssociations) and which role that profile holds (GetInstanceProfile), gets the
 * role's temporary credentials from LocalStack STS (AssumeRole, session name = instance id), and starts
 * amazon-ec2-metadata-mock on a free loopback port serving them under
 * `latest/meta-data/iam/security-credentials/<role>`. Tokens (IMDSv2) are required when the instance's
 * `metadataOptions.httpTokens` is `required`. Secrets are passed to the mock in a 0600 file that is deleted as soon as
 * the mock answers; they are never printed.
 *
 * Not emulated: the hop limit (`httpPutResponseHopLimit`, a property of the network path) and credential rotation
 * before expiry (the credentials last an hour; call `refresh()` for new ones).
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
  const binary = options.mockBinary ?? requireMetadataMock();
  const sessionName = options.sessionName ?? instanceId;
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  let identity = await readInstance(instanceId);
  let credentials = await assumeRole(identity.roleArn, sessionName);
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyless-imds-"));
  let port = await freePort();
  const launch = () =>
    startMock({
      binary,
      dir,
      port,
      timeoutMs,
      instanceId,
      config: mockConfig(instanceId, identity, credentials),
      tokensRequired: identity.tokensRequired,
    });
  let mock: RunningMock;
  try {
    mock = await launch().catch(async (err) => {
      // A port taken between freePort() and the mock's bind: once more on another port.
      if (!(err instanceof InstanceMetadataError && /address already in use/.test(err.message))) throw err;
      port = await freePort();
      return launch();
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const killOnExit = () => mock.child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let stopped = false;
  const server: InstanceMetadataServer = {
    endpoint: `http://127.0.0.1:${port}`,
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
    async refresh() {
      if (stopped) throw new InstanceMetadataError("MockStartFailed", "refresh() after stop()");
      const next = await readInstance(instanceId);
      const nextCredentials = await assumeRole(next.roleArn, sessionName);
      // The mock reads its configuration once (its watch mode keeps the old role's path), so it is restarted on
      // the same port: the endpoint stays the same and the new credentials are served when refresh() returns.
      await mock.stop();
      identity = next;
      credentials = nextCredentials;
      mock = await launch();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener("exit", killOnExit);
      try {
        await mock.stop();
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
   * How long the child may take, in milliseconds.
   * @default 30000
   */
  readonly timeoutMs?: number;
}

/**
 * Runs the AWS SDK for JavaScript v3 default credential chain as software on the instance would, and asks STS who it
 * is. It runs in a child process whose environment holds no AWS keys, profile or container-credential variables
 * (config and credentials files point at paths that do not exist), only `AWS_EC2_METADATA_SERVICE_ENDPOINT`,
 * `AWS_EC2_METADATA_V1_DISABLED=true` (no token-less fallback: IMDSv2 only), `AWS_REGION` and
 * `AWS_ENDPOINT_URL_STS`. Nothing secret leaves the child: only the ARN, the account, the key id's kind and booleans.
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
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  if ("refused" in answer || "failed" in answer) {
    const why = "refused" in answer ? `${answer.refused.code}: ${answer.refused.message}` : answer.failed;
    throw new InstanceMetadataError(
      "ChainFailed",
      `the SDK's default credential chain via ${imdsEndpoint} failed (${why})`,
    );
  }
  const { links, ...who } = answer;
  return { ...who, fromInstanceMetadata: links.includes("instanceMetadata") };
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
  const named = process.env["KEYLESS_EC2_METADATA_MOCK"];
  if (named) {
    if (existsSync(named)) return named;
    throw new InstanceMetadataError("MockMissing", `KEYLESS_EC2_METADATA_MOCK names ${named}, which does not exist`);
  }
  const found = onPath("ec2-metadata-mock");
  if (found) return found;
  const built = path.resolve(__dirname, "..", "..", ".tools", "bin", "ec2-metadata-mock");
  if (existsSync(built)) return built;
  throw new InstanceMetadataError(
    "MockMissing",
    "no `ec2-metadata-mock` (amazon-ec2-metadata-mock) on PATH or in .tools/bin. Build it with `npm run toolchain`, " +
      "or set KEYLESS_EC2_METADATA_MOCK to the binary.",
  );
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

interface RoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

async function assumeRole(roleArn: string, sessionName: string): Promise<RoleCredentials> {
  const sts = new STSClient(localStackClientConfig());
  const got = await sts.send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: 3600 }),
  );
  const c = got.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
    throw new InstanceMetadataError("NoInstanceProfile", `STS AssumeRole of ${roleArn} returned no credentials`);
  }
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: c.Expiration,
  };
}

/** IMDS's time format: ISO 8601 without milliseconds. */
function imdsTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The mock's configuration file (see its pkg/config/defaults/aemm-metadata-default-values.json). */
function mockConfig(instanceId: string, id: InstanceIdentity, c: RoleCredentials): object {
  const now = imdsTime(new Date());
  const region = localStackRegion();
  return {
    metadata: {
      values: {
        "instance-id": instanceId,
        "placement-region": region,
        "placement-availability-zone": id.availabilityZone ?? `${region}a`,
        "iam-info": {
          Code: "Success",
          LastUpdated: now,
          InstanceProfileArn: id.profileArn,
          InstanceProfileId: id.profileId,
        },
        // Also rewrites the path iam/security-credentials/<role> (the mock substitutes its default role name).
        "iam-security-credentials-role": id.roleName,
        "iam-security-credentials": {
          Code: "Success",
          LastUpdated: now,
          Type: "AWS-HMAC",
          AccessKeyId: c.accessKeyId,
          SecretAccessKey: c.secretAccessKey,
          Token: c.sessionToken,
          Expiration: imdsTime(c.expiration),
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
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exit = `exit ${code ?? signal}`;
      resolve();
    });
    child.once("error", (err) => {
      exit = err.message;
      resolve();
    });
  });
  const stop = async () => {
    if (exit === undefined) {
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
      if (exit !== undefined) throw new Error(exit);
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

/** A loopback port free right now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
