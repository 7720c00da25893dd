#!/usr/bin/env node
// Committed shim, so that npm links the bin at `npm ci` time, before dist/ is built.

let cli;
try {
  cli = require("../dist/cli.js");
} catch (err) {
  if (err && err.code === "MODULE_NOT_FOUND") {
    process.stderr.write(
      "keyless-scan: @keyless/scanner is not built yet: run `npm run build` at the repository root\n",
    );
    process.exit(2);
  }
  throw err;
}
cli.run();
