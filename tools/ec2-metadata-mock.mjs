// Builds AWS's amazon-ec2-metadata-mock from the Go module proxy into .tools/bin/ec2-metadata-mock: the
// instance metadata service (IMDSv1/v2) that the harness serves a role's credentials through, so the AWS SDK's
// default chain can be proven end to end. Idempotent: a binary that reports the pinned version is kept.
import path from "node:path";
import { buildGoCommand, goModText } from "./go-build.mjs";
import { binDir, capture, exists, step } from "./lib.mjs";

export const EC2_METADATA_MOCK_VERSION = "1.13.0";
const MODULE = "github.com/aws/amazon-ec2-metadata-mock";

/** The version the binary reports (`--version` prints the embedded version.txt, "v1.13.0"), without the "v". */
function mockVersion(binary) {
  return capture(binary, ["--version"], { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/" } })
    ?.trim()
    .replace(/^v/, "");
}

export async function ensureEc2MetadataMock() {
  const target = path.join(binDir, "ec2-metadata-mock");
  if (exists(target) && mockVersion(target) === EC2_METADATA_MOCK_VERSION) {
    console.log(`[keyless] ec2-metadata-mock ${EC2_METADATA_MOCK_VERSION}: already built`);
    return target;
  }
  if (!capture("go", ["version"])) {
    throw new Error("Go is needed to build amazon-ec2-metadata-mock from the Go module proxy, and `go` is not on PATH");
  }
  await step(`build ec2-metadata-mock v${EC2_METADATA_MOCK_VERSION} from the Go module proxy`, () => {
    buildGoCommand({
      name: `ec2-metadata-mock-${EC2_METADATA_MOCK_VERSION}`,
      pkg: `${MODULE}/cmd/ec2-metadata-mock`,
      requires: [[MODULE, EC2_METADATA_MOCK_VERSION]],
      replaces: [goModText(MODULE, EC2_METADATA_MOCK_VERSION)],
      output: "ec2-metadata-mock",
    });
  });
  const built = mockVersion(target);
  if (built !== EC2_METADATA_MOCK_VERSION) {
    throw new Error(`built ec2-metadata-mock reports version ${built}, expected ${EC2_METADATA_MOCK_VERSION}`);
  }
  return target;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureEc2MetadataMock().catch((err) => {
    console.error(`[keyless] ${err.message}`);
    process.exit(1);
  });
}
