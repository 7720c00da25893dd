// Builds pebble, Let's Encrypt's ACME test server, from the Go module proxy into .tools/bin/pebble: the CA that
// certbot asks for a certificate in the route53-certbot workload test. Idempotent: a binary that reports the pinned
// version is kept. pebble's HTTPS certificate, its key and the test CA that signed them ship in the module
// (test/certs/, public test material, never to be trusted outside a test); they are copied next to the binary, into
// .tools/share/pebble, where the harness reads them.
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { buildGoCommand, downloadModule, goModText } from "./go-build.mjs";
import { binDir, capture, exists, step, toolsDir } from "./lib.mjs";

export const PEBBLE_VERSION = "2.10.3";
const MODULE = "github.com/letsencrypt/pebble/v2";

/** The version the binary reports (`-version` prints "Pebble version: 2.10.3", set at build time by -ldflags). */
function pebbleVersion(binary) {
  return capture(binary, ["-version"], { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/" } })
    ?.trim()
    .replace(/^Pebble version:\s*v?/, "");
}

/** The module's test certificates the harness serves pebble with: [source under the module, name in share/pebble]. */
const CERTS = [
  ["test/certs/pebble.minica.pem", "pebble.minica.pem"],
  ["test/certs/localhost/cert.pem", "localhost-cert.pem"],
  ["test/certs/localhost/key.pem", "localhost-key.pem"],
];

function ensurePebbleCerts() {
  const share = path.join(toolsDir, "share", "pebble");
  if (CERTS.every(([, name]) => exists(path.join(share, name)))) return;
  const { Dir } = downloadModule(MODULE, PEBBLE_VERSION);
  mkdirSync(share, { recursive: true });
  for (const [source, name] of CERTS) copyFileSync(path.join(Dir, source), path.join(share, name));
}

export async function ensurePebble() {
  const target = path.join(binDir, "pebble");
  ensurePebbleCerts();
  if (exists(target) && pebbleVersion(target) === PEBBLE_VERSION) {
    console.log(`[keyless] pebble ${PEBBLE_VERSION}: already built`);
    return target;
  }
  if (!capture("go", ["version"])) {
    throw new Error("Go is needed to build pebble from the Go module proxy, and `go` is not on PATH");
  }
  await step(`build pebble v${PEBBLE_VERSION} from the Go module proxy`, () => {
    buildGoCommand({
      name: `pebble-${PEBBLE_VERSION}`,
      pkg: `${MODULE}/cmd/pebble`,
      requires: [[MODULE, PEBBLE_VERSION]],
      replaces: [goModText(MODULE, PEBBLE_VERSION)],
      // pebble's version is "dev" unless set at link time, as its release build does.
      ldflags: `-s -w -X main.version=${PEBBLE_VERSION}`,
      output: "pebble",
    });
  });
  const built = pebbleVersion(target);
  if (built !== PEBBLE_VERSION) {
    throw new Error(`built pebble reports version ${built}, expected ${PEBBLE_VERSION}`);
  }
  return target;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensurePebble().catch((err) => {
    console.error(`[keyless] ${err.message}`);
    process.exit(1);
  });
}
