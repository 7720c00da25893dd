// Builds the Pulumi CLI from the Go module proxy into .tools/bin, at PULUMI_CLI_VERSION. Idempotent: a binary that
// already reports that version is kept.
import path from "node:path";
import { buildGoCommand, goModText } from "./go-build.mjs";
import { binDir, capture, exists, lockedPulumiVersion, step } from "./lib.mjs";

/**
 * The CLI keyless builds. Pulumi's rule (the one its Automation API enforces, and the harness's `cliServesSdk`): the
 * CLI must be of the SDK's major version and no older than it. The Go module proxy here serves pkg/v3 at 3.274.1 but
 * not at 3.270.0, the newest @pulumi/pulumi that npm serves below it, so the engine is a little newer than the SDK.
 */
export const PULUMI_CLI_VERSION = "3.274.1";

const PKG = "github.com/pulumi/pulumi/pkg/v3";
const SDK = "github.com/pulumi/pulumi/sdk/v3";

/** The version a `pulumi` binary reports, without the leading "v". */
export function cliVersion(binary) {
  return capture(binary, ["version"], { env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } })?.replace(/^v/, "");
}

export async function ensurePulumiCli() {
  const version = PULUMI_CLI_VERSION;
  const sdk = lockedPulumiVersion();
  // semver comes with the workspace (ensureNodeModules ran first); the harness's cliServesSdk says the same.
  const { default: semver } = await import("semver");
  if (semver.major(version) !== semver.major(sdk) || semver.lt(version, sdk)) {
    throw new Error(
      `Pulumi CLI ${version} (tools/pulumi-cli.mjs) cannot serve @pulumi/pulumi ${sdk} from package-lock.json: ` +
        "the CLI must be of the same major version and no older. Move PULUMI_CLI_VERSION to a pkg/v3 version the Go " +
        "module proxy serves that satisfies this.",
    );
  }
  const target = path.join(binDir, "pulumi");
  if (exists(target) && cliVersion(target) === version) {
    console.log(`[keyless] pulumi ${version}: already built at .tools/bin/pulumi`);
    return target;
  }
  const onPath = capture("sh", ["-c", "command -v pulumi"]);
  if (onPath && !onPath.startsWith(binDir) && cliVersion(onPath) === version) {
    console.log(`[keyless] pulumi ${version}: using ${onPath} from PATH`);
    return onPath;
  }
  if (!capture("go", ["version"])) {
    throw new Error("Go is needed to build the Pulumi CLI from the Go module proxy, and `go` is not on PATH");
  }
  await step(`build pulumi CLI v${version} from the Go module proxy`, () => {
    let pkgMod;
    try {
      pkgMod = goModText(PKG, version);
    } catch (err) {
      throw new Error(
        `${err.message}\nPULUMI_CLI_VERSION must be a pkg/v3 version the Go module proxy serves, of the major ` +
          `version of @pulumi/pulumi ${sdk} (package-lock.json) and no older.`,
      );
    }
    buildGoCommand({
      name: `pulumi-${version}`,
      pkg: `${PKG}/cmd/pulumi`,
      requires: [
        [PKG, version],
        [SDK, version],
      ],
      replaces: [pkgMod],
      ldflags: `-s -w -X ${SDK}/go/common/version.Version=v${version}`,
      output: "pulumi",
    });
  });
  const built = cliVersion(target);
  if (built !== version) {
    throw new Error(`built pulumi reports version ${built}, expected ${version} (PULUMI_CLI_VERSION)`);
  }
  return target;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensurePulumiCli().catch((err) => {
    console.error(`[keyless] ${err.message}`);
    process.exit(1);
  });
}
