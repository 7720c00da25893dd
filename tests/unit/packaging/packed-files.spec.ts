/**
 * What `npm publish` would upload for each workspace, read from `npm pack --dry-run --json`: the README, LICENSE,
 * CHANGELOG and package.json, the compiled JavaScript with its declarations, the TypeScript sources every source map
 * and declaration map points at (the packages ship src/ so that maps and "go to definition" resolve), and nothing else
 * of the build: no tests, no .tsbuildinfo, no output left behind by a source that no longer exists.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { npmCommand } from "../../support/npm";

const root = path.resolve(__dirname, "..", "..", "..");

interface PackedFile {
  readonly path: string;
}
interface Packed {
  readonly name: string;
  readonly version: string;
  readonly files: readonly PackedFile[];
}
interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly main?: string;
  readonly types?: string;
  readonly bin?: Record<string, string>;
  readonly exports?: Record<string, string | Record<string, string>>;
}

const workspaces = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { workspaces: string[] })
  .workspaces;

/** The files a manifest points at (main, types, bin, exports), as paths inside the package. */
function entryPoints(m: Manifest): string[] {
  const targets = [m.main, m.types, ...Object.values(m.bin ?? {})];
  for (const e of Object.values(m.exports ?? {})) targets.push(...(typeof e === "string" ? [e] : Object.values(e)));
  return targets.filter((t): t is string => t !== undefined).map((t) => path.posix.normalize(t));
}

describe("published packages: the files npm packs", function () {
  this.timeout(60_000);
  const packed = new Map<string, Packed>();

  before(() => {
    // GIVEN every workspace packed as `npm publish` would, without writing a tarball
    const [cmd, pre] = npmCommand();
    const out = execFileSync(cmd, [...pre, "pack", "--dry-run", "--json", "--workspaces", "--ignore-scripts"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const p of JSON.parse(out) as Packed[]) packed.set(p.name, p);
  });

  for (const ws of workspaces) {
    const dir = path.join(root, ws);
    const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as Manifest;

    describe(`${manifest.name} (${ws}/)`, () => {
      const files = () => {
        const p = packed.get(manifest.name);
        assert.ok(p, `npm pack did not pack ${manifest.name}`);
        return new Set(p.files.map((f) => f.path));
      };

      it("holds its README, LICENSE (the repository's Apache-2.0), CHANGELOG and package.json", () => {
        const have = files();
        for (const f of ["package.json", "README.md", "LICENSE", "CHANGELOG.md"]) assert.ok(have.has(f), f);
        assert.equal(
          readFileSync(path.join(dir, "LICENSE"), "utf8"),
          readFileSync(path.join(root, "LICENSE"), "utf8"),
          `${ws}/LICENSE must be a copy of the root LICENSE`,
        );
        const changelog = readFileSync(path.join(dir, "CHANGELOG.md"), "utf8");
        assert.match(changelog, new RegExp(`^## \\[${manifest.version.replaceAll(".", "\\.")}\\]`, "m"));
      });

      it("holds every file its package.json points at (main, types, exports, bin)", () => {
        const have = files();
        const missing = entryPoints(manifest).filter((f) => !have.has(f));
        assert.deepEqual(missing, [], `run \`npx tsc -b\` first, or fix package.json "files"`);
      });

      it("holds a declaration beside every compiled module", () => {
        const have = [...files()];
        const js = have.filter((f) => f.startsWith("dist/") && f.endsWith(".js"));
        assert.ok(js.length > 0, "no dist/*.js packed");
        assert.deepEqual(
          js.filter((f) => !have.includes(f.replace(/\.js$/, ".d.ts"))),
          [],
        );
      });

      it("holds no tests and no build state", () => {
        const unwanted = [...files()].filter(
          (f) =>
            /(^|\/)(tests?|__tests__|fixtures)\//.test(f) ||
            /\.(spec|test)\.[cm]?[jt]s$/.test(f) ||
            f.endsWith(".tsbuildinfo") ||
            /(^|\/)tsconfig\.tsbuildinfo$/.test(f),
        );
        assert.deepEqual(unwanted, []);
      });

      it("holds the source of every map it ships, and no output without a source", () => {
        const have = files();
        const orphans: string[] = [];
        for (const f of have) {
          if (f.startsWith("dist/") && /\.(js|d\.ts)$/.test(f) && !have.has(`${f}.map`)) {
            orphans.push(`${f}: no ${path.posix.basename(f)}.map`);
          }
          if (!f.endsWith(".map")) continue;
          const map = JSON.parse(readFileSync(path.join(dir, f), "utf8")) as {
            sources: string[];
            sourcesContent?: (string | null)[];
          };
          map.sources.forEach((s, i) => {
            if (typeof map.sourcesContent?.[i] === "string") return; // embedded: nothing to ship
            const source = path.posix.normalize(path.posix.join(path.posix.dirname(f), s));
            if (!have.has(source)) orphans.push(`${f} -> ${source}`);
          });
        }
        // An output whose source was deleted or renamed stays in dist/ until dist/ is cleaned; it must not ship.
        assert.deepEqual(orphans, [], `stale build output: \`rm -rf ${ws}/dist && npx tsc -b\` before packing`);
      });
    });
  }
});
