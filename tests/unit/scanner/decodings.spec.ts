// Hex, percent-encoding, name/value pairs and compressed layers (issue 11 item 1, issue 13 item 3).
// Keys are generated at run time; failure messages go through `check`, which redacts them.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { type Finding, formatFinding, scan } from "@keyless/scanner";
import fc from "fast-check";
import { propertyParameters } from "../../support/fast-check";
import {
  assertNoSecrets,
  base64Chars,
  check,
  credentials,
  seededRandom,
  upper,
} from "../../support/policy-credentials";
import { encode, type StepName } from "../../support/policy-encodings";

const kinds = (fs: readonly Finding[]): string => fs.map((f) => f.kind).join(",");
const show = (fs: readonly Finding[]): string => fs.map(formatFinding).join("; ");
const script = (c: ReturnType<typeof credentials>): string =>
  `#!/bin/bash\nexport AWS_ACCESS_KEY_ID=${c.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${c.secretAccessKey}\n`;

/** A 40-character mixed-case value that is not a key, next to a name that is not AWS's. */
const mixed40 = (): string => {
  for (;;) {
    const v = base64Chars(40);
    if (/[a-z]/.test(v) && /[A-Z]/.test(v)) return v;
  }
};

describe("decodings", () => {
  describe("each new encoding, alone and under base64 or gzip", () => {
    const chains: StepName[][] = [
      ["hex"],
      ["xxd-heredoc"],
      ["percent"],
      ["zlib", "base64"],
      ["powershell-deflate"],
      ["brotli-pipe"],
      ["gzip", "hex"],
      ["zlib", "xxd-heredoc"],
      ["hex", "base64"],
      ["percent", "cloud-config-b64"],
      ["zlib", "mime-base64"],
    ];
    for (const chain of chains) {
      it(`finds both keys through [${chain.join(", ")}] at the right layer and line`, () => {
        const c = credentials();
        const { bytes, layer } = encode(script(c), chain);
        const fs = scan(bytes);
        check(kinds(fs) === "aws-access-key-id,aws-secret-access-key", `got [${show(fs)}]`);
        check(
          fs.every((f) => f.layer === layer),
          `layers ${fs.map((f) => f.layer).join("; ")}, want ${layer}`,
        );
        check(fs[0]?.line === 2 && fs[1]?.line === 3, "lines 2 and 3");
        assertNoSecrets(JSON.stringify(fs) + show(fs), "findings");
      });
    }
  });

  describe("hex", () => {
    it("decodes upper-case hex piped to xxd -r -p", () => {
      const c = credentials();
      const hex = Buffer.from(`aws_secret_access_key=${c.secretAccessKey}`).toString("hex").toUpperCase();
      const fs = scan(`#!/bin/sh\necho ${hex} | xxd -r -p >> ~/.aws/credentials\n`);
      check(kinds(fs) === "aws-secret-access-key" && fs[0]?.layer === "hex (line 2)", show(fs));
    });

    it("leaves git SHAs, SHA-256 digests and hex salts alone", () => {
      const hex = (n: number): string => randomBytes(n).toString("hex");
      const text = `commit ${hex(20)}\nsha256:${hex(32)}\nsalt=${hex(64)}\n${hex(30)}\n${hex(30)}\n`;
      check(scan(text).length === 0, show(scan(text)));
    });
  });

  describe("percent-encoding", () => {
    it("finds a secret whose name and value are URL-encoded in a query string", () => {
      const c = credentials();
      const url = `https://deploy.example.com/hook?cfg=${encodeURIComponent(`aws_secret_access_key=${c.secretAccessKey}`)}&x=1`;
      const fs = scan(`#!/bin/sh\ncurl -s "${url}"\n`);
      check(kinds(fs) === "aws-secret-access-key" && fs[0]?.layer === "percent-encoding (line 2)", show(fs));
    });

    it("reports a key id that is literal in a URL once, in the raw layer", () => {
      const c = credentials();
      // Not a credential scope (that is the public half of a signed request, see precision.spec.ts): a key in a hook's query.
      const url = `https://hooks.example.com/deploy?key=${c.accessKeyId}%2Fprod%2Fapp&sig=${"ab".repeat(32)}`;
      const fs = scan(`curl "${url}"\n`);
      check(kinds(fs) === "aws-access-key-id" && fs[0]?.layer === "raw", show(fs));
    });

    it("leaves ordinary URLs and percentages alone", () => {
      const text = "curl 'https://example.com/search?q=a%20b%2Fc&page=2'\necho 50%ABC done 100%\n";
      check(scan(text).length === 0, show(scan(text)));
    });
  });

  describe("name/value pairs", () => {
    it("judges an ECS environment entry by its name field", () => {
      const c = credentials();
      const taskDef = JSON.stringify({
        containerDefinitions: [
          {
            name: "app",
            environment: [
              { name: "LOG_LEVEL", value: "info" },
              { name: "AWS_SECRET_ACCESS_KEY", value: c.secretAccessKey },
              { value: c.sessionToken.slice(16), name: "AWS_SESSION_TOKEN" },
              { name: "AWS_ACCESS_KEY_ID", value: `AIDA${upper(16)}` },
            ],
          },
        ],
      });
      const fs = scan(taskDef);
      check(kinds(fs) === "aws-secret-access-key,aws-session-token,aws-access-key-id", show(fs));
      check(/labelled AWS_SECRET_ACCESS_KEY/.test(fs[0]?.description ?? ""), fs[0]?.description ?? "");
      assertNoSecrets(JSON.stringify(fs), "findings");
    });

    it("judges Kubernetes/compose YAML name/value list items and CloudFormation parameters", () => {
      const c = credentials();
      const yaml = `env:\n  - name: REGION\n    value: eu-west-1\n  - name: AWS_SECRET_ACCESS_KEY\n    value: "${c.secretAccessKey}"\n`;
      check(kinds(scan(yaml)) === "aws-secret-access-key" && scan(yaml)[0]?.line === 5, show(scan(yaml)));
      const cfn = `[{"ParameterKey": "AwsSecretAccessKey", "ParameterValue": "${c.secretAccessKey}"}]`;
      check(kinds(scan(cfn)) === "aws-secret-access-key", show(scan(cfn)));
      const beanstalk = `OptionSettings:\n  - Namespace: aws:elasticbeanstalk:application:environment\n    OptionName: AWS_SECRET_ACCESS_KEY\n    Value: ${c.secretAccessKey}\n`;
      check(kinds(scan(beanstalk)) === "aws-secret-access-key", show(scan(beanstalk)));
    });

    it("does not take a label from a neighbouring object or list item", () => {
      const json = `[{"name":"AWS_SECRET_ACCESS_KEY","value":"$SECRET"},{"name":"SIGNING_SALT","value":"${mixed40()}"}]`;
      check(scan(json).length === 0, show(scan(json)));
      const yaml = `- name: AWS_SECRET_ACCESS_KEY\n  valueFrom: arn:aws:ssm:eu-west-1:111122223333:parameter/k\n- name: SIGNING_SALT\n  value: ${mixed40()}\n`;
      check(scan(yaml).length === 0, show(scan(yaml)));
      const tags = `{"Key": "Team", "Value": "${mixed40()}"}`;
      check(scan(tags).length === 0, show(scan(tags)));
    });
  });

  describe("compressed layers", () => {
    it("opens zlib by its header, at any compression level", () => {
      const c = credentials();
      for (const level of [1, 6, 9]) {
        const fs = scan(deflateSync(script(c), { level }).toString("base64"));
        check(kinds(fs) === "aws-access-key-id,aws-secret-access-key", `level ${level}: ${show(fs)}`);
        check(fs[0]?.layer === "base64 > zlib", `level ${level}: ${fs[0]?.layer}`);
      }
    });

    it("reads what a truncated zlib stream holds", () => {
      const c = credentials();
      const z = deflateSync(`${script(c)}${"# padding line\n".repeat(200)}`);
      const fs = scan(z.subarray(0, z.length - 20));
      check(kinds(fs) === "aws-access-key-id,aws-secret-access-key", show(fs));
    });

    it("opens raw deflate and brotli where the script names the decompressor", () => {
      const c = credentials();
      const py = `python3 -c "import zlib,base64,sys; sys.stdout.write(zlib.decompress(base64.b64decode('${deflateRawSync(script(c)).toString("base64")}'), -15).decode())"\n`;
      const fs = scan(py);
      check(
        kinds(fs) === "aws-access-key-id,aws-secret-access-key" && fs[0]?.layer === "base64 (line 1) > deflate",
        show(fs),
      );
      const node = `node -e "process.stdout.write(require('zlib').brotliDecompressSync(Buffer.from('${brotliCompressSync(script(c)).toString("base64")}','base64')))"`;
      check(scan(node)[0]?.layer === "base64 (line 1) > brotli", show(scan(node)));
    });

    it("reports binary that a named decompressor cannot open, and leaves binary alone where none is named", () => {
      const blob = randomBytes(600).toString("base64");
      const named = scan(`echo ${blob} | base64 -d | brotli -d > /opt/app.bin\n`);
      check(kinds(named) === "undecodable-layer" && /brotli/.test(named[0]?.description ?? ""), show(named));
      const plain = scan(`echo ${blob} | base64 -d > /opt/app.bin\nyum install -y zlib-devel brotli\n`);
      check(plain.length === 0, show(plain));
      // A path is a base64-alphabet run too: near a named decompressor it is not taken for a stream.
      const path = scan("cat /usr/local/share/keyless/templates/app.conf.br | brotli -d > /etc/app.conf\n");
      check(path.length === 0, show(path));
    });

    it("reports xz and lz4 by their magic bytes: evidently compressed, not opened, so not passed", () => {
      const tail = randomBytes(64);
      const magic: Record<string, number[]> = {
        xz: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
        lz4: [0x04, 0x22, 0x4d, 0x18],
      };
      for (const [format, head] of Object.entries(magic)) {
        const bytes = Buffer.concat([Buffer.from(head), tail]);
        for (const input of [
          bytes,
          bytes.toString("base64"),
          `echo ${bytes.toString("base64")} | base64 -d | ${format} -d\n`,
        ]) {
          const fs = scan(input);
          check(kinds(fs) === "undecodable-layer", `${format}: ${show(fs)}`);
          check(
            fs[0]?.layer.endsWith(format) === true && /cannot be opened/.test(fs[0].description),
            `${format}: ${show(fs)}`,
          );
        }
      }
    });

    /** The payload compressed by a command-line tool, as a shell one-liner would (undefined when it is not installed). */
    const viaTool = (tool: string, payload: string): Buffer | undefined => {
      const res = spawnSync(tool, ["-c"], { input: payload, maxBuffer: 1 << 26 });
      return res.status === 0 ? res.stdout : undefined;
    };

    it("opens bzip2 (seek-bzip) and zstd (Node.js's, else fzstd), as `bzip2 -c` and `zstd -c` write them", function () {
      const c = credentials();
      let ran = 0;
      for (const tool of ["bzip2", "zstd"]) {
        const packed = viaTool(tool, script(c));
        if (packed === undefined) continue;
        ran++;
        const fs = scan(`#!/bin/bash\necho ${packed.toString("base64")} | base64 -d | ${tool} -d | bash\n`);
        check(kinds(fs) === "aws-access-key-id,aws-secret-access-key", `${tool}: ${show(fs)}`);
        check(fs[0]?.layer === `base64 (line 2) > ${tool}` && fs[0].line === 2, `${tool}: ${fs[0]?.layer}`);
      }
      if (ran === 0) this.skip(); // neither tool installed: the hand-built frame below still runs
    });

    it("opens a zstd frame built by hand (raw and RLE blocks), and corrupt bzip2 is a finding", () => {
      const c = credentials();
      const payload = Buffer.from(script(c));
      // Single-segment frame, a raw block then a last RLE block of 3 newlines. The content size field is 1 byte
      // below 256, else 2 bytes holding size - 256 (RFC 8878 3.1.1.1.4); libzstd checks it, fzstd does not.
      const size = payload.length + 3;
      check(size < 65536 + 256, "the hand-built frame holds at most 65791 bytes");
      const header = Buffer.from(
        size < 256
          ? [0x28, 0xb5, 0x2f, 0xfd, 0x20, size]
          : [0x28, 0xb5, 0x2f, 0xfd, 0x60, (size - 256) & 0xff, ((size - 256) >> 8) & 0xff],
      );
      const raw = payload.length << 3;
      const rawBlock = Buffer.from([raw & 0xff, (raw >> 8) & 0xff, (raw >> 16) & 0xff]);
      const rle = (3 << 3) | (1 << 1) | 1;
      const frame = Buffer.concat([header, rawBlock, payload, Buffer.from([rle & 0xff, 0, 0, 0x0a])]);
      const fs = scan(frame.toString("base64"));
      check(kinds(fs) === "aws-access-key-id,aws-secret-access-key" && fs[0]?.layer === "base64 > zstd", show(fs));
      const bz = Buffer.concat([
        Buffer.from([0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59]),
        randomBytes(64),
      ]);
      const bad = scan(bz.toString("base64"));
      check(kinds(bad) === "undecodable-layer" && /bzip2 data is corrupt/.test(bad[0]?.description ?? ""), show(bad));
    });

    it("reports a zstd frame that declares more than the budget without allocating it, and a bzip2 bomb", () => {
      // Window descriptor 0xf8: 2^41 bytes; content size unknown.
      const frame = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8]), Buffer.from([0x01, 0x00, 0x00])]);
      const fs = scan(Buffer.concat([frame, Buffer.alloc(24)]).toString("base64"));
      check(kinds(fs) === "undecodable-layer" && /zstd data expands beyond/.test(fs[0]?.description ?? ""), show(fs));
      const zeros = viaTool("bzip2", "\0".repeat(4 * 1024 * 1024));
      if (zeros !== undefined) {
        const bomb = scan(zeros.toString("base64"), { maxDecodedBytes: 1024 * 1024 });
        check(
          kinds(bomb) === "undecodable-layer" && /bzip2 data expands beyond/.test(bomb[0]?.description ?? ""),
          show(bomb),
        );
      }
    });

    it("reports a zlib bomb and a brotli bomb instead of expanding them", () => {
      const zero = Buffer.alloc(4 * 1024 * 1024);
      const z = scan(deflateSync(zero).toString("base64"), { maxDecodedBytes: 1024 * 1024 });
      check(kinds(z) === "undecodable-layer" && /decompression bomb/.test(z[0]?.description ?? ""), show(z));
      // A random block repeated: the stream is long enough to be a base64 run, and expands 2,000-fold.
      const block = Buffer.from(randomBytes(2048).toString("base64"));
      const big = Buffer.concat(Array.from({ length: 2048 }, () => block));
      const br = scan(`echo ${brotliCompressSync(big).toString("base64")} | base64 -d | brotli -d\n`, {
        maxDecodedBytes: 1024 * 1024,
      });
      check(kinds(br) === "undecodable-layer" && /decompression bomb/.test(br[0]?.description ?? ""), show(br));
    });
  });

  describe("binary blobs stay negatives", () => {
    it("random bytes, alone, base64-encoded in a script, or hex-encoded, give no finding", () => {
      fc.assert(
        fc.property(fc.integer(), fc.integer({ min: 1, max: 3000 }), (seed, size) => {
          const random = seededRandom(seed);
          const bytes = Buffer.from(Array.from({ length: size }, () => Math.floor(random(256))));
          const inputs = [bytes, `echo ${bytes.toString("base64")} | base64 -d > /opt/blob\n`, bytes.toString("hex")];
          return inputs.every((input) => scan(input).length === 0);
        }),
        propertyParameters(200),
      );
    });

    it("binary with a zlib header that does not inflate is binary, not a finding", () => {
      for (const second of [0x01, 0x5e, 0x9c, 0xda]) {
        const bytes = Buffer.concat([Buffer.from([0x78, second]), randomBytes(2000)]);
        check(scan(bytes).length === 0 && scan(bytes.toString("base64")).length === 0, `78 ${second.toString(16)}`);
      }
    });

    it("images, certificates and gzip of binary give no finding", () => {
      const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(4000)]);
      const der = Buffer.concat([Buffer.from([0x30, 0x82, 0x03, 0x5a]), randomBytes(854)]);
      const pem = `-----BEGIN CERTIFICATE-----\n${der
        .toString("base64")
        .replace(/(.{64})/g, "$1\n")}\n-----END CERTIFICATE-----\n`;
      for (const input of [
        png,
        png.toString("base64"),
        pem,
        gzipSync(randomBytes(5000)),
        gzipSync(randomBytes(5000)).toString("base64"),
      ]) {
        check(scan(input).length === 0, show(scan(input)));
      }
    });
  });

  describe("fingerprints", () => {
    it("are keyed hashes of kind and value: same value, same fingerprint; other key, other fingerprint; never the value", () => {
      const c = credentials();
      const a = scan(`export AWS_ACCESS_KEY_ID=${c.accessKeyId}\n`);
      const b = scan(`# moved\n\nid: ${c.accessKeyId}\n`);
      const other = scan(`id: ${c.accessKeyId}\n`, { fingerprintKey: "another key" });
      check(/^[0-9a-f]{32}$/.test(a[0]?.fingerprint ?? ""), "32 hex digits");
      check(a[0]?.fingerprint === b[0]?.fingerprint, "stable across lines and files");
      check(a[0]?.fingerprint !== other[0]?.fingerprint, "depends on the key");
      const unkeyed = require("node:crypto").createHash("sha256").update(c.accessKeyId).digest("hex") as string;
      check(!unkeyed.startsWith(a[0]?.fingerprint ?? "-"), "not a plain hash of the value");
      check(scan(`id: ${credentials().accessKeyId}\n`)[0]?.fingerprint !== a[0]?.fingerprint, "differs per value");
      assertNoSecrets(JSON.stringify([a, b, other]), "findings");
    });
  });
});
