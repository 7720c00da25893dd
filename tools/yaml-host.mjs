// Builds the Pulumi YAML language host (pulumi-language-yaml) from the Go module proxy into
// .tools/bin, for YAML programs that use keyless's component package. It is built against the
// engine packages its own go.mod names: a language host talks to the engine over gRPC only.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildGoCommand, goModText } from "./go-build.mjs";
import { binDir, exists, step } from "./lib.mjs";

/** A pulumi-yaml the Go module proxy here serves (v1.20, v1.23, v1.24 and v1.26 answer 403). */
export const PULUMI_YAML_VERSION = "1.25.0";
const MODULE = "github.com/pulumi/pulumi-yaml";

export async function ensureYamlHost() {
  const target = path.join(binDir, "pulumi-language-yaml");
  const stamp = `${target}.version`;
  if (exists(target) && exists(stamp) && readFileSync(stamp, "utf8") === PULUMI_YAML_VERSION) {
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
    });
    writeFileSync(stamp, PULUMI_YAML_VERSION);
  });
  return target;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureYamlHost().catch((err) => {
    console.error(`[keyless] ${err.message}`);
    process.exit(1);
  });
}
