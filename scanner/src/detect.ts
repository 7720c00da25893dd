// The line-level detector: one pass over a layer's text, by hand, with lookup tables: no regular
// expression, so no backtracking; every character is looked at a bounded number of times.
import { accessKeyIdRule, keyIdPrefixes, secretAccessKeyRule, sessionTokenPrefixes, sessionTokenRule } from "./rules";
import type { Finding } from "./types";

const ALNUM = 1;
const B64 = 2; // [A-Za-z0-9+/]
const UPPER = 4;
const LOWER = 8;
const IDENT = 16; // [A-Za-z0-9_.-]: characters of a context name
const GAP = 32; // what may stand between a name and its value: space, tab, quotes, = : , > ( [ {

const cls = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  let v = 0;
  if (ch >= "A" && ch <= "Z") v |= ALNUM | B64 | UPPER | IDENT;
  else if (ch >= "a" && ch <= "z") v |= ALNUM | B64 | LOWER | IDENT;
  else if (ch >= "0" && ch <= "9") v |= ALNUM | B64 | IDENT;
  if (ch === "+" || ch === "/") v |= B64;
  if (ch === "_" || ch === "." || ch === "-") v |= IDENT;
  if (" \t\"'`=:,>([{".includes(ch)) v |= GAP;
  cls[c] = v;
}
const classOf = (c: number): number => (c < 128 ? (cls[c] ?? 0) : 0);

/** Shortest base64 run worth decoding: the base64 of a bare 20-character key id is 28 characters. */
export const MIN_BLOB = 24;
const MAX_GAP = 12;
const MAX_NAME = 80;
/** A secret within this many lines after an access key id is a secret even without a name. */
const NEAR_KEY_ID_LINES = 3;
const MIN_SECRET_ENTROPY = 3.5;
const MIN_SESSION_TOKEN = 100;

/** A base64 run (possibly wrapped over several lines) that the layer walker may decode. */
export interface Blob {
  readonly start: number;
  readonly end: number;
  readonly line: number;
  /** True when the run spans several lines: whitespace must be removed before decoding. */
  readonly multiline: boolean;
  /**
   * Where the last merged line starts. A wrapped run is followed by a line that may or may not
   * belong to it (`EOF`, a YAML key): the walker retries without it when the whole does not decode.
   */
  readonly lastLineStart: number;
}

export interface DetectOptions {
  readonly allowExampleKeys: boolean;
  /** Detection stops once `out` holds this many findings. */
  readonly maxFindings: number;
}

interface Pending {
  readonly kind: "aws-secret-access-key" | "aws-session-token";
  readonly start: number;
  readonly line: number;
}

