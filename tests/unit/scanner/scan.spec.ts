import { gzipSync } from "node:zlib";
import { DEFAULT_MAX_DECODED_BYTES, DEFAULT_MAX_FINDINGS, type Finding, formatFinding, scan } from "@keyless/scanner";
import {
  accessKeyId,
  assertNoSecrets,
  check,
  credentials,
  exampleCredentials,
  plainSessionToken,
  secretAccessKey,
  upper,
} from "../../support/policy-credentials";
import { encode } from "../../support/policy-encodings";

const kinds = (fs: readonly Finding[]): string => fs.map((f) => f.kind).join(",");

describe("scan", () => {
  it("reports kind, layer, line and a four-character preview", () => {
    // GIVEN a script with a key pair on lines 2 and 3
    const c = credentials();
    const text = `#!/bin/bash\nexport AWS_ACCESS_KEY_ID=${c.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${c.secretAccessKey}\n`;
    // WHEN
    const fs = scan(text);
    // THEN
    check(kinds(fs) === "aws-access-key-id,aws-secret-access-key", `kinds: ${kinds(fs)}`);
    check(fs[0]?.line === 2 && fs[1]?.line === 3, "lines 2 and 3");
    check(
      fs.every((f) => f.layer === "raw"),
      "raw layer",
    );
    check(fs[0]?.preview === `${c.accessKeyId.slice(0, 4)}…`, "a key id's preview is its first four characters");
    check(fs[1]?.preview === "", "a secret access key has no preview: not one of its characters");
    assertNoSecrets(JSON.stringify(fs), "findings");
  });

  it("shows no character of a session token or a secret key in a preview, in any layer", () => {
    // GIVEN session tokens (with STS's prefix, and without: found through its name) next to a key pair, as written,
    // base64-encoded and gzipped; each value generated for this run
    const c = credentials(undefined, "ASIA");
    const plain = plainSessionToken();
    const text =
      `export AWS_ACCESS_KEY_ID=${c.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${c.secretAccessKey}\n` +
      `export AWS_SESSION_TOKEN=${c.sessionToken}\naws_session_token = ${plain}\n`;
    for (const [layer, input] of [
      ["raw", text],
      ["base64", Buffer.from(text).toString("base64")],
      ["base64 > gzip", gzipSync(text).toString("base64")],
    ] as const) {
      // WHEN it is scanned
      const fs = scan(input);
      const tokens = fs.filter((f) => f.kind === "aws-session-token");
      // THEN both tokens are found, and neither they nor the secret show a character: an empty preview, and none of
      // their first or last four characters in their formatted lines
      check(tokens.length === 2, `${layer}: ${tokens.length} session tokens found`);
      check(
        fs.every((f) => f.kind === "aws-access-key-id" || f.preview === ""),
        `${layer}: a session token's or a secret key's preview is empty`,
      );
      assertNoSecrets(JSON.stringify(fs), `${layer}: findings`);
      const secret = fs.filter((f) => f.kind !== "aws-access-key-id").map(formatFinding);
      check(
        secret.every((line) => !line.includes("(")),
        `${layer}: a session token's or a secret key's line shows no preview`,
      );
      for (const v of [c.sessionToken, plain, c.secretAccessKey]) {
        const shown = secret.some((line) => line.includes(v.slice(0, 4)) || line.includes(v.slice(-4)));
        check(!shown, `${layer}: a line shows a value's first or last four characters`);
      }
      check(
        fs.some((f) => f.preview === `${c.accessKeyId.slice(0, 4)}…`),
        `${layer}: the key id still shows its kind (ASIA…)`,
      );
    }
  });

  it("formats one line without the value", () => {
    const c = credentials();
    const fs = scan(gzipSync(`aws_secret_access_key = ${c.secretAccessKey}\n`).toString("base64"));
    const line = formatFinding(fs[0] as Finding);
    check(line === "AWS secret access key at base64 > gzip, line 1", line);
    assertNoSecrets(line, "formatted finding");
  });

  it("accepts bytes, including gzip bytes and UTF-16LE text", () => {
    const id = accessKeyId();
    check(kinds(scan(gzipSync(`key ${id}`))) === "aws-access-key-id", "gzip bytes");
    check(kinds(scan(new Uint8Array(Buffer.from(`key ${id}`)))) === "aws-access-key-id", "plain bytes");
    check(scan(new Uint8Array(Buffer.from(`key ${id}`, "utf16le")))[0]?.kind === "aws-access-key-id", "UTF-16LE bytes");
  });

  it("flags AKIA, ASIA, ABIA and ACCA key ids anywhere", () => {
    for (const prefix of ["AKIA", "ASIA", "ABIA", "ACCA"]) {
      check(kinds(scan(`# note ${accessKeyId(prefix)} here`)) === "aws-access-key-id", `${prefix} found`);
    }
  });

  it("flags IAM unique ids only when assigned to an access-key-id name", () => {
    for (const prefix of ["AIDA", "AROA", "AGPA", "AIPA", "ANPA", "ANVA", "APKA", "ASCA"]) {
      const id = `${prefix}${upper(16)}`;
      check(scan(`"RoleId": "${id}"`).length === 0, `${prefix} as a role id is not a key`);
      check(kinds(scan(`aws_access_key_id = ${id}`)) === "aws-access-key-id", `${prefix} in a key slot`);
      check(kinds(scan(`Set-AWSCredential -AccessKey ${id}`)) === "aws-access-key-id", `${prefix} after -AccessKey`);
    }
  });

  it("allowlists AWS's documentation example keys by default, and not when asked", () => {
    const ex = exampleCredentials();
    const text = `aws_access_key_id = ${ex.accessKeyId}\naws_secret_access_key = ${ex.secretAccessKey}\n`;
    check(scan(text).length === 0, "example keys pass by default");
    const strict = scan(text, { allowExampleKeys: false });
    check(kinds(strict) === "aws-access-key-id,aws-secret-access-key", `strict: ${kinds(strict)}`);
    assertNoSecrets(JSON.stringify(strict), "findings", [ex.accessKeyId, ex.secretAccessKey]);
  });

  it("finds a secret next to an access key id without a name (SDK constructors, CSV)", () => {
    const c = credentials();
    check(
      kinds(scan(`new BasicAWSCredentials("${c.accessKeyId}", "${c.secretAccessKey}");`)).includes("secret"),
      "same line",
    );
    check(
      kinds(scan(`creds = Credentials(\n  "${c.accessKeyId}",\n  "${c.secretAccessKey}",\n)`)).includes("secret"),
      "two lines below",
    );
    check(kinds(scan(`"${c.secretAccessKey}", "${c.accessKeyId}"`)).includes("secret"), "key id after the secret");
    check(!kinds(scan(`id ${c.accessKeyId}\n\n\n\n\nsalt ${secretAccessKey()}`)).includes("secret"), "too far away");
  });

  it("handles CRLF line endings and JSON escapes", () => {
    const c = credentials();
    const crlf = scan(`rem\r\nset AWS_SECRET_ACCESS_KEY=${c.secretAccessKey}\r\n`);
    check(crlf[0]?.line === 2 && crlf[0].kind === "aws-secret-access-key", "CRLF");
    const json = scan(`{"cmd":"echo hi\\n${c.accessKeyId}\\nexport AWS_SECRET_ACCESS_KEY=${c.secretAccessKey}"}`);
    check(kinds(json) === "aws-access-key-id,aws-secret-access-key", `escapes: ${kinds(json)}`);
  });

  it("reports nested MIME multiparts by part number", () => {
    const c = credentials();
    const inner = encode(`export AWS_ACCESS_KEY_ID=${c.accessKeyId}\n`, ["mime-base64"]).bytes.toString();
    const outer = `Content-Type: multipart/mixed; boundary=OUTER\n\n--OUTER\nContent-Type: text/plain\n\nhello\n--OUTER\n${inner}\n--OUTER--\n`;
    const fs = scan(outer);
    check(fs[0]?.layer === "MIME part 2 > MIME part 2 > base64", `layer ${fs[0]?.layer}`);
  });

  describe("limits", () => {
    it("reports a gzip bomb as an undecodable layer instead of expanding it", () => {
      const bomb = gzipSync(Buffer.alloc(DEFAULT_MAX_DECODED_BYTES + 1024));
      const fs = scan(bomb.toString("base64"));
      check(kinds(fs) === "undecodable-layer", kinds(fs));
      check(fs[0]?.layer === "base64 > gzip" && fs[0].preview === "", "layer and empty preview");
      check(/decompression bomb/.test(fs[0]?.description ?? ""), "says why");
    });

    it("reports corrupt gzip", () => {
      const gz = gzipSync("hello world, a line of text that is long enough");
      const fs = scan(gz.subarray(0, gz.length - 12));
      check(kinds(fs) === "undecodable-layer" && /corrupt/.test(fs[0]?.description ?? ""), kinds(fs));
    });

    it("reports nesting deeper than maxDepth", () => {
      let payload = `export AWS_ACCESS_KEY_ID=${accessKeyId()}`;
      for (let i = 0; i < 4; i++) payload = Buffer.from(payload).toString("base64");
      check(kinds(scan(payload, { maxDepth: 4 })) === "aws-access-key-id", "depth 4 is enough");
      const fs = scan(payload, { maxDepth: 3 });
      check(kinds(fs) === "undecodable-layer" && /maxDepth \(3\)/.test(fs[0]?.description ?? ""), kinds(fs));
    });

    it("reports a spent decoding budget once", () => {
      const blobs = Array.from({ length: 20 }, () => Buffer.from(`line ${upper(30)}`).toString("base64"));
      const fs = scan(blobs.join("\n"), { maxDecodedBytes: 100 });
      check(kinds(fs) === "undecodable-layer" && /budget/.test(fs[0]?.description ?? ""), kinds(fs));
    });

    it("stops after maxFindings and says the rest was not scanned", () => {
      // GIVEN more key ids than the default cap, then one more in a base64 layer after them
      const lines = Array.from(
        { length: DEFAULT_MAX_FINDINGS + 500 },
        () => `export AWS_ACCESS_KEY_ID=${accessKeyId()}`,
      );
      const tail = Buffer.from(`export AWS_ACCESS_KEY_ID=${accessKeyId()}`).toString("base64");
      // WHEN
      const fs = scan(`${lines.join("\n")}\n${tail}\n`);
      // THEN the cap's worth of keys, then one finding that fails closed, and nothing after it
      check(fs.length === DEFAULT_MAX_FINDINGS + 1, `${fs.length} findings`);
      check(
        fs.slice(0, -1).every((f) => f.kind === "aws-access-key-id"),
        "keys first",
      );
      const last = fs[fs.length - 1];
      check(last?.kind === "undecodable-layer" && /more than 1000 findings/.test(last.description), "truncation");
      const few = scan(lines.join("\n"), { maxFindings: 3 });
      check(kinds(few) === "aws-access-key-id,aws-access-key-id,aws-access-key-id,undecodable-layer", kinds(few));
    });

    it("reads nonsense limits as the default or the nearest sane bound, never as no limit", () => {
      const creds = credentials();
      const layered = Buffer.from(
        `aws_access_key_id = ${creds.accessKeyId}\naws_secret_access_key = ${creds.secretAccessKey}\n`,
      ).toString("base64");
      const kinds = (options: Parameters<typeof scan>[1]) => scan(layered, options).map((f) => `${f.kind}@${f.layer}`);
      // NaN and Infinity depth: the default depth, which opens the base64 layer
      for (const maxDepth of [Number.NaN, Number.POSITIVE_INFINITY]) {
        check(
          kinds({ maxDepth }).join() === "aws-access-key-id@base64,aws-secret-access-key@base64",
          `maxDepth ${maxDepth} decodes as the default does: ${kinds({ maxDepth }).join()}`,
        );
      }
      // A negative budget is 0 bytes: the layer cannot be opened, and that is reported (fail closed), not passed
      check(kinds({ maxDecodedBytes: -5 }).join() === "undecodable-layer@base64", "a negative budget fails closed");
      check(kinds({ maxDepth: -1 }).join() === "undecodable-layer@base64", "a negative depth fails closed");
    });
  });
});
