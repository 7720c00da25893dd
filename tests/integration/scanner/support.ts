// `keyless-scan audit` as a user runs it against the emulators: the repository's CLI, the SDK's standard settings
// (endpoint variables, LocalStack's credentials), nothing else.
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import path from "node:path";
import { LOCALSTACK_CREDENTIALS, localStackEndpoint, localStackRegion, motoEndpoint } from "@keyless/testing";

const shim = path.resolve(__dirname, "../../..", "scanner", "bin", "keyless-scan.js");

/** Runs `keyless-scan audit --region <LocalStack's> ...args` and returns what it printed and its status. */
export function runAudit(args: readonly string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [shim, "audit", ...args, "--region", localStackRegion()], {
    encoding: "utf8",
    timeout: 240_000,
    env: {
      ...process.env,
      AWS_ENDPOINT_URL: localStackEndpoint(),
      AWS_ENDPOINT_URL_ECS: motoEndpoint(),
      AWS_ACCESS_KEY_ID: LOCALSTACK_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCALSTACK_CREDENTIALS.secretAccessKey,
      AWS_REGION: localStackRegion(),
      AWS_PROFILE: "",
    },
  });
}