/** Finds credentials in one layer's text, and collects the base64 runs worth decoding. */
export function detect(text: string, layer: string, options: DetectOptions, out: Finding[]): Blob[] {
  const n = text.length;
  const blobs: Blob[] = [];
  let line = 1;
  let lineStart = 0;
  let lastKeyIdLine = Number.NEGATIVE_INFINITY;
  let pending: Pending[] = [];
  // The blob being built: a run that ended at the end of its line may continue on the next one.
  let blobStart = -1;
  let blobEnd = -1;
  let blobLine = 0;
  let blobLines = 0;
  let blobLastLine = -1;
  let blobContinues = false;

  const flushBlob = (): void => {
    if (blobStart >= 0 && blobEnd - blobStart >= MIN_BLOB) {
      blobs.push({
        start: blobStart,
        end: blobEnd,
        line: blobLine,
        multiline: blobLines > 1,
        lastLineStart: blobLastLine,
      });
    }
    blobStart = -1;
    blobContinues = false;
  };
  const endOfLine = (): void => {
    if (pending.length > 0) {
      for (const p of pending) {
        if (p.line - lastKeyIdLine <= NEAR_KEY_ID_LINES) {
          report(text, p.kind, p.start, p.line, layer, "next to an access key id", options, out);
        }
      }
      pending = [];
    }
  };

  let i = 0;
  while (i < n && out.length < options.maxFindings) {
    const c = text.charCodeAt(i);
    const k0 = c < 128 ? (cls[c] as number) : 0;
    if ((k0 & B64) === 0) {
      if (c === 10) {
        if (pending.length > 0) endOfLine();
        line++;
        lineStart = i + 1;
      } else if (blobContinues && c !== 13 && c !== 32 && c !== 9) {
        flushBlob();
      }
      i++;
      continue;
    }
    // A base64 run [s, e), then up to two '=' of padding.
    let s = i;
    let e = i + 1;
    let flags = k0;
    while (e < n) {
      const c2 = text.charCodeAt(e);
      const k = c2 < 128 ? (cls[c2] as number) : 0;
      if ((k & B64) === 0) break;
      flags |= k;
      e++;
    }
    let padEnd = e;
    while (padEnd < n && padEnd - e < 2 && text.charCodeAt(padEnd) === 61) padEnd++;
    // `\n`, `\t`, `\r` escapes (JSON strings, echo -e) separate words.
    if (s > 0 && text.charCodeAt(s - 1) === 92) {
      const c0 = text.charCodeAt(s);
      if (c0 === 110 || c0 === 116 || c0 === 114) s++;
    }
    i = e;
    if (s >= e) continue;
    const len = e - s;
    if (len < 20) {
      // Too short for any credential; only the blob bookkeeping.
      if (blobContinues && s === firstNonBlank(text, lineStart) && endsWrappedLine(text, e, padEnd)) {
        blobEnd = padEnd;
        blobLines++;
        blobLastLine = s;
      } else if (blobStart >= 0) {
        flushBlob();
      }
      blobContinues = false;
      continue;
    }

    keyIds(text, s, e, line, lineStart, layer, options, out, () => {
      lastKeyIdLine = line;
    });

    const mixed = (flags & UPPER) !== 0 && (flags & LOWER) !== 0;
    let reported = false;
    if ((len === 40 || len >= MIN_SESSION_TOKEN) && mixed && !isReference(text, s, lineStart)) {
      const kind = len === 40 ? "aws-secret-access-key" : "aws-session-token";
      const name = contextName(text, s, lineStart);
      const norm = name === undefined ? "" : normalise(name);
      let named = false;
      if (kind === "aws-secret-access-key") {
        if (norm.endsWith("secretaccesskey") || norm.endsWith("awssecretkey") || norm.endsWith("awssecret")) {
          named = true;
        } else if (norm.endsWith("secretkey")) {
          named = line - lastKeyIdLine <= NEAR_KEY_ID_LINES || lineMentionsAws(text, lineStart, s);
        }
      } else {
        named = sessionTokenRule.keywords.some((k) => norm.endsWith(k));
      }
      const entropyOk = kind === "aws-session-token" || entropy(text, s, e) >= MIN_SECRET_ENTROPY;
      if (entropyOk) {
        if (named) {
          report(text, kind, s, line, layer, `assigned to ${name}`, options, out);
          reported = true;
        } else if (kind === "aws-session-token" && sessionTokenPrefixes.some((p) => text.startsWith(p, s))) {
          report(text, kind, s, line, layer, "by its STS prefix", options, out);
          reported = true;
        } else {
          pending.push({ kind, start: s, line });
        }
      }
    }

    // Blob collection, across wrapped lines. A run reported as a credential is not decoded.
    if (reported) {
      if (blobStart >= 0) flushBlob();
      blobContinues = false;
      continue;
    }
    if (blobContinues && s === firstNonBlank(text, lineStart) && endsWrappedLine(text, e, padEnd)) {
      blobEnd = padEnd;
      blobLines++;
      blobLastLine = s;
    } else {
      flushBlob();
      blobStart = s;
      blobEnd = padEnd;
      blobLine = line;
      blobLines = 1;
      blobLastLine = -1;
    }
    blobContinues = padEnd === e && len >= 40 && len % 4 === 0 && atEndOfLine(text, e);
  }
  endOfLine();
  flushBlob();
  return blobs;
}

function keyIds(
  text: string,
  s: number,
  e: number,
  line: number,
  lineStart: number,
  layer: string,
  options: DetectOptions,
  out: Finding[],
  onFound: () => void,
): void {
  // Alphanumeric sub-runs of exactly 20 characters, bounded by '+', '/' or the run's edges.
  let j = s;
  while (j < e) {
    let k = j;
    while (k < e && (classOf(text.charCodeAt(k)) & ALNUM) !== 0) k++;
    if (k - j === 20) {
      const prefix = keyIdPrefixes[text.slice(j, j + 4)];
      if (prefix !== undefined && allUpperOrDigit(text, j + 4, k)) {
        let message: string | undefined;
        if (options.allowExampleKeys && text.startsWith("EXAMPLE", k - 7)) {
          // AWS documentation example: allowlisted.
        } else if (prefix.credential) {
          message = `${accessKeyIdRule.description} (${prefix.meaning})`;
        } else {
          const name = contextName(text, j, lineStart);
          if (name !== undefined && accessKeyIdRule.keywords.some((kw) => normalise(name).endsWith(kw))) {
            message = `${accessKeyIdRule.description} slot holding an IAM unique id (${prefix.meaning}), assigned to ${name}`;
          }
        }
        if (message !== undefined) {
          onFound();
          pushFinding(out, "aws-access-key-id", text, j, line, layer, message);
        }
      }
    }
    j = k + 1;
  }
}

