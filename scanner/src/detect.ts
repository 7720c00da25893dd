// The line-level detector: one pass over a layer's text, by hand, with lookup tables: no regular
// expression, so no backtracking; every character is looked at a bounded number of times.
import {
  accessKeyIdRule,
  keyIdPlaceholder,
  keyIdPrefixes,
  secretAccessKeyRule,
  secretPlaceholder,
  sessionTokenPrefixes,
  sessionTokenRule,
} from "./rules";
import type { Finding } from "./types";

const ALNUM = 1;
const B64 = 2; // [A-Za-z0-9+/]
const UPPER = 4;
const LOWER = 8;
const IDENT = 16; // [A-Za-z0-9_.-]: characters of a context name
const GAP = 32; // what may stand between a name and its value: space, tab, quotes, = : , > ( [ {
const HEX = 64; // [0-9A-Fa-f]

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
  if ((ch >= "0" && ch <= "9") || (ch >= "A" && ch <= "F") || (ch >= "a" && ch <= "f")) v |= HEX;
  cls[c] = v;
}
const classOf = (c: number): number => (c < 128 ? (cls[c] ?? 0) : 0);

/** Shortest base64 run worth decoding: the base64 of a bare 20-character key id is 28 characters. */
export const MIN_BLOB = 24;
/** Shortest hex run decoded as hex: the hex of a bare 20-character key id is 40 characters. */
export const MIN_HEX_BLOB = 40;
/** A percent-encoded span is decoded when it holds at least this many `%XX` escapes (`name%3Dvalue` has one). */
const MIN_PERCENT_ESCAPES = 1;
/** How far (characters) around a `value` field the scanner looks for the `name` field that labels it. */
const NEIGHBOUR_WINDOW = 256;
const MAX_GAP = 12;
const MAX_NAME = 80;
/** A secret within this many lines after an access key id is a secret even without a name. */
const NEAR_KEY_ID_LINES = 3;
const MIN_SECRET_ENTROPY = 3.5;
const MIN_SESSION_TOKEN = 100;

/**
 * A run that the layer walker may decode: base64 (possibly wrapped over several lines), hex digits
 * (possibly wrapped, as `xxd -p` prints them), or a percent-encoded span of one line.
 */
