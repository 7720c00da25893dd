// `keyless-scan audit` as a user runs it against the emulators: the repository's CLI, the SDK's standard settings
// (endpoint variables, LocalStack's credentials), nothing else.
import { type SpawnSyncReturns, spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { LOCALSTACK_CREDENTIALS, localStackEndpoint, localStackRegion, motoEndpoint } from "@keyless/testing";

const shim = path.resolve(__dirname, "../../..", "scanner", "bin", "keyless-scan.js");

/** The audit's command line and environment: every service at `endpoint`, or LocalStack with ECS on moto. */
function auditCommand(args: readonly string[], endpoint?: string) {
  const endpoints =
    endpoint === undefined
      ? { AWS_ENDPOINT_URL: localStackEndpoint(), AWS_ENDPOINT_URL_ECS: motoEndpoint() }
      : { AWS_ENDPOINT_URL: endpoint, AWS_ENDPOINT_URL_ECS: endpoint };
  const argv = [shim, "audit", ...args, ...(endpoint === undefined ? ["--region", localStackRegion()] : [])];
  const env = {
    ...process.env,
    ...endpoints,
    AWS_ACCESS_KEY_ID: LOCALSTACK_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCALSTACK_CREDENTIALS.secretAccessKey,
    AWS_REGION: localStackRegion(),
    AWS_PROFILE: "",
  };
  return { argv, env };
}

/** Runs `keyless-scan audit --region <LocalStack's> ...args` and returns what it printed and its status. */
export function runAudit(args: readonly string[]): SpawnSyncReturns<string> {
  const { argv, env } = auditCommand(args);
  return spawnSync(process.execPath, argv, { encoding: "utf8", timeout: 240_000, env });
}

/**
 * Runs `keyless-scan audit ...args` with every service at `endpoint` (the caller passes the regions), without blocking
 * this process: `endpoint` may be a recorder or a front served by this process.
 */
export function runAuditAt(
  endpoint: string,
  args: readonly string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const { argv, env } = auditCommand(args, endpoint);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
    child.once("error", reject);
    child.once("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
