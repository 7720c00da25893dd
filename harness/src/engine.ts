/** The Pulumi CLI the harness drives, and the guarantee that it matches the SDK. */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

/** The version of @pulumi/pulumi this process loaded: the CLI must be exactly this. */
export function sdkVersion(): string {
  return (require("@pulumi/pulumi/package.json") as { version: string }).version;
}

/** Thrown when no CLI is found or its version differs from the SDK's. */
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
 * Finds `pulumi` on PATH and checks that it reports exactly the SDK's version. A mismatch is
 * an error, not a warning: engine and SDK of different versions disagree in subtle ways.
 */
export function requirePulumiCli(): { command: string; version: string } {
  const expected = sdkVersion();
  const command = onPath("pulumi");
  if (!command) {
    throw new PulumiCliError(
      "PulumiCliMissing",
      `no \`pulumi\` on PATH. Build it with \`npm run toolchain\` (it lands in .tools/bin) or install Pulumi CLI v${expected}.`,
    );
  }
  const version = execFileSync(command, ["version"], {
    encoding: "utf8",
    env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
  })
    .trim()
    .replace(/^v/, "");
  if (version !== expected) {
    throw new PulumiCliError(
      "PulumiCliVersionMismatch",
      `${command} is Pulumi CLI v${version}, but @pulumi/pulumi is v${expected}; they must match exactly. ` +
        "Run `npm run toolchain` and put .tools/bin first on PATH, or install the matching CLI.",
    );
  }
  return { command, version };
}
