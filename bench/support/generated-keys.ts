// Keys the benchmarks plant, generated at run time (nothing key-shaped is committed) and never printed.
import { randomBytes } from "node:crypto";

const UPPER32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** `n` random characters of `alphabet`. */
export const pick = (alphabet: string, n: number): string => {
  const b = randomBytes(n);
  let out = "";
  for (let i = 0; i < n; i++) out += alphabet[(b[i] ?? 0) % alphabet.length];
  return out;
};

/** A secret access key's shape: 40 base64 characters. */
export const secretKey = (): string => `${pick(B64, 39)}a`;

/** A key pair as shell exports. */
export const keyPair = (): string =>
  `export AWS_ACCESS_KEY_ID=AKIA${pick(UPPER32, 16)}\nexport AWS_SECRET_ACCESS_KEY=${secretKey()}\n`;
