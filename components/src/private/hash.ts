import { createHash } from "node:crypto";

/**
 * The first `length` hex characters of the SHA-256 of `text`: a short, stable identity for names.
 * @internal
 */
export function shortHash(text: string, length = 8): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}
