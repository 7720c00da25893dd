// Decoders used by the layer walker. Node built-ins only.
import { isUtf8 } from "node:buffer";
import { gunzipSync } from "node:zlib";

/** True when `bytes` start with the gzip magic number and the deflate method byte. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 10 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 0x08;
}

export type GunzipResult =
  | { readonly ok: true; readonly bytes: Buffer }
  | { readonly ok: false; readonly reason: "too-large" | "corrupt" };

/** Decompresses gzip, refusing to produce more than `limit` bytes (a decompression bomb is reported, not expanded). */
export function gunzip(bytes: Uint8Array, limit: number): GunzipResult {
  try {
    return { ok: true, bytes: gunzipSync(bytes, { maxOutputLength: Math.max(1, limit) }) };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { ok: false, reason: code === "ERR_BUFFER_TOO_LARGE" ? "too-large" : "corrupt" };
  }
}

/** Decodes base64, ignoring whitespace (the caller passes only base64 characters, padding and whitespace). */
export function decodeBase64(text: string): Buffer {
  return Buffer.from(text, "base64");
}

/** Decodes quoted-printable (RFC 2045): `=XX` escapes and `=` soft line breaks. */
export function decodeQuotedPrintable(text: string): Buffer {
  const out = Buffer.alloc(text.length);
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 61 /* = */) {
      const a = text.charCodeAt(i + 1);
      if (a === 10) {
        i += 1;
        continue;
      }
      if (a === 13 && text.charCodeAt(i + 2) === 10) {
        i += 2;
        continue;
      }
      const h = hex(a);
      const l = hex(text.charCodeAt(i + 2));
      if (h >= 0 && l >= 0) {
        out[o++] = h * 16 + l;
        i += 2;
        continue;
      }
    }
    out[o++] = c & 0xff;
  }
  return out.subarray(0, o);
}

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Turns decoded bytes into text when they look like text: valid UTF-8, UTF-16LE (PowerShell
 * `-EncodedCommand`), or mostly printable ASCII (a decoded run with a few bytes of trailing noise).
 * Returns undefined for binary data.
 */
export function bytesToText(bytes: Buffer): string | undefined {
  if (bytes.length === 0) return undefined;
  if (looksUtf16le(bytes)) return bytes.toString("utf16le");
  if (isUtf8(bytes)) return bytes.toString("utf8");
  const sample = Math.min(bytes.length, 4096);
  let printable = 0;
  for (let i = 0; i < sample; i++) {
    const b = bytes[i] ?? 0;
    if ((b >= 32 && b < 127) || b === 9 || b === 10 || b === 13) printable++;
  }
  return printable / sample >= 0.9 ? bytes.toString("latin1") : undefined;
}

function looksUtf16le(bytes: Buffer): boolean {
  if (bytes.length < 8 || bytes.length % 2 !== 0) return false;
  const sample = Math.min(bytes.length, 1024);
  let zeros = 0;
  let printable = 0;
  for (let i = 0; i + 1 < sample; i += 2) {
    const lo = bytes[i] ?? 0;
    if (bytes[i + 1] === 0) zeros++;
    if ((lo >= 32 && lo < 127) || lo === 9 || lo === 10 || lo === 13) printable++;
  }
  const pairs = Math.floor(sample / 2);
  return zeros / pairs >= 0.9 && printable / pairs >= 0.9;
}
