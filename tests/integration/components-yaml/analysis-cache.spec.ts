/**
 * The component package's schema analysis cache with the SDK's real analyzer: what a plugin start reads from the cache
 * is what the analyzer makes of the sources. Here, not among the unit specs: the analyzer runs TypeScript's compiler
 * over @pulumi/aws's types, and under the unit run's coverage recording that took 50 s per analysis instead of 4 s.
 */
import * as assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { componentProviderOptions } from "@keyless/aws";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import { type AnalyzerModule, cacheComponentAnalysis } from "../../../components/src/private/analysis-cache";

describe("component analysis cache with the SDK's analyzer (the plugin of `pulumi package add`)", function () {
  this.timeout(300_000);

  it("the cached schema of @keyless/aws is the schema analysed from the sources", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "keyless-analysis-"));
    const pkg = path.join(dir, "pkg");
    const cacheDir = path.join(dir, "cache");
    const sdk = require("@pulumi/pulumi/provider/experimental/analyzer") as AnalyzerModule;
    const original = sdk.Analyzer;
    const options = componentProviderOptions();
    const source = options.dirname!;
    // A copy of the package, so the key is computed over files this test controls.
    mkdirSync(pkg);
    cpSync(path.join(source, "src"), path.join(pkg, "src"), { recursive: true, force: true });
    cpSync(path.join(source, "package.json"), path.join(pkg, "package.json"));
    try {
      const fresh = await new ComponentProvider(options).getSchema();
      cacheComponentAnalysis({ packageDir: pkg, cacheDir, analyzerModule: sdk });
      const missed = await new ComponentProvider(options).getSchema();
      const hit = await new ComponentProvider(options).getSchema();
      assert.equal(missed, fresh);
      assert.equal(hit, fresh);
      assert.equal(readdirSync(cacheDir).length, 1);
    } finally {
      sdk.Analyzer = original;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
