// Issue 22, property-tested both ways: random real-format key ids are always found, placeholder families never; the
// public half of a signed request is not a key, a secret beside it still is; labels that enclose the value. Every key
// is derived from a seed inside the property, so a counterexample shows a seed, never a key.
import { formatFinding, keyIdPlaceholder, scan } from "@keyless/scanner";
import fc from "fast-check";
import { propertyParameters } from "../../support/fast-check";
import {
  accessKeyId,
  assertNoSecrets,
  check,
  secretAccessKey,
  seededRandom,
  sessionToken,
} from "../../support/policy-credentials";

const UPPER32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const credentialPrefixes = ["AKIA", "ASIA", "ABIA", "ACCA"] as const;
const kinds = (text: string): string => `[${scan(text).map(formatFinding).join("; ")}]`;
const keyIds = (text: string) => scan(text).filter((f) => f.kind === "aws-access-key-id");

/** How a key id is written in the files people commit. */
const contexts = [
  (id: string) => id,
  (id: string) => `export AWS_ACCESS_KEY_ID=${id}\n`,
  (id: string) => `aws_access_key_id = "${id}"`,
  (id: string) => `{"AccessKeyId": "${id}", "Expiration": "2026-01-01T00:00:00Z"}`,
  (id: string) => `<accessKey>${id}</accessKey>`,
  (id: string) => `https://example.com/callback?key=${id}&state=x`,
];

const seed = fc.integer();
const context = fc.integer({ min: 0, max: contexts.length - 1 });

/** A placeholder body of 16 characters, built from a seed: each family is one that cannot be a real key. */
const placeholderFamilies: readonly [string, (r: (n: number) => number) => string][] = [
  ["one character 16 times", (r) => (UPPER32[Math.floor(r(32))] as string).repeat(16)],
  [
    "a mask: random characters then a run of one character",
    (r) => {
      const keep = Math.floor(r(11));
      const pad = (UPPER32[Math.floor(r(32))] as string).repeat(16 - keep);
      return pick(UPPER32, keep, r) + pad;
    },
  ],
  [
    "an ascending or descending run of 8 or more",
    (r) => {
      const len = 8 + Math.floor(r(9));
      const start = 65 + Math.floor(r(26 - len + 1));
      let run = String.fromCharCode(...Array.from({ length: len }, (_, i) => start + i));
      if (r(2) < 1) run = [...run].reverse().join("");
      const at = Math.floor(r(16 - len + 1));
      return pick(UPPER32, at, r) + run + pick(UPPER32, 16 - len - at, r);
    },
  ],
  [
    "a digit AWS never uses (0, 1, 8, 9)",
    (r) => {
      const body = pick(UPPER32, 16, r);
      const at = Math.floor(r(16));
      return body.slice(0, at) + ("0189"[Math.floor(r(4))] as string) + body.slice(at + 1);
    },
  ],
  [
    "a placeholder word",
    (r) => {
      const word = keyIdPlaceholder.words[Math.floor(r(keyIdPlaceholder.words.length))] as string;
      const at = Math.floor(r(16 - word.length + 1));
      return pick(UPPER32, at, r) + word + pick(UPPER32, 16 - word.length - at, r);
    },
  ],
  [
    "two or four characters repeated (low entropy)",
    (r) => {
      const chars = pick(UPPER32, 1 + Math.floor(r(4)), r);
      return Array.from({ length: 16 }, (_, i) => chars[i % chars.length]).join("");
    },
  ],
];

function pick(alphabet: string, n: number, r: (n: number) => number): string {
  let out = "";
  for (let i = 0; i < n; i++) out += alphabet[Math.floor(r(alphabet.length))];
  return out;
}

