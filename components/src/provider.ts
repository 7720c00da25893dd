// Component-provider entry point: `pulumi package add <path to components/>` runs this package as a plugin
// (PulumiPlugin.yaml, runtime nodejs). The Node.js language host requires the package directory, which resolves
// package.json "main" (this file); TypeScript and JavaScript consumers import the library through "exports" instead.
import { componentProviderHost } from "@pulumi/pulumi/provider/experimental";
import { componentProviderOptions } from "./component-provider";
import { cacheComponentAnalysis } from "./private/analysis-cache";

const options = componentProviderOptions();
// Each preview or up starts this plugin: the schema analysis of the sources is kept on disk between starts.
cacheComponentAnalysis({ packageDir: options.dirname ?? process.cwd() });
componentProviderHost(options).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
