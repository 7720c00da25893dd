import * as assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type AnalyzerModule, cacheComponentAnalysis } from "../../../components/src/private/analysis-cache";

/** A stand-in for the SDK's analyzer module that counts how often an analyzer is built. */
function fakeModule(result: () => unknown): AnalyzerModule & { built: number } {
  const module = {
    built: 0,
    Analyzer: class {
      constructor() {
        module.built++;
      }
      analyze(): unknown {
        return result();
      }
    } as AnalyzerModule["Analyzer"],
  };
  return module;
}

function analyze(module: AnalyzerModule): unknown {
  const Analyzer = module.Analyzer!;
  return new Analyzer().analyze();
}

describe("component analysis cache (the plugin of `pulumi package add`)", () => {
  let dir: string;
  let pkg: string;
  let cacheDir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "keyless-analysis-"));
    pkg = path.join(dir, "pkg");
    cacheDir = path.join(dir, "cache");
    mkdirSync(path.join(pkg, "src", "iam"), { recursive: true });
    writeFileSync(path.join(pkg, "package.json"), '{ "name": "pkg", "version": "1.0.0" }');
    writeFileSync(path.join(pkg, "src", "index.ts"), "export class A {}\n");
    writeFileSync(path.join(pkg, "src", "iam", "role.ts"), "export class Role {}\n");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("builds the analyzer once: later starts read the result from disk", () => {
    const result = { components: { A: { name: "A", inputs: {} } }, dependencies: [] };
    const first = fakeModule(() => result);
    cacheComponentAnalysis({ packageDir: pkg, cacheDir, analyzerModule: first });
    assert.deepEqual(analyze(first), result);
    assert.equal(first.built, 1);
    assert.equal(readdirSync(cacheDir).filter((f) => f.endsWith(".json")).length, 1);

    // a new plugin start: a fresh module, the same package
    const next = fakeModule(() => assert.fail("the cached result must be used"));
    cacheComponentAnalysis({ packageDir: pkg, cacheDir, analyzerModule: next });
    assert.deepEqual(analyze(next), result);
    assert.equal(next.built, 0);
  });

  it("analyses again when a source, package.json or a dependency's version changes", () => {
    const run = (dependencies: string[] = []) => {
      const module = fakeModule(() => ({ n: 1 }));
      cacheComponentAnalysis({ packageDir: pkg, cacheDir, analyzerModule: module, dependencies });
      analyze(module);
      return module.built;
    };
    assert.equal(run(), 1);
    assert.equal(run(), 0);
    writeFileSync(path.join(pkg, "src", "iam", "role.ts"), "export class Role { x = 1 }\n");
    assert.equal(run(), 1);
    writeFileSync(path.join(pkg, "package.json"), '{ "name": "pkg", "version": "1.0.1" }');
    assert.equal(run(), 1);
    // a dependency resolved from the package directory: its version is part of the key
    const dep = path.join(pkg, "node_modules", "dep");
    mkdirSync(dep, { recursive: true });
    writeFileSync(path.join(dep, "package.json"), '{ "name": "dep", "version": "2.0.0" }');
    assert.equal(run(["dep"]), 1);
    assert.equal(run(["dep"]), 0);
    writeFileSync(path.join(dep, "package.json"), '{ "name": "dep", "version": "2.1.0" }');
    assert.equal(run(["dep"]), 1);
  });

  it("never caches a result that JSON would change", () => {
    for (const result of [{ a: undefined }, { m: new Map([["k", 1]]) }, { d: new Date(0) }]) {
      const module = fakeModule(() => result);
      cacheComponentAnalysis({ packageDir: pkg, cacheDir, analyzerModule: module });
      assert.equal(analyze(module), result);
    }
    assert.deepEqual(readdirSync(dir).includes("cache") ? readdirSync(cacheDir) : [], []);
  });

  it("leaves a module alone whose analyzer it does not recognise", () => {
    const without: AnalyzerModule = {};
    cacheComponentAnalysis({ packageDir: pkg, cacheDir, analyzerModule: without });
    assert.equal(without.Analyzer, undefined);
    const Other = class {} as unknown as AnalyzerModule["Analyzer"];
    const other: AnalyzerModule = { Analyzer: Other };
    cacheComponentAnalysis({ packageDir: pkg, cacheDir, analyzerModule: other });
    assert.equal(other.Analyzer, Other);
  });
});
