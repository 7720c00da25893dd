// The one engine: every entry point (components, policy pack, CLI) goes through `scan`.
// It looks through layers, bounded in depth and in decoded bytes, and reports what it finds in each.
import { createHmac } from "node:crypto";
import {
  type Compression,
  decodeBase64,
  decodeHex,
  decodePercent,
  decodeQuotedPrintable,
  decodeText,
  decompress,
  type Headerless,
  sniffCompression,
  unopenable,
} from "./codec";
import { type Blob, detect, type Sink } from "./detect";
import { type MimePart, parseMultipart } from "./mime";
import type { Finding, ScanOptions } from "./types";

/** @see ScanOptions.maxDepth */
export const DEFAULT_MAX_DEPTH = 8;
/** @see ScanOptions.maxDecodedBytes */
export const DEFAULT_MAX_DECODED_BYTES = 8 * 1024 * 1024;
/** @see ScanOptions.maxFindings */
export const DEFAULT_MAX_FINDINGS = 1000;
/** @see ScanOptions.fingerprintKey */
export const DEFAULT_FINGERPRINT_KEY = "keyless-scan/fingerprint/v1";

/** Cloud-init user data has a handful of parts; past this many, the rest is reported, not opened. */
export const MAX_MIME_PARTS = 1000;

/** A wrapped run's last line this short may be a word (`EOF`, `fi`, `done`) rather than base64: retried without it. */
const MAX_TRAILING_WORD = 8;

interface State {
  readonly sink: Sink;
  readonly maxDepth: number;
  readonly maxDecodedBytes: number;
  readonly allowExampleKeys: boolean;
  budget: number;
  budgetReported: boolean;
  readonly maxFindings: number;
  /** Set once the findings cap is reached: nothing more is scanned. */
  stopped: boolean;
}

/** Decompressors named near a decoded run (`base64 -d | brotli -d`, `DeflateStream`, `zlib.decompress(..., -15)`). */
type Hints = () => { readonly formats: readonly Headerless[]; readonly looksEncoded: boolean };

/**
 * Scans text or bytes for AWS credentials, looking through base64, hex, percent-encoding, gzip,
 * zlib, bzip2, zstd (and raw deflate and brotli where the layer names them), MIME multipart (base64
 * and quoted-printable parts), cloud-init `write_files` content and base64 runs embedded in scripts.
 * Formats recognised by their magic bytes that it cannot open (xz, lz4) are reported as
 * `undecodable-layer`.
 * Findings never hold a value: a key id's first four characters at most, and a keyed fingerprint.
 *
 * Never throws on any input; runs in time linear in the input plus the bytes it decodes.
 */
export function scan(input: string | Uint8Array, options: ScanOptions = {}): readonly Finding[] {
  const state: State = {
    sink: { findings: [], values: [] },
    maxDepth: clampInt(options.maxDepth, DEFAULT_MAX_DEPTH, 0, 64),
    maxDecodedBytes: clampInt(options.maxDecodedBytes, DEFAULT_MAX_DECODED_BYTES, 0, 2 ** 31 - 1),
    allowExampleKeys: options.allowExampleKeys ?? true,
    budget: 0,
    budgetReported: false,
    maxFindings: clampInt(options.maxFindings, DEFAULT_MAX_FINDINGS, 1, 1_000_000),
    stopped: false,
  };
  state.budget = state.maxDecodedBytes;
  if (typeof input === "string") {
    walkText(input, [], 0, state);
  } else {
    openBytes(Buffer.from(input.buffer, input.byteOffset, input.byteLength), [], 0, state, true);
  }
  const key = options.fingerprintKey ?? DEFAULT_FINGERPRINT_KEY;
  return state.sink.findings.map((f, i) => ({ ...f, fingerprint: fingerprint(key, f, state.sink.values[i] ?? "") }));
}

/**
 * HMAC-SHA-256 under `key` of the kind and the value (for an undecodable layer, of its layer path and
 * reason), as 32 hex digits: equal for the same key wherever it appears, and never the value.
 */
function fingerprint(key: string | Uint8Array, f: Finding, value: string): string {
  const what = f.kind === "undecodable-layer" ? `${f.layer}\0${f.description}` : value;
  return createHmac("sha256", key).update(`${f.kind}\0${what}`).digest("hex").slice(0, 32);
}

/**
 * An `undecodable-layer` finding made outside a scan (the CLI's file-size cap), fingerprinted from
 * `basis` (a stable reason, so that a baseline keeps matching when a number in the description changes).
 * @internal
 */
export function undecodableFinding(
  layer: string,
  description: string,
  basis: string,
  key: string | Uint8Array = DEFAULT_FINGERPRINT_KEY,
): Finding {
  const f: Finding = { kind: "undecodable-layer", layer, line: 1, preview: "", description: basis, fingerprint: "" };
  return { ...f, description, fingerprint: fingerprint(key, f, "") };
}

