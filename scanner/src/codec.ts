// Decoders used by the layer walker. Node built-ins only.
import { isUtf8 } from "node:buffer";
import * as zlib from "node:zlib";

/** True when `bytes` start with the gzip magic number and the deflate method byte. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 10 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 0x08;
}

/**
 * Compressed formats recognised by their magic bytes. `zlib` is the two-byte RFC 1950 header
 * (deflate, 32 KiB window, no preset dictionary, valid check bits).
 */
export type Compression = "gzip" | "zlib" | "bzip2" | "xz" | "zstd" | "lz4";

/** Formats recognised by magic that this Node.js cannot decompress (reported as undecodable). */
export const unopenable: ReadonlySet<Compression> = new Set([
  "bzip2",
  "xz",
  "lz4",
  ...(typeof (zlib as { zstdDecompressSync?: unknown }).zstdDecompressSync === "function" ? [] : ["zstd"]),
] as Compression[]);

const startsWith = (b: Uint8Array, magic: readonly number[], at = 0): boolean => {
  if (b.length < at + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (b[at + i] !== magic[i]) return false;
  return true;
};

const BZIP2 = [0x42, 0x5a, 0x68]; // "BZh", then the block size 1-9
const BZIP2_BLOCK = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]; // pi: a compressed block
const BZIP2_END = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90]; // sqrt(pi): end of an empty stream
const XZ = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];
const LZ4 = [0x04, 0x22, 0x4d, 0x18];

/** The compressed format `bytes` start with, by magic bytes, or undefined. */
export function sniffCompression(b: Uint8Array): Compression | undefined {
  if (b.length < 4) return undefined;
  if (isGzip(b)) return "gzip";
  const b0 = b[0] as number;
  const b1 = b[1] as number;
  if (b.length >= 8 && b0 === 0x78 && (b0 * 256 + b1) % 31 === 0 && (b1 & 0x20) === 0) return "zlib";
  if (startsWith(b, BZIP2) && (b[3] as number) >= 0x31 && (b[3] as number) <= 0x39) {
    if (startsWith(b, BZIP2_BLOCK, 4) || startsWith(b, BZIP2_END, 4)) return "bzip2";
  }
  if (startsWith(b, XZ)) return "xz";
  if (startsWith(b, ZSTD)) return "zstd";
  if (startsWith(b, LZ4)) return "lz4";
  return undefined;
}

/** Formats without magic bytes, tried only where the layer around them names a decompressor. */
export type Headerless = "deflate" | "brotli";

export type InflateResult =
  | { readonly ok: true; readonly bytes: Buffer }
  | { readonly ok: false; readonly reason: "too-large" | "corrupt" | "unsupported" };

/**
 * Decompresses `bytes` as `format`, refusing to produce more than `limit` bytes (a decompression
 * bomb is reported, not expanded). A truncated zlib or raw deflate stream yields what it holds.
 */
export function decompress(bytes: Uint8Array, format: Compression | Headerless, limit: number): InflateResult {
  const maxOutputLength = Math.max(1, limit);
  const partial = { maxOutputLength, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  try {
    switch (format) {
      case "gzip":
        return { ok: true, bytes: zlib.gunzipSync(bytes, { maxOutputLength }) };
      case "zlib":
        return { ok: true, bytes: zlib.inflateSync(bytes, partial) };
      case "deflate":
        return { ok: true, bytes: zlib.inflateRawSync(bytes, partial) };
      case "brotli":
        return { ok: true, bytes: zlib.brotliDecompressSync(bytes, { maxOutputLength }) };
      case "zstd": {
        const zstd = (zlib as { zstdDecompressSync?: (b: Uint8Array, o: object) => Buffer }).zstdDecompressSync;
        if (zstd === undefined) return { ok: false, reason: "unsupported" };
        return { ok: true, bytes: zstd(bytes, { maxOutputLength }) };
      }
      default:
        return { ok: false, reason: "unsupported" };
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { ok: false, reason: code === "ERR_BUFFER_TOO_LARGE" ? "too-large" : "corrupt" };
  }
}

/** Decodes a run of hex digits (even length; whitespace of wrapped lines removed by the caller). */
export function decodeHex(text: string): Buffer {
  return Buffer.from(text, "hex");
}

/** Decodes percent-encoding (`%XX`); everything else, `+` included, is kept as it is. */
export function decodePercent(text: string): Buffer {
  const out = Buffer.alloc(text.length);
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 37) {
      const h = hex(text.charCodeAt(i + 1));
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
  return decodeText(bytes)?.text;
}

/** As `bytesToText`, also saying whether the text is strictly UTF-8 or UTF-16LE (not merely mostly printable). */
export function decodeText(bytes: Buffer): { readonly text: string; readonly strict: boolean } | undefined {
  if (bytes.length === 0) return undefined;
  if (looksUtf16le(bytes)) return { text: bytes.toString("utf16le"), strict: true };
  if (isUtf8(bytes)) return { text: bytes.toString("utf8"), strict: true };
  const sample = Math.min(bytes.length, 4096);
  let printable = 0;
  for (let i = 0; i < sample; i++) {
    const b = bytes[i] ?? 0;
    if ((b >= 32 && b < 127) || b === 9 || b === 10 || b === 13) printable++;
  }
  return printable / sample >= 0.9 ? { text: bytes.toString("latin1"), strict: false } : undefined;
}

/** Mostly UTF-16LE text: every other byte zero, the rest printable. */
export function looksUtf16le(bytes: Buffer): boolean {
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
