// A small MIME multipart reader (RFC 2046), enough for cloud-init user data: top-level headers,
// the boundary, each part's headers and body. Linear in the input.

export interface MimePart {
  /** Header names in lower case. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
  /** The part's text as given (headers and body), for nested multiparts. */
  readonly whole: string;
}

export interface Multipart {
  readonly parts: readonly MimePart[];
}

const MAX_HEADER_BLOCK = 16 * 1024;

/** Reads `text` as a MIME multipart message, or returns undefined when it is not one. */
export function parseMultipart(text: string, maxParts = Number.POSITIVE_INFINITY): Multipart | undefined {
  const head = readHeaders(text, 0);
  if (head === undefined) return undefined;
  const contentType = head.headers.get("content-type");
  if (contentType === undefined || !contentType.toLowerCase().startsWith("multipart/")) return undefined;
  const boundary = param(contentType, "boundary");
  if (boundary === undefined || boundary.length === 0) return undefined;
  const delimiter = `--${boundary}`;
  const parts: MimePart[] = [];
  let partStart = -1;
  let pos = head.bodyStart;
  while (pos <= text.length) {
    let eol = text.indexOf("\n", pos);
    if (eol < 0) eol = text.length;
    const lineText = text.slice(pos, eol).trimEnd();
    if (lineText === delimiter || lineText === `${delimiter}--`) {
      if (partStart >= 0 && pos >= partStart) {
        // The line break before a delimiter belongs to the delimiter.
        let end = pos;
        if (end > partStart && text[end - 1] === "\n") end--;
        if (end > partStart && text[end - 1] === "\r") end--;
        parts.push(readPart(text.slice(partStart, end)));
      }
      if ((lineText.endsWith("--") && lineText !== delimiter) || parts.length > maxParts) break;
      partStart = eol + 1;
    }
    pos = eol + 1;
  }
  return parts.length > 0 ? { parts } : undefined;
}

function readPart(whole: string): MimePart {
  const head = readHeaders(whole, 0);
  if (head === undefined) return { headers: new Map(), body: whole, whole };
  return { headers: head.headers, body: whole.slice(head.bodyStart), whole };
}

/** Reads an RFC 822 header block starting at `from`; undefined when the text does not start with one. */
function readHeaders(text: string, from: number): { headers: Map<string, string>; bodyStart: number } | undefined {
  const headers = new Map<string, string>();
  let pos = from;
  let last: string | undefined;
  while (pos < text.length && pos - from < MAX_HEADER_BLOCK) {
    let eol = text.indexOf("\n", pos);
    if (eol < 0) eol = text.length;
    const raw = text.slice(pos, eol);
    const lineText = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (lineText.length === 0) return headers.size > 0 ? { headers, bodyStart: eol + 1 } : undefined;
    if ((lineText[0] === " " || lineText[0] === "\t") && last !== undefined) {
      headers.set(last, `${headers.get(last) ?? ""} ${lineText.trim()}`);
    } else {
      const colon = lineText.indexOf(":");
      if (colon <= 0 || !isToken(lineText.slice(0, colon))) return undefined;
      last = lineText.slice(0, colon).toLowerCase();
      headers.set(last, lineText.slice(colon + 1).trim());
    }
    pos = eol + 1;
  }
  return headers.size > 0 ? { headers, bodyStart: Math.min(pos, text.length) } : undefined;
}

function isToken(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95;
    if (!ok) return false;
  }
  return name.length > 0;
}

/** A parameter of a header value: `multipart/mixed; boundary="abc"` -> `abc`. */
export function param(value: string, name: string): string | undefined {
  for (const piece of value.split(";").slice(1)) {
    const eq = piece.indexOf("=");
    if (eq < 0) continue;
    if (piece.slice(0, eq).trim().toLowerCase() !== name) continue;
    let v = piece.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    return v;
  }
  return undefined;
}
