/** A minimal ZIP writer (stored entries) for Lambda code archives, and Pulumi asset/archive decoding. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { crc32 } from "node:zlib";

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";

/** Writes a ZIP of `files` (name → content), uncompressed. */
export function zip(files: ReadonlyMap<string, Buffer>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const nameBuf = Buffer.from(name, "utf8");
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(0, 8);
    local.writeUInt32LE(0, 10);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, nameBuf, data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x0314, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(0, 8);
    central.writeUInt32LE(0, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(0, 30);
    central.writeUInt32LE(0, 34);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBuf);
    offset += 30 + nameBuf.length + data.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.size, 8);
  end.writeUInt16LE(files.size, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
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