describe("scanner precision (issue 22)", () => {
  describe("key ids that cannot be real", () => {
    it("finds every random real-format id (any credential prefix, any context)", () => {
      fc.assert(
        fc.property(seed, context, fc.constantFrom(...credentialPrefixes), (s, c, prefix) => {
          const id = accessKeyId(prefix, seededRandom(s));
          const text = (contexts[c] as (id: string) => string)(id);
          const found = keyIds(text);
          check(found.length === 1, `context ${c}, prefix ${prefix}: got ${kinds(text)}`);
          assertNoSecrets(JSON.stringify(found), "findings", [id]);
        }),
        propertyParameters(1000),
      );
    });

    for (const [family, body] of placeholderFamilies) {
      it(`never reports ${family}`, () => {
        fc.assert(
          fc.property(seed, context, fc.constantFrom(...credentialPrefixes), (s, c, prefix) => {
            const text = (contexts[c] as (id: string) => string)(prefix + body(seededRandom(s)));
            check(keyIds(text).length === 0, `${family}, context ${c}: got ${kinds(text)}`);
          }),
          propertyParameters(300),
        );
      });
    }

    it("still reports a documentation example when allowExampleKeys is false", () => {
      const text = `AWS_ACCESS_KEY_ID=${["AKIA", "IOSFODNN7", "EXAMPLE"].join("")}`;
      check(keyIds(text).length === 0, "allowlisted by default");
      check(
        scan(text, { allowExampleKeys: false }).some((f) => f.kind === "aws-access-key-id"),
        "reported with allowExampleKeys: false",
      );
    });
  });

  describe("secret access keys that cannot be real", () => {
    it("finds every random secret assigned to its name, never one character 40 times or a masked one", () => {
      fc.assert(
        fc.property(seed, fc.integer({ min: 8, max: 40 }), (s, run) => {
          const r = seededRandom(s);
          const secret = secretAccessKey(r);
          const filler = (secret[Math.floor(r(40))] as string).repeat(run);
          const masked = secret.slice(0, 40 - run) + filler;
          const found = scan(`AWS_SECRET_ACCESS_KEY=${secret}`).filter((f) => f.kind === "aws-secret-access-key");
          check(found.length === 1, "a random secret is found");
          const text = `AWS_SECRET_ACCESS_KEY=${masked}\nAWS_SECRET_ACCESS_KEY=<your-secret-access-key>`;
          check(!scan(text).some((f) => f.kind === "aws-secret-access-key"), `masked with a run of ${run} reported`);
        }),
        propertyParameters(300),
      );
    });
  });

  describe("the public half of a signed request", () => {
    const signedForms = [
      (id: string, token: string) =>
        `curl "https://b.s3.us-east-1.amazonaws.com/report.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${id}%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600&X-Amz-Security-Token=${encodeURIComponent(token)}&X-Amz-Signature=${"5".repeat(64)}&X-Amz-SignedHeaders=host"`,
      (id: string, token: string) =>
        `https://b.s3.amazonaws.com/o?X-Amz-Credential=${id}/20260101/eu-west-1/s3/aws4_request&X-Amz-Security-Token=${token}&X-Amz-Signature=${"a".repeat(64)}`,
      (id: string, token: string) =>
        `2026-01-01 DEBUG botocore.auth Signature:\nAuthorization: AWS4-HMAC-SHA256 Credential=${id}/20260101/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=${"c".repeat(64)}\nX-Amz-Security-Token: ${token}\n`,
      (id: string, _token: string) =>
        `wget 'https://b.s3.amazonaws.com/o.tgz?AWSAccessKeyId=${id}&Expires=1767225600&Signature=${encodeURIComponent("q+9/Zz1=")}'`,
    ];

    it("reports no key id or session token, yet a secret in the same file", () => {
      fc.assert(
        fc.property(seed, fc.integer({ min: 0, max: signedForms.length - 1 }), fc.boolean(), (s, form, withSecret) => {
          const r = seededRandom(s);
          const id = accessKeyId(r(2) < 1 ? "AKIA" : "ASIA", r);
          const token = sessionToken(r);
          const secret = secretAccessKey(r);
          let text = (signedForms[form] as (id: string, token: string) => string)(id, token);
          if (withSecret) text += `\nexport AWS_SECRET_ACCESS_KEY=${secret}\n`;
          const fs = scan(text);
          check(
            !fs.some((f) => f.kind === "aws-access-key-id" || f.kind === "aws-session-token"),
            `form ${form}: got ${kinds(text)}`,
          );
          check(
            fs.some((f) => f.kind === "aws-secret-access-key") === withSecret,
            `form ${form}: secret ${withSecret}`,
          );
          assertNoSecrets(JSON.stringify(fs), "findings", [id, token, secret]);
        }),
        propertyParameters(200),
      );
    });

    it("still reports a key id outside a credential scope, and a token with no signed request near", () => {
      const id = accessKeyId();
      const token = sessionToken();
      for (const text of [
        `X-Amz-Credential=${id}`, // no /<date>/ scope after it
        `Credential=${id}/latest/us-east-1`,
        `AWSAccessKeyId=${id}&Expires=1767225600`, // no Signature: not a signed link
        `?AWSAccessKeyId=${id}&Signature=x`, // no Expires
      ]) {
        check(keyIds(text).length === 1, `${text.slice(0, 12)}…: got ${kinds(text)}`);
      }
      check(
        scan(`X-Amz-Security-Token: ${token}`).some((f) => f.kind === "aws-session-token"),
        "a token header with no Authorization beside it is reported",
      );
    });
  });

  describe("labels that enclose the value", () => {
    const enclosing = [
      (v: string) => `provider "aws" {\n  region = "us-east-1"\n\n  secret_key = "${v}"\n}\n`,
      (v: string) => `terraform {\n  backend "s3" {\n    bucket     = "state"\n    secret_key = "${v}"\n  }\n}\n`,
      (v: string) => `[aws]\nregion = us-east-1\n# rotated\nsecret = ${v}\n`,
      (v: string) => `[aws.credentials]\nsecret_key = "${v}"\n`,
      (v: string) => `app:\n  aws:\n    region: us-east-1\n    credentials:\n      secret: ${v}\n`,
      (v: string) =>
        `<configuration>\n  <property>\n    <name>fs.s3a.secret.key</name>\n    <value>${v}</value>\n  </property>\n</configuration>\n`,
    ];
    const elsewhere = [
      (v: string) => `provider "google" {\n  secret_key = "${v}"\n}\nprovider "aws" {\n  region = "us-east-1"\n}\n`,
      (v: string) => `[aws]\nregion = us-east-1\n[slack]\nsecret = ${v}\n`,
      (v: string) => `aws:\n  region: us-east-1\ngithub:\n  secret: ${v}\n`,
      (v: string) => `<property>\n  <name>oauth.client.secret</name>\n  <value>${v}</value>\n</property>\n`,
    ];

    it("finds a secret whose only label is the block, section, parent key or name element around it", () => {
      fc.assert(
        fc.property(seed, fc.integer({ min: 0, max: enclosing.length - 1 }), (s, form) => {
          const secret = secretAccessKey(seededRandom(s));
          const text = (enclosing[form] as (v: string) => string)(secret);
          check(
            scan(text).some((f) => f.kind === "aws-secret-access-key"),
            `form ${form}: got ${kinds(text)}`,
          );
        }),
        propertyParameters(100),
      );
    });

    it("does not when the enclosing label names something else", () => {
      fc.assert(
        fc.property(seed, fc.integer({ min: 0, max: elsewhere.length - 1 }), (s, form) => {
          const text = (elsewhere[form] as (v: string) => string)(secretAccessKey(seededRandom(s)));
          check(scan(text).length === 0, `form ${form}: got ${kinds(text)}`);
        }),
        propertyParameters(100),
      );
    });

    it("looks back a bounded distance: an AWS block 2 KB above no longer labels the value", () => {
      const secret = secretAccessKey();
      const filler = Array.from({ length: 120 }, (_, i) => `  setting_${i} = "${"v".repeat(12)}"`).join("\n");
      const text = `provider "aws" {\n${filler}\n  secret_key = "${secret}"\n}\n`;
      check(!scan(text).some((f) => f.kind === "aws-secret-access-key"), "found through more than 2 KB");
    });
  });
});
