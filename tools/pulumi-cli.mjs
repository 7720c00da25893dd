// Builds the Pulumi CLI from the Go module proxy at exactly the version of @pulumi/pulumi in
// package-lock.json, into .tools/bin. Idempotent: a binary that already reports the right
// version is kept.
import path from "node:path";
import { buildGoCommand, goModText } from "./go-build.mjs";
import { binDir, capture, exists, lockedPulumiVersion, step } from "./lib.mjs";

const PKG = "github.com/pulumi/pulumi/pkg/v3";
const SDK = "github.com/pulumi/pulumi/sdk/v3";

/** The version a `pulumi` binary reports, without the leading "v". */
export function cliVersion(binary) {
  return capture(binary, ["version"], { env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } })?.replace(/^v/, "");
}

export async function ensurePulumiCli() {
  const version = lockedPulumiVersion();
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
        `${err.message}\nThe CLI must match @pulumi/pulumi ${version} from package-lock.json; ` +
          "pick an @pulumi/pulumi version whose pkg/v3 module the proxy serves.",
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
    throw new Error(`built pulumi reports version ${built}, expected ${version} (package-lock.json @pulumi/pulumi)`);
  }
  return target;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensurePulumiCli().catch((err) => {
    console.error(`[keyless] ${err.message}`);
    process.exit(1);
  });
}
