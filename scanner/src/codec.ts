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

/**
 * Formats recognised by magic that the scanner cannot decompress (reported as undecodable): xz and lz4.
 * gzip and zlib use Node.js's zlib; zstd uses Node.js's where it has one (22.15+), else fzstd; bzip2
 * uses seek-bzip.
 */
export const unopenable: ReadonlySet<Compression> = new Set<Compression>(["xz", "lz4"]);

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
        // Frame headers first: fzstd allocates each frame's declared content or window size, and Node's decoder
        // calls a frame that declares more than the budget "corrupt" when it is cut short, hiding the bomb.
        const fit = zstdFramesFit(bytes, maxOutputLength);
        if (fit !== "ok") return { ok: false, reason: fit };
        const zstd = (zlib as { zstdDecompressSync?: (b: Uint8Array, o: object) => Buffer }).zstdDecompressSync;
        if (zstd !== undefined) return { ok: true, bytes: zstd(bytes, { maxOutputLength }) };
        const fzstd = optional<typeof import("fzstd")>("fzstd");
        if (fzstd === undefined) return { ok: false, reason: "unsupported" };
        return { ok: true, bytes: Buffer.from(fzstd.decompress(bytes)) };
      }
      case "bzip2":
        return bunzip2(bytes, maxOutputLength);
      default:
        return { ok: false, reason: "unsupported" };
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { ok: false, reason: code === "ERR_BUFFER_TOO_LARGE" ? "too-large" : "corrupt" };
  }
}

const TOO_LARGE = new Error("too large");

/** A decoder package, or undefined where it is not installed (the layer is then reported, never passed). */
function optional<T>(name: string): T | undefined {
  try {
    return require(name) as T;
  } catch {
    return undefined;
  }
}

/** bzip2 (every stream of a multi-stream file) through seek-bzip, stopping at `limit` bytes of output. */
function bunzip2(bytes: Uint8Array, limit: number): InflateResult {
  const Bunzip = optional<{ decode(input: Buffer, output: object, multistream: boolean): unknown }>("seek-bzip");
  if (Bunzip === undefined) return { ok: false, reason: "unsupported" };
  const chunks: Buffer[] = [];
  let chunk = Buffer.alloc(65536);
  let pos = 0;
  let total = 0;
  const output = {
    writeByte(b: number): void {
      if (++total > limit) throw TOO_LARGE;
      chunk[pos++] = b;
      if (pos === chunk.length) {
        chunks.push(chunk);
        chunk = Buffer.alloc(65536);
        pos = 0;
      }
    },
  };
  try {
    Bunzip.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), output, true);
  } catch (err) {
    return { ok: false, reason: err === TOO_LARGE ? "too-large" : "corrupt" };
  }
  chunks.push(chunk.subarray(0, pos));
  return { ok: true, bytes: Buffer.concat(chunks) };
}

/**
 * Walks the frames of a zstd stream (RFC 8878: frame headers and block headers only) and says whether what
 * a decoder allocates for them (each frame's content size, else its window size) stays within `limit`.
 */
export function zstdFramesFit(b: Uint8Array, limit: number): "ok" | "too-large" | "corrupt" {
  let p = 0;
  let need = 0;
  const u32 = (at: number): number =>
    ((b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) | ((b[at + 2] ?? 0) << 16) | ((b[at + 3] ?? 0) << 24)) >>> 0;
  while (p < b.length) {
    if (p + 4 > b.length) return "corrupt";
    const magic = u32(p);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      // A skippable frame: magic, a 4-byte size, that many bytes.
      p += 8 + u32(p + 4);
      continue;
    }
    if (magic !== 0xfd2fb528) return "corrupt";
    const fhd = b[p + 4] ?? 0;
    if ((fhd & 8) !== 0) return "corrupt";
    const single = (fhd >> 5) & 1;
    const fcsFlag = fhd >> 6;
    const dictBytes = [0, 1, 2, 4][fhd & 3] ?? 0;
    let q = p + 5;
    let window = 0;
    if (single === 0) {
      const wd = b[q++] ?? 0;
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    q += dictBytes;
    const fcsBytes = fcsFlag === 0 ? single : 2 ** fcsFlag;
    let fcs = 0;
    for (let i = 0; i < fcsBytes; i++) fcs += (b[q + i] ?? 0) * 2 ** (8 * i);
    if (fcsBytes === 2) fcs += 256;
    q += fcsBytes;
    need += fcs > 0 ? fcs : window;
    if (need > limit) return "too-large";
    for (;;) {
      if (q + 3 > b.length) return "corrupt";
      const h = (b[q] ?? 0) | ((b[q + 1] ?? 0) << 8) | ((b[q + 2] ?? 0) << 16);
      const type = (h >> 1) & 3;
      if (type === 3) return "corrupt";
      q += 3 + (type === 1 ? 1 : h >>> 3);
      if ((h & 1) === 1) break;
    }
    if (((fhd >> 2) & 1) === 1) q += 4;
    if (q > b.length) return "corrupt";
    p = q;
  }
  return "ok";
}

/** Decodes a run of hex digits (even length; whitespace of wrapped lines removed by the caller). */
export function decodeHex(text: string): Buffer {
  return Buffer.from(text, "hex");
}

/** Decodes percent-encoding (`%XX`); everything else, `+` included, is kept as it is. */
export function decodePercent(text: string): Buffer {
  return decodeEscapes(text, 37 /* % */, false);
}

/** Decodes base64, ignoring whitespace (the caller passes only base64 characters, padding and whitespace). */
export function decodeBase64(text: string): Buffer {
  return Buffer.from(text, "base64");
}

/** Decodes quoted-printable (RFC 2045): `=XX` escapes and `=` soft line breaks. */
export function decodeQuotedPrintable(text: string): Buffer {
  return decodeEscapes(text, 61 /* = */, true);
}

/**
 * `<marker>XX` hex escapes, the rest kept byte for byte; with `softLineBreaks`, `<marker>` before a line break joins
 * the lines (quoted-printable).
 */
function decodeEscapes(text: string, marker: number, softLineBreaks: boolean): Buffer {
  const out = Buffer.alloc(text.length);
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === marker) {
      const a = text.charCodeAt(i + 1);
      if (softLineBreaks && a === 10) {
        i += 1;
        continue;
      }
      if (softLineBreaks && a === 13 && text.charCodeAt(i + 2) === 10) {
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
