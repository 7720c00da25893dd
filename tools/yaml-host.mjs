// Builds the Pulumi YAML language host (pulumi-language-yaml) from the Go module proxy into
// .tools/bin, for YAML programs that use keyless's component package. It is built against the
// engine packages its own go.mod names: a language host talks to the engine over gRPC only.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildGoCommand, downloadModule, goModText } from "./go-build.mjs";
import { binDir, exists, step } from "./lib.mjs";

/** A pulumi-yaml the Go module proxy here serves (v1.20, v1.23, v1.24 and v1.26 answer 403). */
export const PULUMI_YAML_VERSION = "1.25.0";
const MODULE = "github.com/pulumi/pulumi-yaml";
/** What the stamp records: the version plus the Link patch below, so that older builds are rebuilt. */
const BUILD_ID = `${PULUMI_YAML_VERSION}+link`;

/**
 * The upstream main.go with the host wrapped in one that implements Link. pulumi-yaml 1.25.0 leaves Link
 * unimplemented, and `pulumi package add` (CLI 3.248) calls it after generating the SDK, failing with
 * "linking package: method Link not implemented". A YAML program needs nothing linked (the CLI writes the package
 * into Pulumi.yaml itself), so the added Link does nothing.
 */
function linkingMain() {
  const { Dir } = downloadModule(MODULE, PULUMI_YAML_VERSION);
  const upstream = readFileSync(path.join(Dir, "cmd", "pulumi-language-yaml", "main.go"), "utf8");
  const anchor = "pulumirpc.RegisterLanguageRuntimeServer(srv, host)";
  if (!upstream.includes(anchor))
    throw new Error(`pulumi-yaml ${PULUMI_YAML_VERSION} main.go: \`${anchor}\` not found`);
  return `${upstream.replace(anchor, "pulumirpc.RegisterLanguageRuntimeServer(srv, linkingHost{host})")}
// linkingHost adds Link (keyless): a YAML program needs no SDK linked, so there is nothing to do.
type linkingHost struct {
\tpulumirpc.LanguageRuntimeServer
}

func (linkingHost) Link(context.Context, *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
\treturn &pulumirpc.LinkResponse{}, nil
}
`;
}

export async function ensureYamlHost() {
  const target = path.join(binDir, "pulumi-language-yaml");
  const stamp = `${target}.version`;
  if (exists(target) && exists(stamp) && readFileSync(stamp, "utf8") === BUILD_ID) {
    console.log(`[keyless] pulumi-language-yaml ${PULUMI_YAML_VERSION}: already built`);
    return target;
  }
  await step(`build pulumi-language-yaml v${PULUMI_YAML_VERSION} from the Go module proxy`, () => {
    const yamlMod = goModText(MODULE, PULUMI_YAML_VERSION);
    const pkgVersion = yamlMod.match(/github\.com\/pulumi\/pulumi\/pkg\/v3 v(\S+)/)?.[1];
    const pkgMod = pkgVersion ? goModText("github.com/pulumi/pulumi/pkg/v3", pkgVersion) : "";
    buildGoCommand({
      name: `pulumi-language-yaml-${PULUMI_YAML_VERSION}`,
      pkg: `${MODULE}/cmd/pulumi-language-yaml`,
      requires: [[MODULE, PULUMI_YAML_VERSION]],
      replaces: [yamlMod, pkgMod],
      output: "pulumi-language-yaml",
      mainSource: linkingMain(),
    });
    writeFileSync(stamp, BUILD_ID);
  });
  return target;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureYamlHost().catch((err) => {
    console.error(`[keyless] ${err.message}`);
    process.exit(1);
  });
}
