// `npm run toolchain`: everything outside node_modules that keyless needs, cached under .tools/.
// Idempotent: a second run checks versions and builds nothing.
import { ensureNodeModules } from "./bootstrap.mjs";
import { step } from "./lib.mjs";
import { ensureLocalStackVenv } from "./localstack.mjs";
import { useSupportedNode } from "./node.mjs";
import { ensurePulumiCli } from "./pulumi-cli.mjs";

/** @param yamlHost also build pulumi-language-yaml (the YAML-program tests need it; the demo does not) */
export async function ensureToolchain({ yamlHost = true } = {}) {
  await ensureNodeModules();
  await ensurePulumiCli();
  const { ensureLaunchers } = await import("./launchers.mjs");
  await ensureLaunchers();
  if (yamlHost) await (await import("./yaml-host.mjs")).ensureYamlHost();
  await (await import("./ec2-metadata-mock.mjs")).ensureEc2MetadataMock();
  await (await import("./pebble.mjs")).ensurePebble();
  await ensureLocalStackVenv();
  await ensureWorkloadTools();
}

/** The clients the workload journeys run, pinned from PyPI: the AWS CLI and certbot with its Route 53 plugin. */
export async function ensureWorkloadTools() {
  const { ensurePythonTool } = await import("./python-tools.mjs");
  await ensurePythonTool("awscli", ["awscli==1.46.2"]);
  await ensurePythonTool("certbot", ["certbot==5.8.0", "certbot-dns-route53==5.8.0"]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  useSupportedNode()
    .then(() => step("toolchain", ensureToolchain))
    .catch((err) => {
      console.error(`[keyless] ${err.message}`);
      process.exit(1);
    });
}
