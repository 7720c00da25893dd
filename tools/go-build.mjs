// Builds a Go command from the Go module proxy through a wrapper module, so that `replace`
// directives of the command's own go.mod (which `go install` refuses) can be repeated.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { binDir, capture, run, toolsDir } from "./lib.mjs";

// The checksum database does not answer for every pulumi tag the proxy serves; the proxy's
// zip hashes still land in the wrapper's go.sum.
export const goEnv = { ...process.env, GOFLAGS: "-mod=mod", CGO_ENABLED: "0", GONOSUMDB: "github.com/pulumi" };

/**
 * `go mod download -json` of module@version: where its go.mod (`GoMod`) and source (`Dir`) landed.
 * Throws with the proxy's answer when the proxy refuses the version.
 */
export function downloadModule(module, version) {
  mkdirSync(toolsDir, { recursive: true });
  const out = capture("go", ["mod", "download", "-json", `${module}@v${version}`], { env: goEnv, cwd: toolsDir });
  const info = out ? JSON.parse(out) : undefined;
  if (!info?.GoMod) {
    const err = capture("sh", ["-c", `go mod download -json ${module}@v${version} 2>&1 || true`], {
      env: goEnv,
      cwd: toolsDir,
    });
    throw new Error(`cannot download ${module}@v${version} from the Go module proxy: ${err ?? "no output"}`);
  }
  return info;
}

/** The go.mod text of module@version, from the proxy. */
export function goModText(module, version) {
  return readFileSync(downloadModule(module, version).GoMod, "utf8");
}

/** `replace` lines of a go.mod that point at other modules (a local `../sdk` cannot be repeated). */
export function externalReplaces(goMod) {
  const lines = [];
  for (const m of goMod.matchAll(/^replace\s+(\S+)\s+=>\s+(\S+)\s+(\S+)\s*$/gm)) {
    lines.push(`replace ${m[1]} => ${m[2]} ${m[3]}`);
  }
  return lines;
}

/**
 * Builds `pkg` (a main package) into .tools/bin/`output`.
 * @param requires modules and versions the wrapper requires, the command's own module first
 * @param replaces go.mod texts whose external replaces the wrapper repeats
 * @param mainSource a main.go for the wrapper module itself, built instead of `pkg` (which then only pins the
 *   module graph): for commands that need a small change, such as a missing RPC method
 */
export function buildGoCommand({ name, pkg, requires, replaces, ldflags = "-s -w", output, mainSource }) {
  const work = path.join(toolsDir, "build", name);
  mkdirSync(work, { recursive: true });
  mkdirSync(binDir, { recursive: true });
  const goLine = replaces[0]?.match(/^go\s+(\S+)/m)?.[1] ?? "1.24";
  const replaceLines = [...new Set(replaces.flatMap(externalReplaces))];
  writeFileSync(
    path.join(work, "go.mod"),
    [
      `module keyless.local/${name}`,
      "",
      `go ${goLine}`,
      "",
      `require (\n${requires.map(([m, v]) => `\t${m} v${v}`).join("\n")}\n)`,
      "",
      ...replaceLines,
      "",
    ].join("\n"),
  );
  writeFileSync(
    path.join(work, "tools.go"),
    `//go:build tools\n\npackage ${mainSource ? "main" : "tools"}\n\nimport _ "${pkg}"\n`,
  );
  if (mainSource) writeFileSync(path.join(work, "main.go"), mainSource);
  const target = path.join(binDir, output);
  run("go", ["build", "-trimpath", "-o", target, "-ldflags", ldflags, mainSource ? "." : pkg], {
    cwd: work,
    env: goEnv,
  });
  return target;
}
