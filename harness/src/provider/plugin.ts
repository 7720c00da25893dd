/**
 * Attaching an `aws` provider to the engine: the LocalStack-backed one written here, or the real
 * pulumi-resource-aws plugin (configured for LocalStack endpoints) where it is installed.
 */
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { defaultEndpoints } from "./clients";
import { AWS_PROVIDER_VERSION } from "./provider";

/** Which provider backs `aws` resources. */
export type AwsProviderMode = "localstack" | "real";

/** The plugin directory name the engine looks for. */
export const AWS_PLUGIN_DIR = `resource-aws-v${AWS_PROVIDER_VERSION}`;

/** The real plugin in the user's own Pulumi home, if installed. */
export function realAwsPlugin(): string | undefined {
  const home = process.env["PULUMI_HOME"] ?? path.join(os.homedir(), ".pulumi");
  const dir = path.join(home, "plugins", AWS_PLUGIN_DIR);
  return existsSync(path.join(dir, "pulumi-resource-aws")) ? dir : undefined;
}

/**
 * `KEYLESS_AWS_PROVIDER=real|localstack`; by default the real plugin when it is installed
 * (`pulumi plugin install resource aws <AWS_PROVIDER_VERSION>`), else the LocalStack-backed provider.
 */
export function awsProviderMode(): AwsProviderMode {
  const v = process.env["KEYLESS_AWS_PROVIDER"];
  if (v === "real" || v === "localstack") return v;
  if (v !== undefined && v !== "") {
    throw new Error(`KEYLESS_AWS_PROVIDER must be "real" or "localstack"; received ${JSON.stringify(v)}.`);
  }
  return realAwsPlugin() ? "real" : "localstack";
}

/** The compiled provider entry point (dist/provider/main.js), also when this module runs from sources. */
function providerEntry(): string {
  const here = path.join(__dirname, "main.js");
  if (existsSync(here)) return here;
  const dist = path.resolve(__dirname, "..", "..", "dist", "provider", "main.js");
  if (existsSync(dist)) return dist;
  throw new Error(`the compiled provider is missing (${dist}): run \`npx tsc -b\` in the keyless repository first.`);
}

function sh(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * Makes `aws` at {@link AWS_PROVIDER_VERSION} resolvable in `pulumiHome` without a download: a launcher script running the LocalStack-backed
 * provider with this node, or a link to the real plugin. Returns the stack config the mode needs.
 */
export function installAwsProvider(
  pulumiHome: string,
  mode: AwsProviderMode = awsProviderMode(),
): Record<string, string> {
  const pluginDir = path.join(pulumiHome, "plugins", AWS_PLUGIN_DIR);
  mkdirSync(path.dirname(pluginDir), { recursive: true });
  if (mode === "real") {
    const real = realAwsPlugin();
    if (!real) {
      throw new Error(
        `KEYLESS_AWS_PROVIDER=real but no ${AWS_PLUGIN_DIR} plugin is installed; run \`pulumi plugin install resource aws ${AWS_PROVIDER_VERSION}\`.`,
      );
    }
    if (!existsSync(pluginDir)) symlinkSync(real, pluginDir, "dir");
    return realProviderConfig();
  }
  mkdirSync(pluginDir, { recursive: true });
  const launcher = path.join(pluginDir, "pulumi-resource-aws");
  writeFileSync(
    launcher,
    [
      "#!/bin/sh",
      "# Written by @keyless/testing: the LocalStack-backed aws provider.",
      `exec ${sh(process.execPath)} ${sh(providerEntry())} "$@"`,
      "",
    ].join("\n"),
  );
  chmodSync(launcher, 0o755);
  return {};
}

/** Stack config that points the real provider at the emulators. */
export function realProviderConfig(): Record<string, string> {
  const e = defaultEndpoints();
  return {
    "aws:region": process.env["AWS_REGION"] ?? "us-east-1",
    "aws:accessKey": "test",
    "aws:secretKey": "test",
    "aws:skipCredentialsValidation": "true",
    "aws:skipRequestingAccountId": "true",
    "aws:skipMetadataApiCheck": "true",
    "aws:s3UsePathStyle": "true",
    "aws:endpoints": JSON.stringify([{ ...e }]),
  };
}
