/** The Pulumi CLI the harness drives, and the guarantee that it can serve the SDK. */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import semver from "semver";

/** The version of @pulumi/pulumi this process loaded: the CLI must serve it ({@link cliServesSdk}). */
export function sdkVersion(): string {
  return (require("@pulumi/pulumi/package.json") as { version: string }).version;
}

/**
 * Whether Pulumi CLI `cli` can drive programs and the Automation API of @pulumi/pulumi `sdk`: Pulumi's own rule, the one
 * the Automation API's `PulumiCommand` enforces — the same major version, and a CLI no older than the SDK (a newer
 * engine keeps serving older SDKs; an older engine may lack what a newer SDK asks of it).
 *
 * @example
 * cliServesSdk("3.274.1", "3.270.0"); // true
 * cliServesSdk("3.260.0", "3.270.0"); // false: the CLI is older
 */
export function cliServesSdk(cli: string, sdk: string): boolean {
  const c = semver.parse(cli);
  const s = semver.parse(sdk);
  return c !== null && s !== null && c.major === s.major && semver.gte(c, s);
}

/** Thrown when no CLI is found or its version cannot serve the SDK's. */
export class PulumiCliError extends Error {
  readonly code: "PulumiCliMissing" | "PulumiCliVersionMismatch";
  constructor(code: PulumiCliError["code"], message: string) {
    super(message);
    this.code = code;
    this.name = "PulumiCliError";
  }
}

/**
 * The first executable named `name` on PATH.
 * @internal
 */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * A tool binary the toolchain builds: the file the environment variable `envVar` names, else `name` on PATH, else the
 * repository's `.tools/bin/<name>`. Returns the path, or why none was found as a sentence for the caller's error.
 * @internal
 */
export function locateToolBinary(envVar: string, name: string): { path: string } | { missing: string } {
  const named = process.env[envVar];
  if (named) {
    return existsSync(named) ? { path: named } : { missing: `${envVar} names ${named}, which does not exist` };
  }
  const found = onPath(name) ?? path.resolve(__dirname, "..", "..", ".tools", "bin", name);
  return existsSync(found)
    ? { path: found }
    : {
        missing: `no \`${name}\` on PATH or in .tools/bin. Build it with \`npm run toolchain\`, or set ${envVar} to the binary.`,
      };
}

/**
 * Finds `pulumi` on PATH and checks that it can serve the SDK ({@link cliServesSdk}). A CLI that cannot is an error,
 * not a warning: engine and SDK out of step disagree in subtle ways.
 */
export function requirePulumiCli(): { command: string; version: string } {
  const sdk = sdkVersion();
  const command = onPath("pulumi");
  if (!command) {
    throw new PulumiCliError(
      "PulumiCliMissing",
      `no \`pulumi\` on PATH. Build it with \`npm run toolchain\` (it lands in .tools/bin) or install Pulumi CLI ` +
        `v${sdk} or newer within major ${semver.major(sdk)}.`,
    );
  }
  const version = execFileSync(command, ["version"], {
    encoding: "utf8",
    env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
  })
    .trim()
    .replace(/^v/, "");
  if (!cliServesSdk(version, sdk)) {
    throw new PulumiCliError(
      "PulumiCliVersionMismatch",
      `${command} is Pulumi CLI v${version}, but @pulumi/pulumi is v${sdk}: the CLI must be of the same major ` +
        "version and no older than the SDK. Run `npm run toolchain` and put .tools/bin first on PATH, or install " +
        "a CLI that satisfies this.",
    );
  }
  return { command, version };
}
