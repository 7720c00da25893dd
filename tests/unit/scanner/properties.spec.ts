// Property tests (fast-check). Keys are derived from a seed inside each property, so a counterexample
// shows a seed and an encoding chain, never a key.
import { DEFAULT_MAX_DEPTH, formatFinding, scan } from "@keyless/scanner";
import fc from "fast-check";
import { propertyParameters } from "../../support/fast-check";
import { assertNoSecrets, check, credentials, seededRandom } from "../../support/policy-credentials";
import { encode, type StepName, stepNames, validChain } from "../../support/policy-encodings";

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n";
const pieces = [
  "AKIA",
  "ASIA",
  "AROA",
  "aws_secret_access_key=",
  "AWS_SESSION_TOKEN=",
  "$",
  "${",
  "%",
  "$env:",
  "=",
  "\n",
  "\r\n",
  "\\n",
  "--XX\n",
  "Content-Type: multipart/mixed; boundary=XX\n\n",
  "Content-Transfer-Encoding: base64\n\n",
  "H4sI",
  "#cloud-config\n",
  "content: |\n  ",
  " ",
  "\t",
  '"',
];

const adversarial = fc
  .array(
    fc.oneof(
      fc.constantFrom(...pieces),
      fc.string({ unit: fc.constantFrom(...b64Alphabet), maxLength: 120 }),
      fc.string({ maxLength: 40 }),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(""));

describe("scan properties", () => {
  it("never throws and stays within bounds on any string", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 2000 }), adversarial), (input) => {
        const fs = scan(input);
        for (const f of fs) {
          if (f.line < 1 || f.preview.length > 5 || f.layer.split(" > ").length > DEFAULT_MAX_DEPTH * 2 + 1) {
            return false;
          }
        }
        return true;
      }),
      propertyParameters(300),
    );
  });

  it("never throws on any bytes, including truncated gzip", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.boolean(), (bytes, gzipHeader) => {
        const input = gzipHeader ? new Uint8Array([0x1f, 0x8b, 0x08, ...bytes]) : bytes;
        return Array.isArray(scan(input, { maxDecodedBytes: 1 << 16 }));
      }),
      propertyParameters(300),
    );
  });

  it("finds a key wrapped in any chain of supported encodings, at the right layer", () => {
    const chain = fc.array(fc.constantFrom<StepName>(...stepNames), { maxLength: 3 }).filter(validChain);
    fc.assert(
      fc.property(fc.integer(), chain, fc.constantFrom("AKIA", "ASIA"), (seed, steps, prefix) => {
        const c = credentials(seededRandom(seed), prefix);
        const payload = `#!/bin/bash\nexport AWS_ACCESS_KEY_ID=${c.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${c.secretAccessKey}\n`;
        const { bytes, layer } = encode(payload, steps);
        const fs = scan(bytes);
        const id = fs.find((f) => f.kind === "aws-access-key-id");
        const secret = fs.find((f) => f.kind === "aws-secret-access-key");
        check(
          id !== undefined && secret !== undefined,
          `chain [${steps.join(", ")}]: got [${fs.map(formatFinding).join("; ")}]`,
        );
        check(
          id.layer === layer && id.line === 2,
          `chain [${steps.join(", ")}]: ${id.layer} line ${id.line}, want ${layer}`,
        );
        check(secret.layer === layer && secret.line === 3, `secret layer ${secret.layer} line ${secret.line}`);
        assertNoSecrets(JSON.stringify(fs) + fs.map(formatFinding).join("\n"), "findings", [
          c.accessKeyId,
          c.secretAccessKey,
        ]);
      }),
      propertyParameters(200),
    );
  });

  it("never puts more than four characters of a value in any finding", () => {
    fc.assert(
      fc.property(fc.integer(), adversarial, (seed, noise) => {
        const c = credentials(seededRandom(seed));
        const text = `${noise}\naws_access_key_id=${c.accessKeyId}\naws_secret_access_key=${c.secretAccessKey}\naws_session_token=${c.sessionToken}\n${noise}`;
        const out = JSON.stringify(scan(text)) + scan(Buffer.from(text).toString("base64")).map(formatFinding).join("");
        for (const v of [c.accessKeyId, c.secretAccessKey, c.sessionToken]) {
          if (out.includes(v.slice(0, 5))) return false;
        }
        return true;
      }),
      propertyParameters(100),
    );
  });
});
