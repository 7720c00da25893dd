"use strict";
// Runtime of the shell launchers written by tools/launchers.mjs:
//
//   node launch.cjs policy   <engine-address> <pack dir> [-opt=value...]   (pulumi-analyzer-policy[-nodejs])
//   node launch.cjs dynamic  <engine-address>                              (pulumi-resource-pulumi-nodejs)
//
// Like the official shell scripts, it runs @pulumi/pulumi/cmd/run-policy-pack or
// @pulumi/pulumi/cmd/dynamic-provider with node; the module comes from the working directory the
// engine gives (the policy pack's directory / the program's directory) and, failing that, from the
// repository's node_modules. The module runs in this process: no extra node between engine and plugin.
// Neither module notices when the engine is gone, so this process watches it (engine-watch.cjs) and exits.

const path = require("node:path");
const { watchEngine } = require("./engine-watch.cjs");
const { ModuleNotFound, resolveFrom, useRepoNodePath } = require("./resolve.cjs");

const modules = {
  policy: "@pulumi/pulumi/cmd/run-policy-pack",
  dynamic: "@pulumi/pulumi/cmd/dynamic-provider",
};

function main() {
  const [mode, ...args] = process.argv.slice(2);
  const request = modules[mode];
  if (!request) {
    console.error(`launch.cjs: unknown mode '${mode}' (expected one of: ${Object.keys(modules).join(", ")})`);
    process.exit(2);
  }
  let resolved;
  try {
    resolved = resolveFrom(request, process.cwd());
  } catch (err) {
    if (err instanceof ModuleNotFound) {
      // The engine shows a plugin's stderr; for policy packs it recognises this exact phrase.
      console.error(`${err.message}\n(Error: Cannot find module '${request}')`);
      process.exit(1);
    }
    throw err;
  }
  if (resolved.fromRepo) useRepoNodePath();
  // Both modes take the engine's address first; the grpc module is the one the plugin itself loads.
  const address = /^[^-].*:\d+$/.test(args[0] ?? "") ? args[0] : "";
  const grpc = require(require.resolve("@grpc/grpc-js", { paths: [path.dirname(resolved.path)] }));
  watchEngine({
    grpc,
    address,
    watchStdin: true,
    onGone: (reason) => {
      console.error(`launch.cjs ${mode}: ${reason}; exiting`);
      process.exit(1);
    },
  });
  process.argv = [process.argv[0], resolved.path, ...args];
  require(resolved.path);
}

main();