function report(
  text: string,
  kind: "aws-secret-access-key" | "aws-session-token",
  start: number,
  line: number,
  layer: string,
  why: string,
  options: DetectOptions,
  out: Finding[],
): void {
  if (kind === "aws-secret-access-key" && options.allowExampleKeys && text.startsWith("EXAMPLEKEY", start + 30)) {
    return;
  }
  const rule = kind === "aws-secret-access-key" ? secretAccessKeyRule : sessionTokenRule;
  pushFinding(out, kind, text, start, line, layer, `${rule.description} ${why}`);
}

function pushFinding(
  out: Finding[],
  kind: Finding["kind"],
  text: string,
  start: number,
  line: number,
  layer: string,
  description: string,
): void {
  out.push({ kind, layer, line, preview: `${text.slice(start, start + 4)}…`, description });
}

function allUpperOrDigit(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57))) return false;
  }
  return true;
}

/** `$VAR`, `${VAR}`, `%VAR%`, `$env:VAR`: a reference, not a value. */
function isReference(text: string, s: number, lineStart: number): boolean {
  if (s <= lineStart) return false;
  const p = text.charCodeAt(s - 1);
  if (p === 36 /* $ */ || p === 37 /* % */) return true;
  if (p === 123 /* { */ && s - 2 >= lineStart && text.charCodeAt(s - 2) === 36) return true;
  if (p === 58 /* : */ && s - 5 >= lineStart && text.slice(s - 5, s).toLowerCase() === "$env:") return true;
  return false;
}

/** The name a value at `s` is assigned to: skips a short gap (`=`, `: "`, `", "`), then reads an identifier backwards. */
function contextName(text: string, s: number, lineStart: number): string | undefined {
  let j = s - 1;
  let gap = 0;
  while (j >= lineStart && gap < MAX_GAP && (classOf(text.charCodeAt(j)) & GAP) !== 0) {
    j--;
    gap++;
  }
  const end = j + 1;
  while (j >= lineStart && end - j <= MAX_NAME && (classOf(text.charCodeAt(j)) & IDENT) !== 0) j--;
  return end - (j + 1) > 0 ? text.slice(j + 1, end) : undefined;
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/[_.-]/g, "");
}

function lineMentionsAws(text: string, lineStart: number, s: number): boolean {
  let end = text.indexOf("\n", s);
  if (end < 0) end = text.length;
  return text.slice(lineStart, end).toLowerCase().includes("aws");
}

const counts = new Uint16Array(128);

/** Shannon entropy in bits per character of a base64 run (ASCII only). */
function entropy(text: string, s: number, e: number): number {
  counts.fill(0);
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i) & 127;
    counts[c] = (counts[c] as number) + 1;
  }
  const len = e - s;
  let h = 0;
  for (let c = 0; c < 128; c++) {
    const v = counts[c] as number;
    if (v === 0) continue;
    const p = v / len;
    h -= p * Math.log2(p);
  }
  return h;
}

function firstNonBlank(text: string, lineStart: number): number {
  let j = lineStart;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c !== 32 && c !== 9) break;
    j++;
  }
  return j;
}

/** Whether a run ending at `e` (padding up to `padEnd`) can be a line of wrapped base64: it must end its line or its quoted blob. */
function endsWrappedLine(text: string, e: number, padEnd: number): boolean {
  if (padEnd > e || e >= text.length) return true;
  const c = text.charCodeAt(e);
  return (
    c === 10 || c === 13 || c === 32 || c === 9 || c === 34 || c === 39 || c === 96 || c === 41 || c === 124 || c === 60
  );
}

function atEndOfLine(text: string, e: number): boolean {
  if (e >= text.length) return false;
  const c = text.charCodeAt(e);
  return c === 10 || (c === 13 && e + 1 < text.length && text.charCodeAt(e + 1) === 10);
}