const blobLabels: Readonly<Record<Blob["encoding"], string>> = {
  base64: "base64",
  hex: "hex",
  percent: "percent-encoding",
};

function walkText(text: string, path: readonly string[], depth: number, state: State): void {
  if (state.stopped) return;
  const layer = path.length === 0 ? "raw" : path.join(" > ");
  const multipart = parseMultipart(text, MAX_MIME_PARTS);
  if (multipart !== undefined) {
    for (const [index, part] of multipart.parts.entries()) {
      if (index >= MAX_MIME_PARTS) {
        undecodable([...path, `MIME part ${index + 1}`], `more than ${MAX_MIME_PARTS} MIME parts`, state);
        break;
      }
      openPart(part, index + 1, path, depth, state);
    }
    return;
  }
  const { findings, values } = state.sink;
  const first = findings.length;
  const blobs = detect(
    text,
    layer,
    { allowExampleKeys: state.allowExampleKeys, maxFindings: state.maxFindings },
    state.sink,
  );
  if (findings.length >= state.maxFindings) {
    state.stopped = true;
    undecodable(path, `more than ${state.maxFindings} findings; the rest of the input was not scanned`, state);
    return;
  }
  let here: Set<string> | undefined;
  let hits: ReturnType<typeof decompressorHits> | undefined;
  const hintsFor =
    (blob: Blob): Hints =>
    () => {
      hits ??= decompressorHits(text);
      const near = hits.filter((h) => h.at >= blob.start - NAMED_WITHIN && h.at < blob.end + NAMED_WITHIN);
      return { formats: [...new Set(near.map((h) => h.format))], looksEncoded: looksEncoded(text, blob) };
    };
  const whole = trimmedBounds(text);
  for (const blob of blobs) {
    if (state.stopped) return;
    const raw = text.slice(blob.start, blob.end);
    const encoded = blob.multiline ? stripWhitespace(raw) : raw;
    const name = blobLabels[blob.encoding];
    // A run that is the whole layer leaves no room for a decompressor's name beside it.
    const isWhole = blob.start === whole.start && blob.end === whole.end;
    const label = isWhole ? name : `${name} (line ${blob.line})`;
    const childPath = [...path, label];
    if (blob.encoding === "percent") {
      // The decoded span repeats what is literal in it: drop findings of values already found here.
      if (!charge(encoded.length, childPath, state)) return;
      here ??= new Set(values.slice(first).map((v, i) => `${findings[first + i]?.kind}\0${v}`));
      const from = findings.length;
      openBytes(decodePercent(encoded), childPath, depth + 1, state, true);
      dropRepeats(state.sink, from, here);
      continue;
    }
    if (blob.encoding === "hex") {
      if (!charge(encoded.length >> 1, childPath, state)) return;
      openBytes(
        decodeHex(encoded),
        childPath,
        depth + 1,
        state,
        false,
        undefined,
        isWhole ? undefined : hintsFor(blob),
      );
      continue;
    }
    if (!charge(Math.ceil((encoded.length * 3) / 4), childPath, state)) return;
    const shorter =
      blob.multiline && blob.lastLineStart > blob.start && blob.end - blob.lastLineStart <= MAX_TRAILING_WORD
        ? () => {
            const alt = stripWhitespace(text.slice(blob.start, blob.lastLineStart));
            return charge(Math.ceil((alt.length * 3) / 4), childPath, state) ? decodeBase64(alt) : undefined;
          }
        : undefined;
    openBytes(decodeBase64(encoded), childPath, depth + 1, state, false, shorter, isWhole ? undefined : hintsFor(blob));
  }
}

/** Whether a run has upper case, lower case and digits, as base64 or hex of compressed data does (paths and words rarely). */
function looksEncoded(text: string, blob: Blob): boolean {
  if (blob.encoding === "hex") return true;
  let upper = false;
  let lower = false;
  let digit = false;
  for (let i = blob.start; i < blob.end && !(upper && lower && digit); i++) {
    const c = text.charCodeAt(i);
    if (c >= 65 && c <= 90) upper = true;
    else if (c >= 97 && c <= 122) lower = true;
    else if (c >= 48 && c <= 57) digit = true;
  }
  return upper && lower && digit;
}

/** Removes the findings from index `from` on whose kind and value are in `seen`. */
function dropRepeats(sink: Sink, from: number, seen: ReadonlySet<string>): void {
  let o = from;
  for (let i = from; i < sink.findings.length; i++) {
    const f = sink.findings[i] as Finding;
    const v = sink.values[i] as string;
    if (f.kind !== "undecodable-layer" && seen.has(`${f.kind}\0${v}`)) continue;
    sink.findings[o] = f;
    sink.values[o] = v;
    o++;
  }
  sink.findings.length = o;
  sink.values.length = o;
}

