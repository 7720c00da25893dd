// The one engine: every entry point (components, policy pack, CLI) goes through `scan`.
// It looks through layers, bounded in depth and in decoded bytes, and reports what it finds in each.
import { bytesToText, decodeBase64, decodeQuotedPrintable, gunzip, isGzip } from "./codec";
import { detect } from "./detect";
import { type MimePart, parseMultipart } from "./mime";
import type { Finding, ScanOptions } from "./types";

/** @see ScanOptions.maxDepth */
export const DEFAULT_MAX_DEPTH = 8;
/** @see ScanOptions.maxDecodedBytes */
export const DEFAULT_MAX_DECODED_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_FINDINGS = 1000;

/** Cloud-init user data has a handful of parts; past this many, the rest is reported, not opened. */
export const MAX_MIME_PARTS = 1000;

/** A wrapped run's last line this short may be a word (`EOF`, `fi`, `done`) rather than base64: retried without it. */
const MAX_TRAILING_WORD = 8;

interface State {
  readonly findings: Finding[];
  readonly maxDepth: number;
  readonly maxDecodedBytes: number;
  readonly allowExampleKeys: boolean;
  budget: number;
  budgetReported: boolean;
  readonly maxFindings: number;
  /** Set once the findings cap is reached: nothing more is scanned. */
  stopped: boolean;
}

/**
 * Scans text or bytes for AWS credentials, looking through base64, gzip, MIME multipart (base64 and
 * quoted-printable parts), cloud-init `write_files` content and base64 runs embedded in scripts.
 * Findings never hold a value: at most its first four characters.
 *
 * Never throws on any input; runs in time linear in the input plus the bytes it decodes.
 */
export function scan(input: string | Uint8Array, options: ScanOptions = {}): readonly Finding[] {
  const state: State = {
    findings: [],
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
    const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    if (isGzip(bytes)) {
      openGzip(bytes, [], 0, state);
    } else {
      walkText(bytesToText(bytes) ?? bytes.toString("latin1"), [], 0, state);
    }
  }
  return state.findings;
}

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
  const blobs = detect(
    text,
    layer,
    { allowExampleKeys: state.allowExampleKeys, maxFindings: state.maxFindings },
    state.findings,
  );
  if (state.findings.length >= state.maxFindings) {
    state.stopped = true;
    undecodable(path, `more than ${state.maxFindings} findings; the rest of the input was not scanned`, state);
    return;
  }
  const whole = trimmedBounds(text);
  for (const blob of blobs) {
    const raw = text.slice(blob.start, blob.end);
    const encoded = blob.multiline ? stripWhitespace(raw) : raw;
    const label = blob.start === whole.start && blob.end === whole.end ? "base64" : `base64 (line ${blob.line})`;
    const childPath = [...path, label];
    if (!charge(Math.ceil((encoded.length * 3) / 4), childPath, state)) return;
    const shorter =
      blob.multiline && blob.lastLineStart > blob.start && blob.end - blob.lastLineStart <= MAX_TRAILING_WORD
        ? () => {
            const alt = stripWhitespace(text.slice(blob.start, blob.lastLineStart));
            return charge(Math.ceil((alt.length * 3) / 4), childPath, state) ? decodeBase64(alt) : undefined;
          }
        : undefined;
    openBytes(decodeBase64(encoded), childPath, depth + 1, state, false, shorter);
  }
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

/** Decoded bytes: gzip is opened, text is walked, binary is left alone. */
function openBytes(
  bytes: Buffer,
  path: readonly string[],
  depth: number,
  state: State,
  binaryAsText: boolean,
  fallback?: Fallback,
): void {
  if (isGzip(bytes)) {
    if (enter(path, depth, state)) openGzip(bytes, path, depth, state, fallback);
    return;
  }
  const text = bytesToText(bytes) ?? (binaryAsText ? bytes.toString("latin1") : undefined);
  if (text === undefined) {
    const alt = fallback?.();
    if (alt !== undefined) openBytes(alt, path, depth, state, binaryAsText);
    return;
  }
  if (enter(path, depth, state)) walkText(text, path, depth, state);
}

function openGzip(bytes: Buffer, path: readonly string[], depth: number, state: State, fallback?: Fallback): void {
  const childPath = [...path, "gzip"];
  if (!enter(childPath, depth + 1, state)) return;
  const result = gunzip(bytes, state.budget);
  if (!result.ok && result.reason === "corrupt" && fallback !== undefined) {
    const alt = fallback();
    if (alt !== undefined) {
      openBytes(alt, path, depth, state, true);
      return;
    }
  }
  if (!result.ok) {
    undecodable(
      childPath,
      result.reason === "too-large"
        ? `gzip data expands beyond the ${state.budget}-byte decoding limit (possible decompression bomb); raise maxDecodedBytes to scan it`
        : "gzip data is corrupt or truncated",
      state,
    );
    return;
  }
  state.budget -= result.bytes.length;
  openBytes(result.bytes, childPath, depth + 1, state, true);
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
  state.findings.push({
    kind: "undecodable-layer",
    layer: path.length === 0 ? "raw" : path.join(" > "),
    line: 1,
    preview: "",
    description: `Could not open layer: ${description}`,
  });
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
