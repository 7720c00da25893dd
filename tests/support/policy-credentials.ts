// Credentials generated at test time (nothing key-shaped is committed), and assertions that compare
// without ever printing a generated value: every failure message goes through `redact`.
import { AssertionError } from "node:assert";
import { randomBytes } from "node:crypto";

const UPPER32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX = "0123456789abcdef";
const LOWER = "abcdefghijklmnopqrstuvwxyz";

const generated = new Set<string>();

/** A source of random integers in [0, n): crypto by default, a seeded PRNG in property tests. */
export type Random = (n: number) => number;

export const cryptoRandom: Random = (n) => (randomBytes(4).readUInt32BE(0) % n) >>> 0;

/** mulberry32: deterministic, so fast-check counterexamples show a seed, never a key. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * n;
  };
}

function pick(alphabet: string, length: number, random: Random): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random(alphabet.length))] ?? "A";
  return out;
}

function remember(value: string): string {
  generated.add(value);
  return value;
}

export function accessKeyId(prefix = "AKIA", random: Random = cryptoRandom): string {
  return remember(prefix + pick(UPPER32, 16, random));
}

export function secretAccessKey(random: Random = cryptoRandom): string {
  for (;;) {
    const v = pick(B64, 40, random);
    if (/[a-z]/.test(v) && /[A-Z]/.test(v) && !v.endsWith("EXAMPLEKEY")) return remember(v);
  }
}

export function sessionToken(random: Random = cryptoRandom): string {
  return remember(`IQoJb3JpZ2luX2Vj${pick(B64, 340, random)}`);
}

/** A session token without the STS prefix: found only through its name. */
export function plainSessionToken(random: Random = cryptoRandom): string {
  for (;;) {
    const v = pick(B64, 200, random);
    if (/[a-z]/.test(v) && /[A-Z]/.test(v)) return remember(v);
  }
}

export const upper = (n: number, random: Random = cryptoRandom): string => pick(UPPER32, n, random);
export const lower = (n: number, random: Random = cryptoRandom): string => pick(LOWER, n, random);
export const hex = (n: number, random: Random = cryptoRandom): string => pick(HEX, n, random);
export const base64Chars = (n: number, random: Random = cryptoRandom): string => pick(B64, n, random);

/** AWS's documentation example key pair, assembled here so the literal is never committed. */
export function exampleCredentials(): { accessKeyId: string; secretAccessKey: string } {
  return {
    accessKeyId: ["AKIA", "IOSFODNN7", "EXAMPLE"].join(""),
    secretAccessKey: ["wJalrXUtnFEMI", "/K7MDENG/bPxRfiCY", "EXAMPLEKEY"].join(""),
  };
}

/** Every value generated so far in this process. */
export function generatedValues(): ReadonlySet<string> {
  return generated;
}

/** Replaces every generated value in `text` by `[REDACTED]`. */
export function redact(text: string): string {
  let out = text;
  for (const v of generated) {
    if (out.includes(v)) out = out.split(v).join("[REDACTED]");
  }
  return out;
}

/** Fails (without printing it) when `text` contains any generated value, or the given ones. */
export function assertNoSecrets(text: string, where: string, extra: readonly string[] = []): void {
  for (const v of [...generated, ...extra]) {
    if (v.length > 0 && text.includes(v)) {
      throw new AssertionError({ message: `${where} contains a generated credential value (${v.length} characters)` });
    }
  }
}

/** Plain assertion whose message is redacted: never pass values through node:assert's diffs. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionError({ message: redact(message) });
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

export function credentials(random: Random = cryptoRandom, prefix = "AKIA"): Credentials {
  return {
    accessKeyId: accessKeyId(prefix, random),
    secretAccessKey: secretAccessKey(random),
    sessionToken: sessionToken(random),
  };
}

/**
 * Fills a fixture template: `{{ACCESS_KEY_ID}}`, `{{SECRET_ACCESS_KEY}}`, `{{SESSION_TOKEN}}`,
 * `{{PLAIN_SESSION_TOKEN}}`, `{{ACCESS_KEY_ID:ASIA}}` (other prefix), `{{EXAMPLE_ACCESS_KEY_ID}}`,
 * `{{EXAMPLE_SECRET_ACCESS_KEY}}`, and random fillers `{{UPPER16}}`, `{{LOWER40}}`, `{{HEX40}}`, `{{RANDOM40}}`
 * (base64 alphabet), `{{RANDOM120}}`; placeholders that cannot be keys: `{{FILLER16}}` (one character 16 times),
 * `{{MASKED16}}` (8 characters then `XXXXXXXX`), `{{ASCENDING16}}` (`CDEF…`), `{{NOT_BASE32_16}}` (a digit AWS never uses),
 * `{{FILLER40}}`, `{{MASKED_SECRET}}` (a secret's first 28 characters then 12 `X`).
 */
export function fill(template: string, creds: Credentials = credentials()): string {
  const example = exampleCredentials();
  return template.replace(/\{\{([A-Z_0-9]+)(?::([A-Z]{4}))?\}\}/g, (_m, name: string, prefix?: string) => {
    switch (name) {
      case "ACCESS_KEY_ID":
        return prefix === undefined ? creds.accessKeyId : accessKeyId(prefix);
      case "SECRET_ACCESS_KEY":
        return creds.secretAccessKey;
      case "SESSION_TOKEN":
        return creds.sessionToken;
      case "PLAIN_SESSION_TOKEN":
        return plainSessionToken();
      case "EXAMPLE_ACCESS_KEY_ID":
        return example.accessKeyId;
      case "EXAMPLE_SECRET_ACCESS_KEY":
        return example.secretAccessKey;
      case "FILLER16":
        return upper(1).repeat(16);
      case "MASKED16":
        return upper(8) + "X".repeat(8);
      case "ASCENDING16": {
        const start = 65 + Math.floor(cryptoRandom(11));
        return String.fromCharCode(...Array.from({ length: 16 }, (_, i) => start + i));
      }
      case "NOT_BASE32_16": {
        // A real-looking id body with one of the digits AWS never uses (0, 1, 8, 9).
        const body = upper(16);
        const at = Math.floor(cryptoRandom(16));
        return body.slice(0, at) + "0189"[Math.floor(cryptoRandom(4))] + body.slice(at + 1);
      }
      case "FILLER40":
        return base64Chars(1).repeat(40);
      case "MASKED_SECRET":
        return creds.secretAccessKey.slice(0, 28) + "X".repeat(12);
      default: {
        const m = /^(UPPER|LOWER|HEX|RANDOM)(\d+)$/.exec(name);
        if (m === null) throw new Error(`unknown placeholder {{${name}}}`);
        const n = Number(m[2]);
        if (m[1] === "UPPER") return upper(n);
        if (m[1] === "LOWER") return lower(n);
        if (m[1] === "HEX") return hex(n);
        return base64Chars(n);
      }
    }
  });
}
