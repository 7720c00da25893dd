/**
 * route53-certbot's workload, run as its user data runs it: `certbot certonly --dns-route53` with no key anywhere,
 * its boto3 finding the instance role through IMDSv2 (the harness's {@link serveInstanceMetadata}) and calling the
 * emulator's Route 53; the certificate asked of pebble, which validates the DNS-01 challenge by asking a DNS server
 * that answers from Route 53's record sets ({@link serveRoute53Dns}). While certbot runs, the zone's record sets are
 * polled so that the challenge record is seen appearing and then going.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import {
  localStackClientConfig,
  localStackEndpoint,
  type Route53DnsQuery,
  runOnInstance,
  type SignedCall,
  serveInstanceMetadata,
  serveRoute53Dns,
  startPebble,
  startSigningRecorder,
} from "@keyless/testing";

const REPO = path.resolve(__dirname, "..", "..", "..");

/** certbot from the toolchain's venv (`npm run toolchain`), or `KEYLESS_CERTBOT`. */
export function certbotBinary(): string {
  const binary =
    process.env["KEYLESS_CERTBOT"] ?? path.join(REPO, ".tools", "python-tools", "certbot", "bin", "certbot");
  if (!existsSync(binary)) throw new Error(`certbot is not at ${binary}: run \`npm run toolchain\``);
  return binary;
}

/** What one run of certbot left and what was seen while it ran. Nothing secret. */
export interface CertbotRun {
  /** certbot's exit code (0 on success) and its output. */
  readonly exitCode: number;
  readonly output: string;
  /** The files certbot wrote, read back: `live/<domain>/cert.pem` and `chain.pem`; undefined when absent. */
  readonly certificatePem: string | undefined;
  readonly chainPem: string | undefined;
  /** pebble's root and intermediate (the CA that issues), read from its management interface. */
  readonly issuer: { root: string; intermediate: string };
  /** The variables the test added to the instance's environment (`runOnInstance` refuses any credential variable). */
  readonly env: Readonly<Record<string, string>>;
  /** Every file certbot wrote (config, work, logs), as [relative path, content]. */
  readonly files: ReadonlyArray<readonly [string, string]>;
  /** Whether `_acme-challenge.<domain>` TXT was in the zone at any poll during the run, and at the end. */
  readonly challengeRecordSeen: boolean;
  readonly challengeRecordAtEnd: boolean;
  /** The queries the Route 53 DNS server answered (pebble's validation). */
  readonly dnsQueries: readonly Route53DnsQuery[];
  /** The files (relative paths) that hold the secret access key IMDS served: none, for a keyless workload. */
  readonly filesHoldingServedSecret: readonly string[];
  /** The files that hold the access key id IMDS served (botocore's debug log in certbot's log records it). */
  readonly filesHoldingServedKeyId: readonly string[];
  /** The permission bits of certbot's logs directory (certbot makes it readable by its owner only). */
  readonly logsDirMode: number;
  /** Every AWS call certbot made, as the signing recorder in front of LocalStack saw it (its `AWS_ENDPOINT_URL`). */
  readonly calls: readonly SignedCall[];
  /** The fingerprint of the access key id IMDS delivered (`InstanceMetadataServer.keyFingerprint`) after the run. */
  readonly servedKeyFingerprint: string | undefined;
  /** How long certbot ran, in milliseconds. */
  readonly durationMs: number;
}

/**
 * Runs certbot for `domain` as the instance `instanceId` (its role through the harness's IMDS), against pebble and the
 * emulator's Route 53. Everything it started is stopped and its sandbox deleted before it returns.
 */
