import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";

/** The module of @pulumi/pulumi's component analyzer, as far as this cache uses it. */
export interface AnalyzerModule {
  Analyzer?: new (...args: never[]) => { analyze(): unknown };
}

/** Where the cache lives, what it is keyed on, and the analyzer module whose results it keeps. */
export interface AnalysisCacheOptions {
  /** The component package directory: package.json and src/. */
  readonly packageDir: string;
  /** @default `KEYLESS_CACHE_DIR`, else `$XDG_CACHE_HOME/keyless`, else `~/.cache/keyless` */
  readonly cacheDir?: string;
  /** Packages whose versions the analysis depends on (the SDK, TypeScript, the types the components reference). */
  readonly dependencies?: readonly string[];
  /** @default `@pulumi/pulumi/provider/experimental/analyzer` */
  readonly analyzerModule?: AnalyzerModule;
}

const DEPENDENCIES = ["@pulumi/pulumi", "@pulumi/aws", "typescript"];

/**
 * Keeps the component analysis of `pulumi package add` users on disk. Pulumi's component provider type-checks the
 * package's TypeScript sources to derive the schema each time the plugin starts (4 s on a 2-core machine, of a 5.4 s start),
 * and every `pulumi preview` or `up` of a program that uses the package starts it. The result depends only on the
 * sources, package.json and the versions of the SDK, TypeScript and the referenced packages, so it is keyed by a hash of
 * those: a change to any of them analyses again. A result that does not survive JSON unchanged is never cached, and
 * a module without an `Analyzer` whose instances `analyze()` (another SDK) is left alone.
 * @internal
 */
export function cacheComponentAnalysis(options: AnalysisCacheOptions): void {
  const module = options.analyzerModule ?? sdkAnalyzerModule();
  const Analyzer = module?.Analyzer;
  if (module === undefined || typeof Analyzer !== "function" || typeof Analyzer.prototype?.analyze !== "function") {
    return;
  }
  const file = path.join(
    options.cacheDir ?? defaultCacheDir(),
    `component-analysis-${analysisKey(options.packageDir, options.dependencies ?? DEPENDENCIES)}.json`,
  );
  // The provider constructs the analyzer through the module's export each time, and building it (a TypeScript program
  // over the sources and every type they reach) is most of the cost: the stand-in builds one only on a cache miss.
  module.Analyzer = class CachedAnalyzer {
    private readonly args: never[];
    constructor(...args: never[]) {
      this.args = args;
    }
    analyze(): unknown {
      const cached = readCached(file);
      if (cached !== undefined) return cached;
      const result = new Analyzer(...this.args).analyze();
      writeCached(file, result);
      return result;
    }
  };
}

function sdkAnalyzerModule(): AnalyzerModule | undefined {
  try {
    return require("@pulumi/pulumi/provider/experimental/analyzer") as AnalyzerModule;
  } catch {
    return undefined;
  }
}

function defaultCacheDir(): string {
  const configured = process.env["KEYLESS_CACHE_DIR"];
  if (configured) return configured;
  return path.join(process.env["XDG_CACHE_HOME"] || path.join(os.homedir(), ".cache"), "keyless");
}

/** SHA-256 over package.json, every file under src/ (by relative path) and the versions of `dependencies`. */
function analysisKey(packageDir: string, dependencies: readonly string[]): string {
  const hash = createHash("sha256");
  hash.update(readFileSync(path.join(packageDir, "package.json")));
  const src = path.join(packageDir, "src");
  const files = readdirSync(src, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(src, path.join(d.parentPath, d.name)))
    .sort();
  for (const f of files) hash.update(`\0${f}\0`).update(readFileSync(path.join(src, f)));
  for (const name of dependencies) hash.update(`\0${name}@${versionOf(name, packageDir)}`);
  return hash.digest("hex").slice(0, 32);
}

function versionOf(name: string, fromDir: string): string {
  try {
    const manifest = require.resolve(`${name}/package.json`, { paths: [fromDir] });
    return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
  } catch {
    return "absent";
  }
}

function readCached(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as unknown;
  } catch {
    return undefined;
  }
}

function writeCached(file: string, result: unknown): void {
  const text = JSON.stringify(result);
  if (text === undefined || !isDeepStrictEqual(JSON.parse(text), result)) return;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    // Plugins start side by side: write a private file, then rename it into place in one step.
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, text);
    renameSync(temp, file);
  } catch {
    // A cache that cannot be written costs the next start an analysis, nothing else.
  }
}
