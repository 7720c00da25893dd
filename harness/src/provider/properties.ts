/** Property helpers shared by the handlers: unknowns, comparison, auto-names, AWS error wrapping. */
import { randomInt } from "node:crypto";
import type { Props } from "./types";

/** The engine's marker for a value not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when `v` is, or contains, an unknown. */
export function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v !== null && typeof v === "object") return Object.values(v).some(containsUnknown);
  return false;
}

/** Parses a JSON document for comparison, also URL-encoded ones as IAM returns them; undefined if not JSON. */
export function parseJsonDocument(v: unknown): unknown {
  if (typeof v !== "string") return v;
  for (const text of [v, safeDecode(v)]) {
    try {
      return normalizeJson(JSON.parse(text));
    } catch {
      // not JSON in this form
    }
  }
  return undefined;
}

function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** IAM treats `"a"` and `["a"]` alike in policy documents; compare them alike. */
function normalizeJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 1 ? normalizeJson(v[0]) : v.map(normalizeJson);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v as Props)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, normalizeJson(x)]),
    );
  }
  return v;
}

/** Structural equality of JSON-like values. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a as Props).filter((k) => (a as Props)[k] !== undefined);
    const kb = Object.keys(b as Props).filter((k) => (b as Props)[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual((a as Props)[k], (b as Props)[k]));
  }
  return false;
}

/** Policy documents by meaning: `{"a":1}` and `{ "a": 1 }` are the same document. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  const pa = parseJsonDocument(a);
  const pb = parseJsonDocument(b);
  return pa !== undefined && pb !== undefined ? deepEqual(pa, pb) : a === b;
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** `<name>-<7 random lowercase alphanumerics>`, the real provider's auto-name, truncated to `maxLength`. */
export function autoName(name: string, maxLength: number): string {
  let suffix = "";
  for (let i = 0; i < 7; i++) suffix += ALPHABET[randomInt(ALPHABET.length)];
  return `${name.slice(0, Math.max(1, maxLength - 8))}-${suffix}`;
}

/** `namePrefix` + a unique suffix, as Terraform's `id.PrefixedUniqueId` builds it. */
export function prefixedName(prefix: string): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:TZ.]/g, "")
    .slice(0, 17);
  return `${prefix}${stamp}${String(randomInt(100_000_000)).padStart(8, "0")}`;
}

/** Drops undefined and null entries, so outputs hold only what exists. */
export function compact(p: Props): Props {
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined && v !== null));
}

/** Tags as a map, from AWS's `[{Key, Value}]`. */
export function tagMap(tags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? "";
  return out;
}

/**
 * `tags` and `tagsAll` of a read: the tags AWS holds, nothing else (no tags reads as none; the diff treats none and
 * `{}` alike, as the real provider does), so a tag added or removed out of band shows as drift.
 */
export function readTags(tags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): {
  tags: Record<string, string> | undefined;
  tagsAll: Record<string, string>;
} {
  const held = tagMap(tags);
  return { tags: Object.keys(held).length > 0 ? held : undefined, tagsAll: held };
}

/** Tags as AWS's `[{Key, Value}]`, from a map. */
export function tagList(tags: unknown): Array<{ Key: string; Value: string }> {
  return Object.entries((tags as Record<string, string> | undefined) ?? {}).map(([Key, Value]) => ({
    Key,
    Value: String(Value),
  }));
}

/** An error from AWS, reported with its code and message. */
export class AwsProviderError extends Error {
  readonly awsCode: string;
  constructor(operation: string, token: string, awsCode: string, awsMessage: string) {
    super(`${token}: ${operation} failed: ${awsCode}: ${awsMessage}`);
    this.awsCode = awsCode;
    this.name = "AwsProviderError";
  }
}

/** The AWS error code of an SDK v3 error. */
export function awsCode(err: unknown): string {
  const e = err as { name?: string; Code?: string; code?: string };
  return e.Code ?? e.name ?? e.code ?? "UnknownError";
}

/** True when the error means "no such resource". */
export function isNotFound(err: unknown): boolean {
  const code = awsCode(err);
  return (
    code === "NoSuchEntity" ||
    code === "NoSuchEntityException" ||
    code === "ResourceNotFoundException" ||
    code === "ClientException" ||
    code === "NoSuchBucket" ||
    code === "NoSuchHostedZone" ||
    /NotFound/.test(code)
  );
}

/** Returns undefined instead of throwing when the resource does not exist. */
export async function orNotFound<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Retries `work` while it fails with one of `codes` (eventual consistency), with bounded backoff. */
export async function retryOn<T>(codes: readonly string[], work: () => Promise<T>, attempts = 8): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (err) {
      if (i >= attempts || !codes.includes(awsCode(err))) throw err;
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** i)));
    }
  }
}

/** Reads a string property. */
export function str(p: Props, key: string): string | undefined {
  const v = p[key];
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** Reads a number property (the engine sends numbers; config may send numeric strings). */
export function num(p: Props, key: string): number | undefined {
  const v = p[key];
  if (typeof v === "number") return v;
  if (typeof v === "string" && v !== "" && !Number.isNaN(Number(v))) return Number(v);
  return undefined;
}

/** Reads a boolean property (Terraform-style "true"/"false" strings too). */
export function bool(p: Props, key: string): boolean | undefined {
  const v = p[key];
  if (typeof v === "boolean") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  return undefined;
}

/** Reads an object property. */
export function obj(p: Props, key: string): Props | undefined {
  const v = p[key];
  if (Array.isArray(v)) return (v[0] as Props | undefined) ?? undefined;
  return v !== null && typeof v === "object" ? (v as Props) : undefined;
}

/** Reads a string list property. */
export function strings(p: Props, key: string): string[] | undefined {
  const v = p[key];
  return Array.isArray(v) ? v.map(String) : undefined;
}

/** How a resource's tags change from `olds` to `news`: the keys to remove and the tags to set (new or changed). */
export function tagChanges(
  olds: Props,
  news: Props,
): { removed: string[]; changed: Array<{ Key: string; Value: string }> } {
  const before = (olds["tags"] as Record<string, string> | undefined) ?? {};
  const after = (news["tags"] as Record<string, string> | undefined) ?? {};
  return {
    removed: Object.keys(before).filter((k) => !(k in after)),
    changed: tagList(after).filter((t) => before[t.Key] !== t.Value),
  };
}

/** Applies {@link tagChanges} through a service's untag and tag calls, each only when there is something to send. */
export async function retagging(
  olds: Props,
  news: Props,
  tag: (tags: Array<{ Key: string; Value: string }>) => Promise<unknown>,
  untag: (keys: string[]) => Promise<unknown>,
): Promise<void> {
  const { removed, changed } = tagChanges(olds, news);
  if (removed.length > 0) await untag(removed);
  if (changed.length > 0) await tag(changed);
}
