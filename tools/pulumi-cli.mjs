// Builds the Pulumi CLI from the Go module proxy at exactly the version of
// @pulumi/pulumi in package-lock.json, into .tools/bin. Idempotent: a binary
// that already reports the right version is kept.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { binDir, capture, exists, lockedPulumiVersion, root, run, step, toolsDir } from "./lib.mjs";

const PKG = "github.com/pulumi/pulumi/pkg/v3";
const SDK = "github.com/pulumi/pulumi/sdk/v3";

/** The version a `pulumi` binary reports, without the leading "v". */
export function cliVersion(binary) {
  return capture(binary, ["version"], { env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } })?.replace(/^v/, "");
}

/** Replace directives of pkg's go.mod that point at other modules (not at ../sdk). */
function externalReplaces(goModText) {
  const lines = [];
  for (const m of goModText.matchAll(/^replace\s+(\S+)\s+=>\s+(\S+)\s+(\S+)\s*$/gm)) {
    lines.push(`replace ${m[1]} => ${m[2]} ${m[3]}`);
  }
  return lines;
}

function goModPath(module, version, env) {
  const out = capture("go", ["mod", "download", "-json", `${module}@v${version}`], { env, cwd: toolsDir });
  const info = out ? JSON.parse(out) : undefined;
  if (!info?.GoMod) {
    const err = capture("sh", ["-c", `go mod download -json ${module}@v${version} 2>&1 || true`], {
      env,
      cwd: toolsDir,
    });
    throw new Error(
      `cannot download ${module}@v${version} from the Go module proxy (${err ?? "no output"}).\n` +
        `The CLI must match @pulumi/pulumi ${version} from package-lock.json; pick an @pulumi/pulumi version whose pkg/v3 module the proxy serves.`,
    );
  }
  return info.GoMod;
}

export async function ensurePulumiCli() {
  const version = lockedPulumiVersion();
  const target = path.join(binDir, "pulumi");
  if (exists(target) && cliVersion(target) === version) {
    console.log(`[keyless] pulumi ${version}: already built at ${path.relative(root, target)}`);
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
    const work = path.join(toolsDir, "build", `pulumi-${version}`);
    mkdirSync(work, { recursive: true });
    mkdirSync(binDir, { recursive: true });
    // The checksum database does not answer for every pulumi tag the proxy serves; the
    // proxy's zip hashes still land in go.sum.
    const env = { ...process.env, GOFLAGS: "-mod=mod", CGO_ENABLED: "0", GONOSUMDB: "github.com/pulumi/pulumi" };
    const pkgMod = readFileSync(goModPath(PKG, version, env), "utf8");
    const goLine = pkgMod.match(/^go\s+(\S+)/m)?.[1] ?? "1.22";
    writeFileSync(
      path.join(work, "go.mod"),
      [
        "module keyless.local/pulumi-cli",
        "",
        `go ${goLine}`,
        "",
        `require (\n\t${PKG} v${version}\n\t${SDK} v${version}\n)`,
        "",
        ...externalReplaces(pkgMod),
        "",
      ].join("\n"),
    );
    writeFileSync(path.join(work, "tools.go"), `//go:build tools\n\npackage tools\n\nimport _ "${PKG}/cmd/pulumi"\n`);
    run(
      "go",
      [
        "build",
        "-trimpath",
        "-o",
        target,
        "-ldflags",
        `-s -w -X ${SDK}/go/common/version.Version=v${version}`,
        `${PKG}/cmd/pulumi`,
      ],
      { cwd: work, env },
    );
    chmodSync(target, 0o755);
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