export async function runCertbotWorkload(instanceId: string, zoneId: string, domain: string): Promise<CertbotRun> {
  const route53 = new Route53Client(localStackClientConfig());
  const challenge = `_acme-challenge.${domain}.`;
  const challengeInZone = async () => {
    const sets = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    return (sets.ResourceRecordSets ?? []).some((s) => s.Type === "TXT" && s.Name === challenge);
  };
  const imds = await serveInstanceMetadata(instanceId);
  const dns = await serveRoute53Dns();
  const recorder = await startSigningRecorder({ upstream: localStackEndpoint() });
  // The sandbox standing for the instance's file system: certbot's config, work and logs directories.
  const home = mkdtempSync(path.join(os.tmpdir(), "keyless-certbot-"));
  try {
    const pebble = await startPebble({ dnsServer: dns.address });
    try {
      // runOnInstance gives the instance's environment: no key, no profile, an empty HOME; only where IMDS is
      // (IMDSv2 only), AWS_ENDPOINT_URL and the region. certbot trusts pebble's HTTPS through pebble's public test CA,
      // and nothing else in its TLS is changed.
      const env: Record<string, string> = { REQUESTS_CA_BUNDLE: pebble.httpsCaFile };
      // The user data's command, with the ACME server and certbot's directories (/etc/letsencrypt, /var/lib/letsencrypt,
      // /var/log/letsencrypt on the instance) moved into the sandbox.
      const args = [
        "certonly",
        "--dns-route53",
        "--non-interactive",
        "--agree-tos",
        "-m",
        `admin@${domain}`,
        "-d",
        domain,
        "--server",
        pebble.directoryUrl,
        "--config-dir",
        path.join(home, "config"),
        "--work-dir",
        path.join(home, "work"),
        "--logs-dir",
        path.join(home, "logs"),
      ];
      let seen = false;
      let polling = true;
      const poller = (async () => {
        while (polling) {
          if (await challengeInZone()) seen = true;
          await new Promise((resolve) => setTimeout(resolve, 150));
        }
      })();
      const started = Date.now();
      const run = await runOnInstance(imds, [certbotBinary(), ...args], {
        endpoint: recorder.endpoint, // LocalStack, through the recorder that notes which key signed each call
        cwd: home,
        env,
        timeoutMs: 120_000,
      });
      const result = { exitCode: run.exitCode ?? -1, output: `${run.stdout}${run.stderr}` };
      const durationMs = Date.now() - started;
      polling = false;
      await poller;
      const live = path.join(home, "config", "live", domain);
      const read = (file: string) =>
        existsSync(path.join(live, file)) ? readFileSync(path.join(live, file), "utf8") : undefined;
      // The served key is compared here and never leaves this function: only the names of files holding it do.
      const served = await servedCredentials(imds.endpoint, imds.roleName);
      const files = filesUnder(home);
      return {
        ...result,
        certificatePem: read("cert.pem"),
        chainPem: read("chain.pem"),
        issuer: await pebble.issuerCertificates(),
        env,
        files,
        challengeRecordSeen: seen,
        challengeRecordAtEnd: await challengeInZone(),
        dnsQueries: [...dns.queries],
        filesHoldingServedSecret: files.filter(([, text]) => text.includes(served.secretAccessKey)).map(([n]) => n),
        filesHoldingServedKeyId: files.filter(([, text]) => text.includes(served.accessKeyId)).map(([n]) => n),
        calls: [...recorder.calls],
        servedKeyFingerprint: imds.keyFingerprint,
        logsDirMode: statSync(path.join(home, "logs")).mode & 0o777,
        durationMs,
      };
    } finally {
      await pebble.stop();
    }
  } finally {
    await recorder.stop();
    await dns.stop();
    await imds.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

/** Every regular file under `dir` (recursively, following no links), with its content. */
function filesUnder(dir: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const entry of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const full = path.join(dir, entry);
    if (statSync(full, { throwIfNoEntry: false })?.isFile()) out.push([entry, readFileSync(full, "utf8")]);
  }
  return out;
}

/** The credentials IMDS serves for the role now, read through an IMDSv2 token as the SDKs read them. */
async function servedCredentials(
  endpoint: string,
  role: string,
): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const token = await (
    await fetch(`${endpoint}/latest/api/token`, {
      method: "PUT",
      headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60" },
    })
  ).text();
  const doc = (await (
    await fetch(`${endpoint}/latest/meta-data/iam/security-credentials/${role}`, {
      headers: { "x-aws-ec2-metadata-token": token },
    })
  ).json()) as { AccessKeyId?: unknown; SecretAccessKey?: unknown };
  if (typeof doc.AccessKeyId !== "string" || !doc.AccessKeyId || typeof doc.SecretAccessKey !== "string") {
    throw new Error(`IMDS served no credentials for ${role}`);
  }
  return { accessKeyId: doc.AccessKeyId, secretAccessKey: doc.SecretAccessKey };
}
