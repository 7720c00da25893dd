/** Lambda code archives: Pulumi asset/archive values decoded and zipped. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { zipSync } from "fflate";

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";

/** A ZIP of `files` (name → content), with a fixed timestamp (the DOS epoch, plus a day for any time zone) so equal content gives equal bytes. */
export function zip(files: ReadonlyMap<string, Buffer>): Buffer {
  const entries: Record<string, [Uint8Array, { mtime: Date }]> = {};
  for (const [name, data] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    entries[name] = [data, { mtime: new Date("1980-01-02T00:00:00Z") }];
  }
  return Buffer.from(zipSync(entries, { level: 6 }));
}

function assetBytes(asset: Record<string, unknown>): Buffer {
  if (typeof asset["text"] === "string") return Buffer.from(asset["text"], "utf8");
  if (typeof asset["path"] === "string") return readFileSync(asset["path"]);
  throw new Error("only StringAsset and FileAsset are supported in Lambda code (no RemoteAsset)");
}

function addDir(files: Map<string, Buffer>, dir: string, prefix: string): void {
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    const rel = prefix ? `${prefix}/${entry}` : entry;
    if (statSync(full).isDirectory()) addDir(files, full, rel);
    else files.set(rel, readFileSync(full));
  }
}

/** The ZIP bytes of a Pulumi archive value (AssetArchive of assets, FileArchive of a directory or a .zip). */
export function archiveToZip(value: unknown): Buffer {
  const a = value as Record<string, unknown> | undefined;
  if (!a || a[SIG_KEY] !== ARCHIVE_SIG) throw new Error("`code` must be a pulumi.asset.Archive");
  if (typeof a["path"] === "string") {
    const p = a["path"];
    if (statSync(p).isDirectory()) {
      const files = new Map<string, Buffer>();
      addDir(files, p, "");
      return zip(files);
    }
    if (p.endsWith(".zip")) return readFileSync(p);
    throw new Error(`FileArchive ${p}: only directories and .zip files are supported`);
  }
  const assets = a["assets"] as Record<string, Record<string, unknown>> | undefined;
  if (assets) {
    const files = new Map<string, Buffer>();
    for (const [name, asset] of Object.entries(assets)) {
      if (asset[SIG_KEY] === ASSET_SIG) files.set(name, assetBytes(asset));
      else if (asset[SIG_KEY] === ARCHIVE_SIG && typeof asset["path"] === "string") addDir(files, asset["path"], name);
      else throw new Error(`AssetArchive entry ${name}: unsupported nested value`);
    }
    return zip(files);
  }
  throw new Error("RemoteArchive is not supported in Lambda code");
}