export interface Blob {
  readonly encoding: "base64" | "hex" | "percent";
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

/**
 * Where findings go. `values[i]` is the value behind `findings[i]` (empty for undecodable layers):
 * it never leaves the scanner; the walker uses it for the fingerprint and to drop a finding a
 * decoded layer repeats from the layer around it.
 */
export interface Sink {
  readonly findings: Finding[];
  readonly values: string[];
}

interface Pending {
  readonly kind: "aws-secret-access-key" | "aws-session-token";
  readonly start: number;
  readonly end: number;
  readonly line: number;
}

/** Field names that hold a value labelled by a neighbouring field (normalised). */
const VALUE_FIELDS: ReadonlySet<string> = new Set(["value", "parametervalue", "optionvalue"]);
/** Field names that label a neighbouring value field (normalised): ECS/Kubernetes `name`, tags' `Key`, CloudFormation `ParameterKey`, Beanstalk `OptionName`. */
const LABEL_FIELDS: ReadonlySet<string> = new Set(["name", "key", "parameterkey", "parametername", "optionname"]);

/** Finds credentials in one layer's text, and collects the runs worth decoding (base64, hex, percent-encoding). */
export function detect(text: string, layer: string, options: DetectOptions, out: Sink): Blob[] {
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
  let blobHex = false;
  // Percent-encoded spans already collected end here (a span is looked at once).
  let percentEnd = 0;

  const flushBlob = (): void => {
    if (blobStart >= 0 && blobEnd - blobStart >= MIN_BLOB) {
      const hex = blobHex && blobEnd - blobStart >= MIN_HEX_BLOB;
      blobs.push({
        encoding: hex ? "hex" : "base64",
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
          report(text, p.kind, p.start, p.end, p.line, layer, "next to an access key id", options, out);
        }
      }
      pending = [];
    }
  };

  let i = 0;
  while (i < n && out.findings.length < options.maxFindings) {
    const c = text.charCodeAt(i);
    const k0 = c < 128 ? (cls[c] as number) : 0;
    if ((k0 & B64) === 0) {
      if (c === 10) {
        if (pending.length > 0) endOfLine();
        line++;
        lineStart = i + 1;
      } else if (c === 37 /* % */ && i >= percentEnd && isPercentEscape(text, i)) {
        const span = percentSpan(text, i, Math.max(lineStart, percentEnd));
        percentEnd = span.end;
        if (span.escapes >= MIN_PERCENT_ESCAPES) {
          blobs.push({
            encoding: "percent",
            start: span.start,
            end: span.end,
            line,
            multiline: false,
            lastLineStart: -1,
          });
        }
      }
      if (blobContinues && c !== 10 && c !== 13 && c !== 32 && c !== 9) flushBlob();
      i++;
      continue;
    }
    // A base64 run [s, e), then up to two '=' of padding.
    let s = i;
    let e = i + 1;
    let flags = k0;
    let all = k0;
    while (e < n) {
      const c2 = text.charCodeAt(e);
      const k = c2 < 128 ? (cls[c2] as number) : 0;
      if ((k & B64) === 0) break;
      flags |= k;
      all &= k;
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
    const hexRun = (all & HEX) !== 0 && padEnd === e;
    const hexLine = hexRun && len % 2 === 0;
    // A line that is not hex ends a hex blob (`EOF` after `xxd -p` output) instead of joining it.
    if (blobContinues && blobHex && !hexLine) flushBlob();
    if (len < 20) {
      // Too short for any credential; only the blob bookkeeping.
      if (blobContinues && s === firstNonBlank(text, lineStart) && endsWrappedLine(text, e, padEnd)) {
        blobEnd = padEnd;
        blobLines++;
        blobLastLine = s;
        blobHex = blobHex && hexLine;
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
      let norm = name === undefined ? "" : normalise(name);
      let why = `assigned to ${name}`;
      if (VALUE_FIELDS.has(norm)) {
        // `{"name": "AWS_SECRET_ACCESS_KEY", "value": "..."}`: the label is in the neighbouring field.
        const label = neighbourLabel(text, s, e);
        if (label !== undefined) {
          norm = normalise(label);
          why = `in the ${name} field of a name/value pair labelled ${label}`;
        }
      }
      let named = false;
      if (kind === "aws-secret-access-key") {
        if (norm.endsWith("secretaccesskey") || norm.endsWith("awssecretkey") || norm.endsWith("awssecret")) {
          named = true;
        } else if (norm.endsWith("secretkey") || norm === "secret") {
          named = line - lastKeyIdLine <= NEAR_KEY_ID_LINES || namesAws(norm) || lineMentionsAws(text, lineStart, s);
          if (!named && enclosedByAws(text, lineStart)) {
            // The label is on the enclosing block: `provider "aws" {`, `[aws]`, a parent `aws:` key.
            named = true;
            why = `${why}, inside a block, section or parent key that names AWS`;
          }
        }
      } else {
        named = sessionTokenRule.keywords.some((k) => norm.endsWith(k));
      }
      // The public half of a signed request: a presigned URL's X-Amz-Security-Token.
      const publicHalf =
        kind === "aws-session-token" && norm.endsWith("xamzsecuritytoken") && signedRequestToken(text, s, e, lineStart);
      const entropyOk = kind === "aws-session-token" || entropy(text, s, e) >= MIN_SECRET_ENTROPY;
      if (entropyOk && !publicHalf) {
        if (named) {
          report(text, kind, s, e, line, layer, why, options, out);
          reported = true;
        } else if (kind === "aws-session-token" && sessionTokenPrefixes.some((p) => text.startsWith(p, s))) {
          report(text, kind, s, e, line, layer, "by its STS prefix", options, out);
          reported = true;
        } else {
          pending.push({ kind, start: s, end: e, line });
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
      blobHex = blobHex && hexLine;
    } else {
      flushBlob();
      blobStart = s;
      blobEnd = padEnd;
      blobLine = line;
      blobLines = 1;
      blobLastLine = -1;
      blobHex = hexLine;
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
  out: Sink,
  onFound: () => void,
): void {
  // Alphanumeric sub-runs of exactly 20 characters, bounded by '+', '/' or the run's edges.
  let j = s;
  while (j < e) {
    let k = j;
    while (k < e && (classOf(text.charCodeAt(k)) & ALNUM) !== 0) k++;
    if (k - j === 20) {
      const prefix = keyIdPrefixes[text.slice(j, j + 4)];
      if (prefix !== undefined && allBase32(text, j + 4, k)) {
        let message: string | undefined;
        if (options.allowExampleKeys && text.slice(j + 4, k).includes("EXAMPLE")) {
          // AWS documentation example (`…EXAMPLE`, gitleaks' allowlist), or one written after it: allowlisted.
        } else if (placeholderKeyId(text, j + 4, k) || signedRequestKeyId(text, j, k, lineStart)) {
          // Cannot be a real key (filler, mask, sequence, placeholder word), or the public half of a signed request.
        } else if (prefix.credential) {
          message = `${accessKeyIdRule.description} (${prefix.meaning})`;
        } else {
          let name = contextName(text, j, lineStart);
          if (name !== undefined && VALUE_FIELDS.has(normalise(name))) name = neighbourLabel(text, j, k) ?? name;
          if (name !== undefined && accessKeyIdRule.keywords.some((kw) => normalise(name).endsWith(kw))) {
            message = `${accessKeyIdRule.description} slot holding an IAM unique id (${prefix.meaning}), assigned to ${name}`;
          }
        }
        if (message !== undefined) {
          onFound();
          pushFinding(out, "aws-access-key-id", text, j, k, line, layer, message);
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
  end: number,
  line: number,
  layer: string,
  why: string,
  options: DetectOptions,
  out: Sink,
): void {
  if (kind === "aws-secret-access-key" && options.allowExampleKeys && text.startsWith("EXAMPLEKEY", start + 30)) {
    return;
  }
  // A mask or a placeholder is not a secret; checked here, on what is about to be reported, not on every candidate.
  if (kind === "aws-secret-access-key" && placeholderSecret(text, start, end, options.allowExampleKeys)) return;
  const rule = kind === "aws-secret-access-key" ? secretAccessKeyRule : sessionTokenRule;
  pushFinding(out, kind, text, start, end, line, layer, `${rule.description} ${why}`);
}

function pushFinding(
  out: Sink,
  kind: Finding["kind"],
  text: string,
  start: number,
  end: number,
  line: number,
  layer: string,
  description: string,
): void {
  // The fingerprint is filled in by the walker, which holds the key. Only a key id shows its first four characters
  // (AKIA/ASIA: which kind of key, nothing secret); no character of a secret key or session token is ever shown.
  const preview = kind === "aws-access-key-id" ? `${text.slice(start, start + 4)}…` : "";
  out.findings.push({ kind, layer, line, preview, description, fingerprint: "" });
  out.values.push(text.slice(start, end));
}

/**
 * The label of a `value` field at [s, e) from its neighbouring `name` field, within
 * `NEIGHBOUR_WINDOW` characters: the closest label before it in the same object or list item
 * (`{"name": "X", "value": ...}`, `- name: X\n  value: ...`), else the first one after it
 * (`{"value": ..., "name": "X"}`). A lookup stops at the edge of the object and at another value
 * field. Bounded, so the detector stays linear.
 */
function neighbourLabel(text: string, s: number, e: number): string | undefined {
  return (
    labelBefore(text, Math.max(0, s - NEIGHBOUR_WINDOW), s) ??
    labelAfter(text, e, Math.min(text.length, e + NEIGHBOUR_WINDOW))
  );
}

/** `{`, `}`, or a YAML list item's `-` (first on its line, then a space): another object starts or ends there. */
function isObjectEdge(text: string, j: number): boolean {
  const c = text.charCodeAt(j);
  if (c === 123 || c === 125) return true;
  if (c !== 45) return false;
  const next = text.charCodeAt(j + 1);
  if (next !== 32 && next !== 10) return false;
  for (let k = j - 1; k >= 0; k--) {
    const p = text.charCodeAt(k);
    if (p === 10) return true;
    if (p !== 32 && p !== 9) return false;
  }
  return true;
}

/** Whether [j, t) is a label field name (`name`, `Key`, `ParameterKey`, ...), without allocating for other words. */
function isLabelField(text: string, j: number, t: number): boolean {
  if (t - j < 3 || t - j > 16) return false;
  const c = text.charCodeAt(j) | 32;
  if (c !== 110 /* n */ && c !== 107 /* k */ && c !== 112 /* p */ && c !== 111 /* o */) return false;
  return LABEL_FIELDS.has(normalise(text.slice(j, t)));
}

/** Whether [j, t) is a value field name (`value`, `ParameterValue`, ...): a lookup stops there, the labels beyond belong to it. */
function isValueField(text: string, j: number, t: number): boolean {
  if (t - j < 5 || t - j > 16) return false;
  const c = text.charCodeAt(j) | 32;
  if (c !== 118 /* v */ && c !== 112 /* p */ && c !== 111 /* o */) return false;
  return VALUE_FIELDS.has(normalise(text.slice(j, t)));
}

/** The token a label field at [j, t) assigns (`name: X`, `"Key": "X"`, `name = "X"`), if any, up to `to`. */
function labelValue(text: string, t: number, to: number): string | undefined {
  let g = t;
  let sawSeparator = false;
  while (g < to && g - t < MAX_GAP && (classOf(text.charCodeAt(g)) & GAP) !== 0) {
    const cg = text.charCodeAt(g);
    // `name: X`, `name = X`, and XML's `<name>X</name>`.
    if (cg === 58 || cg === 61 || cg === 62) sawSeparator = true;
    g++;
  }
  let v = g;
  while (v < to && v - g <= MAX_NAME && (classOf(text.charCodeAt(v)) & IDENT) !== 0) v++;
  return sawSeparator && v > g ? text.slice(g, v) : undefined;
}

/** The closest label in [from, s), walking back from `s` and stopping at the edge of the object. */
function labelBefore(text: string, from: number, s: number): string | undefined {
  let j = s - 1;
  let ownField = false;
  while (j >= from) {
    const c = text.charCodeAt(j);
    if ((classOf(c) & IDENT) === 0 || (c === 45 && isObjectEdge(text, j))) {
      if (isObjectEdge(text, j)) return undefined;
      j--;
      continue;
    }
    // A word ending at j: find its start, then see whether it is a label field.
    const t = j + 1;
    while (
      j >= from &&
      (classOf(text.charCodeAt(j)) & IDENT) !== 0 &&
      !(text.charCodeAt(j) === 45 && isObjectEdge(text, j))
    )
      j--;
    if (isLabelField(text, j + 1, t)) {
      const label = labelValue(text, t, s);
      if (label !== undefined) return label;
    } else if (isValueField(text, j + 1, t)) {
      // The first is the candidate's own field; another one owns the labels beyond it.
      if (ownField) return undefined;
      ownField = true;
    }
  }
  return undefined;
}

/** The first label in [e, to), stopping at the edge of the object. */
function labelAfter(text: string, e: number, to: number): string | undefined {
  let j = e;
  while (j < to) {
    const c = text.charCodeAt(j);
    if (isObjectEdge(text, j)) return undefined;
    if ((classOf(c) & IDENT) === 0) {
      j++;
      continue;
    }
    let t = j;
    while (t < to && (classOf(text.charCodeAt(t)) & IDENT) !== 0) t++;
    if (isLabelField(text, j, t)) {
      const label = labelValue(text, t, to);
      if (label !== undefined) return label;
    } else if (isValueField(text, j, t)) {
      return undefined;
    }
    j = t;
  }
  return undefined;
}

function isHexDigit(c: number): boolean {
  return c < 128 && ((cls[c] as number) & HEX) !== 0;
}

/** `%XX` at `i`. */
function isPercentEscape(text: string, i: number): boolean {
  return isHexDigit(text.charCodeAt(i + 1)) && isHexDigit(text.charCodeAt(i + 2));
}

/** Characters that end a percent-encoded span: whitespace, quotes, `<`, `>`, and `&`/`;` between query parameters are kept. */
function endsSpan(c: number): boolean {
  return c <= 32 || c === 34 || c === 39 || c === 96 || c === 60 || c === 62 || c >= 127;
}

/**
 * The percent-encoded span around the escape at `at`: back to `from` or the previous space or quote,
 * forward to the next one. Returns its bounds and how many `%XX` escapes it holds.
 */
function percentSpan(text: string, at: number, from: number): { start: number; end: number; escapes: number } {
  let start = at;
  while (start > from && !endsSpan(text.charCodeAt(start - 1))) start--;
  let escapes = 0;
  let end = at;
  while (end < text.length && !endsSpan(text.charCodeAt(end))) {
    if (text.charCodeAt(end) === 37 && isPercentEscape(text, end)) {
      escapes++;
      end += 3;
    } else {
      end++;
    }
  }
  return { start, end, escapes };
}

/** `A-Z` and `2-7`: the alphabet of the 16 characters after a key id's prefix (0, 1, 8, 9 are never in one). */
function allBase32(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 50 && c <= 55))) return false;
  }
  return true;
}

/** Whether the 16 characters [from, to) after a key id's prefix are a placeholder (see `keyIdPlaceholder`). */
function placeholderKeyId(text: string, from: number, to: number): boolean {
  let run = 1;
  let up = 1;
  let down = 1;
  for (let i = from + 1; i < to; i++) {
    const d = text.charCodeAt(i) - text.charCodeAt(i - 1);
    run = d === 0 ? run + 1 : 1;
    up = d === 1 ? up + 1 : 1;
    down = d === -1 ? down + 1 : 1;
    if (run >= keyIdPlaceholder.maxRun || up >= keyIdPlaceholder.maxSequence || down >= keyIdPlaceholder.maxSequence) {
      return true;
    }
  }
  if (entropy(text, from, to) < keyIdPlaceholder.minBodyEntropy) return true;
  const body = text.slice(from, to);
  return keyIdPlaceholder.words.some((w) => body.includes(w));
}

/** Whether the secret candidate [s, e) is a mask or a placeholder (see `secretPlaceholder`). */
function placeholderSecret(text: string, s: number, e: number, allowExample: boolean): boolean {
  // One pass, no allocation: a run of one character, or a placeholder word starting here (compared without case only
  // where the character is the first letter of a word).
  let run = 1;
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i);
    if (i > s) {
      run = c === text.charCodeAt(i - 1) ? run + 1 : 1;
      if (run >= secretPlaceholder.maxRun) return true;
    }
    const words = c < 128 ? PLACEHOLDER_BY_FIRST[c | 32] : undefined;
    if (words !== undefined) {
      for (const w of words) {
        if ((allowExample || w !== "example") && i + w.length <= e && startsWithLower(text, i, w)) return true;
      }
    }
  }
  return false;
}

/** Placeholder words by the char code of their first letter; `example` only while examples are allowlisted. */
const PLACEHOLDER_BY_FIRST: (readonly string[] | undefined)[] = [];
for (const w of [...secretPlaceholder.words, "example"]) {
  const c = w.charCodeAt(0);
  PLACEHOLDER_BY_FIRST[c] = [...(PLACEHOLDER_BY_FIRST[c] ?? []), w];
}

/** Whether `text` at `i` holds `word` (lower case), compared without case. */
function startsWithLower(text: string, i: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) {
    if ((text.charCodeAt(i + k) | 32) !== word.charCodeAt(k)) return false;
  }
  return true;
}

/** Case-insensitive `word` ending at `end` (exclusive), at or after `from`. */
function endsWithWord(text: string, end: number, from: number, word: string): boolean {
  const start = end - word.length;
  return start >= from && text.slice(start, end).toLowerCase() === word;
}

/** `/` or `%2F` then eight digits then `/` or `%2F` at `k`: the date of a SigV4 credential scope. */
function credentialScopeAt(text: string, k: number): boolean {
  let p = k;
  if (text.charCodeAt(p) === 47) p++;
  else if (text.charCodeAt(p) === 37 && text.slice(p + 1, p + 3).toLowerCase() === "2f") p += 3;
  else return false;
  for (let d = 0; d < 8; d++, p++) {
    const c = text.charCodeAt(p);
    if (c < 48 || c > 57) return false;
  }
  return text.charCodeAt(p) === 47 || (text.charCodeAt(p) === 37 && text.slice(p + 1, p + 3).toLowerCase() === "2f");
}

/** How far (characters) from a key id or token the rest of its signed request (`Signature=`, ...) is looked for. */
const SIGNED_REQUEST_WINDOW = 512;

/** The line around [s, e), at most `SIGNED_REQUEST_WINDOW` characters either side, lower case. */
function around(text: string, s: number, e: number, lineStart: number): string {
  const from = Math.max(lineStart, s - SIGNED_REQUEST_WINDOW);
  const window = text.slice(from, Math.min(text.length, e + SIGNED_REQUEST_WINDOW));
  const eol = window.indexOf("\n", e - from);
  return (eol < 0 ? window : window.slice(0, eol)).toLowerCase();
}

/**
 * Whether the key id at [j, k) is the public half of a signed request, sent in clear with it: the `Credential=` of a
 * SigV4 credential scope (`X-Amz-Credential=<id>/<date>/<region>/<service>/aws4_request` in a presigned URL,
 * `Authorization: AWS4-HMAC-SHA256 Credential=<id>/<date>/...` in an SDK's debug log), or the `AWSAccessKeyId=` of a
 * SigV2 presigned URL (with `Expires=` and `Signature=`).
 */
function signedRequestKeyId(text: string, j: number, k: number, lineStart: number): boolean {
  const eq = text.charCodeAt(j - 1) === 61 ? j - 1 : text.slice(j - 3, j).toLowerCase() === "%3d" ? j - 3 : -1;
  if (eq < 0) return false;
  if (endsWithWord(text, eq, lineStart, "credential")) return credentialScopeAt(text, k);
  if (endsWithWord(text, eq, lineStart, "awsaccesskeyid")) {
    const c = text.charCodeAt(eq - 15);
    if (c !== 63 /* ? */ && c !== 38 /* & */ && c !== 59 /* ; */) return false;
    const near = around(text, j, k, lineStart);
    return near.includes("signature=") && near.includes("expires=");
  }
  return false;
}

/**
 * Whether a token assigned to `X-Amz-Security-Token` at [s, e) travels in a signed request (a presigned URL's
 * `X-Amz-Signature`/`Signature=`, or an `AWS4-HMAC-SHA256` Authorization beside it): the public half, sent in clear.
 */
function signedRequestToken(text: string, s: number, e: number, lineStart: number): boolean {
  const near = around(text, s, e, lineStart);
  if (near.includes("signature=") || near.includes("aws4-hmac-sha256")) return true;
  // A header block: the Authorization header is on a neighbouring line.
  const before = text.slice(Math.max(0, lineStart - SIGNED_REQUEST_WINDOW), lineStart).toLowerCase();
  const next = text.slice(e, Math.min(text.length, e + 2 * SIGNED_REQUEST_WINDOW)).toLowerCase();
  return before.includes("aws4-hmac-sha256") || next.includes("aws4-hmac-sha256");
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

/** A name or label that names AWS (`aws_secret`, `fs.s3a.secret.key`: S3 is AWS's). */
function namesAws(norm: string): boolean {
  return norm.includes("aws") || norm.startsWith("s3") || norm.includes("s3a");
}

/** How far back (characters) the enclosing block, section or parent key of a value is looked for. */
const ENCLOSING_WINDOW = 2048;

/**
 * Whether the line at `lineStart` sits inside a block, section or parent key that names AWS, looking back at most
 * `ENCLOSING_WINDOW` characters: an HCL block (`provider "aws" {`, `backend "s3" {`), a TOML table or INI section
 * (`[aws]`, `[aws.credentials]`, `[s3]`), a YAML/TOML parent key at lower indentation (`aws:`, `s3:`). The first
 * enclosing line decides for each indentation level up to the top level; a top-level line or section ends the search.
 */
function enclosedByAws(text: string, lineStart: number): boolean {
  const from = Math.max(0, lineStart - ENCLOSING_WINDOW);
  let indent = indentation(text, lineStart);
  let end = lineStart - 1;
  while (end > from) {
    let start = end;
    while (start > from && text.charCodeAt(start - 1) !== 10) start--;
    const lineIndent = indentation(text, start);
    const first = text.charCodeAt(start + lineIndent);
    const blank = start + lineIndent >= end || first === 35 /* # */ || first === 59 /* ; */;
    if (!blank) {
      const content = text.slice(start + lineIndent, end).trimEnd();
      const section = first === 91 /* [ */ && content.endsWith("]");
      const opener =
        content.endsWith("{") ||
        content.endsWith(":") ||
        // An XML element that opens and does not close on its line: `<aws>`, `<credentials provider="aws">`.
        (first === 60 && !content.startsWith("</") && !content.includes("</") && !content.endsWith("/>"));
      if (section || (lineIndent < indent && opener) || (lineIndent === 0 && indent === 0 && section)) {
        if (/\baws\b|\baws[_.-]|["'.[]s3a?\b|\bs3:/i.test(content)) return true;
        if (section || lineIndent === 0) return false;
        indent = lineIndent;
      } else if (lineIndent < indent) {
        // A sibling at lower indentation that opens nothing: the value is not inside a block.
        if (content.endsWith("}")) return false;
      }
    }
    end = start - 1;
  }
  return false;
}

function indentation(text: string, lineStart: number): number {
  let j = lineStart;
  while (j < text.length && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) j++;
  return j - lineStart;
}

function lineMentionsAws(text: string, lineStart: number, s: number): boolean {
  let end = text.indexOf("\n", s);
  if (end < 0) end = text.length;
  return text.slice(lineStart, end).toLowerCase().includes("aws");
}

const counts = new Uint16Array(128);
/** v * log2(v) for the counts a 40-character candidate can have. */
const V_LOG2_V = Float64Array.from({ length: 41 }, (_, v) => (v === 0 ? 0 : v * Math.log2(v)));

/** Shannon entropy in bits per character of a base64 run (ASCII only). */
function entropy(text: string, s: number, e: number): number {
  // H = log2(n) - (1/n) * sum(v * log2(v)) over the counts v. The second pass visits the candidate's own characters
  // (each distinct one once: its count is cleared as it is summed), not the whole alphabet.
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i) & 127;
    counts[c] = (counts[c] as number) + 1;
  }
  let sum = 0;
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i) & 127;
    const v = counts[c] as number;
    if (v === 0) continue;
    sum += v < V_LOG2_V.length ? (V_LOG2_V[v] as number) : v * Math.log2(v);
    counts[c] = 0;
  }
  const n = e - s;
  return Math.log2(n) - sum / n;
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