/** How far (characters) from a decoded run a decompressor's name counts as naming it (the same pipeline or script lines). */
const NAMED_WITHIN = 512;

/**
 * The headerless decompressors named near a run. Raw deflate: `DeflateStream` (.NET, PowerShell),
 * `inflateRaw` (Node.js), `zlib.decompress`/`decompressobj(-15)` (Python), `gzinflate` (PHP).
 * Brotli: `brotli -d`, `brotli --decompress`, `brotli.decompress`, `BrotliStream`,
 * `brotliDecompress`. Library names alone (`zlib-devel`) are not enough.
 */
const decompressorNames: readonly { readonly anchor: string; readonly name: string; readonly format: Headerless }[] = [
  ...[
    "DeflateStream",
    "deflateStream",
    "inflateRaw",
    "inflate_raw",
    "zlib.decompress",
    "decompressobj(-",
    "gzinflate",
  ].map((name) => ({ anchor: name.includes("flate") ? "flate" : "ecompress", name, format: "deflate" as const })),
  ...["brotli -d", "brotli --decompress", "brotli.decompress", "BrotliStream", "brotliDecompress"].map((name) => ({
    anchor: "rotli",
    name,
    format: "brotli" as const,
  })),
];

/**
 * Where a layer names a decompressor, found with one `indexOf` pass per anchor (`flate`, `ecompress`,
 * `rotli`) and checked at each hit. Computed once per layer, only when a decoded run there is binary.
 */
function decompressorHits(text: string): { readonly at: number; readonly format: Headerless }[] {
  const hits: { at: number; format: Headerless }[] = [];
  for (const anchor of ["flate", "ecompress", "rotli"]) {
    for (let i = text.indexOf(anchor); i >= 0; i = text.indexOf(anchor, i + 1)) {
      for (const n of decompressorNames) {
        if (n.anchor !== anchor) continue;
        const at = i - n.name.indexOf(anchor);
        if (at >= 0 && text.startsWith(n.name, at)) hits.push({ at, format: n.format });
      }
    }
  }
  return hits;
}

function openPart(part: MimePart, index: number, path: readonly string[], depth: number, state: State): void {
  const label = `MIME part ${index}`;
  const contentType = (part.headers.get("content-type") ?? "").toLowerCase();
  if (contentType.startsWith("multipart/")) {
    if (enter([...path, label], depth + 1, state)) walkText(part.whole, [...path, label], depth + 1, state);
    return;
  }
  const encoding = (part.headers.get("content-transfer-encoding") ?? "").trim().toLowerCase();
  if (encoding === "base64" || encoding === "quoted-printable") {
    const childPath = [...path, label, encoding];
    if (!enter([...path, label], depth + 1, state)) return;
    if (!charge(part.body.length, childPath, state)) return;
    const bytes = encoding === "base64" ? decodeBase64(part.body) : decodeQuotedPrintable(part.body);
    openBytes(bytes, childPath, depth + 2, state, true);
    return;
  }
  if (enter([...path, label], depth + 1, state)) walkText(part.body, [...path, label], depth + 1, state);
}

/** A second reading of the same layer, tried when the first does not decode. */
type Fallback = () => Buffer | undefined;

/**
 * Decoded bytes: a compressed format is opened, text is walked, binary is left alone (or, where the
 * layer around it names raw deflate or brotli, opened as that).
 */
function openBytes(
  bytes: Buffer,
  path: readonly string[],
  depth: number,
  state: State,
  binaryAsText: boolean,
  fallback?: Fallback,
  hints?: Hints,
): void {
  if (state.stopped) return;
  const format = sniffCompression(bytes);
  if (format !== undefined) {
    if (!enter(path, depth, state)) return;
    if (openCompressed(bytes, format, path, depth, state, fallback)) return;
  }
  const decoded = decodeText(bytes);
  const text = decoded?.text;
  // Bytes that are not strictly UTF-8 or UTF-16 may be a headerless stream the layer names (a brotli
  // stream that starts with an uncompressed block looks like text with a few odd bytes).
  if (hints !== undefined && decoded?.strict !== true && bytes.length > 0) {
    const { formats, looksEncoded } = hints();
    // Binary that opens as neither is a finding only where the run looks like encoded data (upper and
    // lower case and digits): a path such as `tests/unit/scanner/x.ts` near the word is not.
    if (formats.length > 0 && openHeaderless(bytes, formats, path, depth, state, text === undefined && looksEncoded)) {
      return;
    }
  }
  if (text === undefined) {
    const alt = fallback?.();
    if (alt !== undefined) {
      openBytes(alt, path, depth, state, binaryAsText, undefined, hints);
      return;
    }
    if (!binaryAsText) return;
  }
  if (enter(path, depth, state)) walkText(text ?? bytes.toString("latin1"), path, depth, state);
}

