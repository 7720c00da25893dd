#!/usr/bin/env node
/** Entry point of the `pulumi-resource-aws` launcher the harness writes: serves the LocalStack-backed provider. */
import { AwsProvider } from "./provider";
import { serve } from "./server";

serve((logger) => new AwsProvider(logger), process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`keyless LocalStack aws provider failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