/**
 * Opens a stream recognised by its magic bytes. Returns false when it turns out not to be one: a
 * zlib header is two bytes, which one random binary blob in a few thousand starts with, so zlib
 * data that does not inflate is taken for binary; every other failure is a finding.
 */
function openCompressed(
  bytes: Buffer,
  format: Compression,
  path: readonly string[],
  depth: number,
  state: State,
  fallback?: Fallback,
): boolean {
  const childPath = [...path, format];
  if (!enter(childPath, depth + 1, state)) return true;
  if (unopenable.has(format)) {
    undecodable(
      childPath,
      `${format} data (recognised by its magic bytes) cannot be opened by this scanner; decompress it and scan the result`,
      state,
    );
    return true;
  }
  const result = decompress(bytes, format, state.budget);
  if (!result.ok && result.reason === "corrupt") {
    const alt = fallback?.();
    if (alt !== undefined) {
      openBytes(alt, path, depth, state, true);
      return true;
    }
    if (format === "zlib") return false;
  }
  if (!result.ok) {
    undecodable(
      childPath,
      result.reason === "too-large"
        ? `${format} data expands beyond the ${state.budget}-byte decoding limit (possible decompression bomb); raise maxDecodedBytes to scan it`
        : result.reason === "unsupported"
          ? `${format} data cannot be opened by this installation (its decoder package is missing); decompress it and scan the result`
          : `${format} data is corrupt or truncated`,
      state,
    );
    return true;
  }
  state.budget -= result.bytes.length;
  openBytes(result.bytes, childPath, depth + 1, state, true);
  return true;
}

/**
 * Data in a layer that names raw deflate or brotli: opened as the first that works. When none does,
 * binary data (`report`) is a finding: the layer says it is compressed. Returns whether it is done.
 */
function openHeaderless(
  bytes: Buffer,
  named: readonly Headerless[],
  path: readonly string[],
  depth: number,
  state: State,
  report: boolean,
): boolean {
  let tooLarge: Headerless | undefined;
  for (const format of named) {
    const result = decompress(bytes, format, state.budget);
    if (result.ok && result.bytes.length > 0) {
      const childPath = [...path, format];
      if (!enter(childPath, depth + 1, state)) return true;
      state.budget -= result.bytes.length;
      openBytes(result.bytes, childPath, depth + 1, state, true);
      return true;
    }
    if (!result.ok && result.reason === "too-large") tooLarge = format;
  }
  if (!report && tooLarge === undefined) return false;
  undecodable(
    [...path, named.join(" or ")],
    tooLarge !== undefined
      ? `${tooLarge} data expands beyond the ${state.budget}-byte decoding limit (possible decompression bomb); raise maxDecodedBytes to scan it`
      : `binary data in a layer that names ${named.join(" and ")} did not decompress as ${named.join(" or ")}`,
    state,
  );
  return true;
}

/** False (and a finding) when a layer would be deeper than `maxDepth`. */
function enter(path: readonly string[], depth: number, state: State): boolean {
  if (depth <= state.maxDepth) return true;
  undecodable(path, `encodings nested deeper than maxDepth (${state.maxDepth}) layers`, state);
  return false;
}

/** Takes `bytes` from the decoding budget; false (and one finding per scan) once it is spent. */
function charge(bytes: number, path: readonly string[], state: State): boolean {
  if (bytes <= state.budget) {
    state.budget -= bytes;
    return true;
  }
  if (!state.budgetReported) {
    state.budgetReported = true;
    undecodable(
      path,
      `decoding budget of ${state.maxDecodedBytes} bytes spent; raise maxDecodedBytes to scan further`,
      state,
    );
  }
  return false;
}

function undecodable(path: readonly string[], description: string, state: State): void {
  state.sink.findings.push({
    kind: "undecodable-layer",
    layer: path.length === 0 ? "raw" : path.join(" > "),
    line: 1,
    preview: "",
    description: `Could not open layer: ${description}`,
    fingerprint: "",
  });
  state.sink.values.push("");
}

function trimmedBounds(text: string): { start: number; end: number } {
  let start = 0;
  let end = text.length;
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return { start, end };
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function stripWhitespace(text: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    if (isSpace(text.charCodeAt(i))) {
      if (i > from) out += text.slice(from, i);
      from = i + 1;
    }
  }
  return out + text.slice(from);
}

function clampInt(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.floor(value)));
}
