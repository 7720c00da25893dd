// Where keyless-scan's inputs come from: files and directories (honouring .gitignore), the files staged in
// git's index, and every blob reachable in git history. Each becomes a `Source` event; the detector is the
// one `scan()` (gitleaks' Fragment, in its terms), and formats stay at the edge.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import ignore, { type Ignore } from "ignore";
import { bytesToText, looksUtf16le, sniffCompression, unopenable } from "./codec";

/** One thing the CLI meets on its way through the inputs. */
export type SourceEvent =
  /** Content to scan. `commit` is set for blobs from git history. */
  | { readonly type: "scan"; readonly file: string; readonly commit?: string; readonly bytes: Buffer }
  /** Content over the size cap: not scanned, and reported as such (never skipped in silence). */
  | { readonly type: "too-large"; readonly file: string; readonly commit?: string; readonly size: number }
  /** Not scanned, by rule: binary data, an archive format the scanner cannot open, a symlink not followed. */
  | { readonly type: "skipped"; readonly file: string; readonly reason: string; readonly quiet?: boolean }
  /** Could not be read (the error's code, never content). */
  | { readonly type: "error"; readonly file: string; readonly code: string };

/** How much of a file is looked at to tell text from binary. */
const SAMPLE = 8192;

/**
 * Whether content is scanned: text, or a compressed format the detector opens (gzip, zlib, bzip2,
 * zstd). Other binary is skipped; a format recognised but not openable (xz, lz4) says which.
 */
export function classify(
  sample: Buffer,
): { readonly scan: true } | { readonly scan: false; readonly reason: string; readonly quiet: boolean } {
  const format = sniffCompression(sample);
  if (format !== undefined) {
    if (!unopenable.has(format)) return { scan: true };
    return { scan: false, reason: `${format} data, which this scanner cannot open`, quiet: false };
  }
  // NUL bytes mean binary (as git and grep judge), unless the text is UTF-16.
  if (sample.length === 0 || (bytesToText(sample) !== undefined && (!sample.includes(0) || looksUtf16le(sample)))) {
    return { scan: true };
  }
  return { scan: false, reason: "binary", quiet: true };
}

export interface WalkOptions {
  /** Files larger than this (bytes) are reported, not scanned. */
  readonly maxFileSize: number;
}

interface IgnoreLevel {
  readonly base: string;
  readonly ig: Ignore;
}

/**
 * A file or a directory. A directory is walked recursively in name order, skipping `.git` and what the
 * `.gitignore` files from the enclosing git work tree's root down say (matched by the `ignore` package,
 * the matcher eslint uses); symlinks are followed one level (one inside a directory reached through a
 * symlink is reported, not followed) and nothing is visited twice, so links cannot loop. A path named
 * explicitly is scanned even when ignored.
 */
export function* walkPath(input: string, options: WalkOptions): Generator<SourceEvent> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(input);
  } catch (err) {
    yield { type: "error", file: input, code: codeOf(err) };
    return;
  }
  const visited = new Set<string>();
  if (stat.isDirectory()) {
    yield* walkDirectory(input, ancestorIgnores(path.resolve(input)), false, visited, options);
  } else {
    yield* readFileEvent(input, stat, options);
  }
}

function* walkDirectory(
  dir: string,
  inherited: readonly IgnoreLevel[],
  viaSymlink: boolean,
  visited: Set<string>,
  options: WalkOptions,
): Generator<SourceEvent> {
  let real: string;
  let entries: fs.Dirent[];
  try {
    real = fs.realpathSync(dir);
    if (visited.has(real)) return;
    visited.add(real);
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    yield { type: "error", file: dir, code: codeOf(err) };
    return;
  }
  const levels = [...inherited];
  const own = loadIgnore(path.resolve(dir));
  if (own !== undefined) levels.push(own);
  // Name order, symlinks last: a file reached both ways is reported under its own name.
  entries.sort((a, b) => {
    const la = a.isSymbolicLink() ? 1 : 0;
    const lb = b.isSymbolicLink() ? 1 : 0;
    return la - lb || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  });
  for (const entry of entries) {
    if (entry.name === ".git") continue;
    const full = path.join(dir, entry.name);
    let isDir = entry.isDirectory();
    let stat: fs.Stats | undefined;
    if (entry.isSymbolicLink()) {
      if (viaSymlink) {
        yield { type: "skipped", file: full, reason: "symlink inside a symlinked directory (links are followed once)" };
        continue;
      }
      try {
        stat = fs.statSync(full);
      } catch {
        yield { type: "skipped", file: full, reason: "broken symlink" };
        continue;
      }
      isDir = stat.isDirectory();
    }
    if (isIgnored(path.resolve(full), isDir, levels)) continue;
    if (isDir) {
      yield* walkDirectory(full, levels, viaSymlink || entry.isSymbolicLink(), visited, options);
      continue;
    }
    if (!entry.isFile() && !(stat?.isFile() ?? false)) continue; // sockets, FIFOs, devices
    try {
      const realFile = fs.realpathSync(full);
      if (visited.has(realFile)) continue;
      visited.add(realFile);
      yield* readFileEvent(full, stat ?? fs.statSync(full), options);
    } catch (err) {
      yield { type: "error", file: full, code: codeOf(err) };
    }
  }
}

function* readFileEvent(file: string, stat: fs.Stats, options: WalkOptions): Generator<SourceEvent> {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, "r");
    const sample = Buffer.alloc(Math.min(SAMPLE, stat.size));
    const got = fs.readSync(fd, sample, 0, sample.length, 0);
    const kind = classify(sample.subarray(0, got));
    if (!kind.scan) {
      yield { type: "skipped", file, reason: kind.reason, quiet: kind.quiet };
      return;
    }
    if (stat.size > options.maxFileSize) {
      yield { type: "too-large", file, size: stat.size };
      return;
    }
    yield { type: "scan", file, bytes: fs.readFileSync(fd) };
  } catch (err) {
    yield { type: "error", file, code: codeOf(err) };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The `.gitignore` files from the enclosing git work tree's root down to `dir`'s parent. */
function ancestorIgnores(dir: string): IgnoreLevel[] {
  const chain: string[] = [];
  let d = path.dirname(dir);
  let top: string | undefined;
  if (fs.existsSync(path.join(dir, ".git"))) return [];
  for (;;) {
    chain.unshift(d);
    if (fs.existsSync(path.join(d, ".git"))) {
      top = d;
      break;
    }
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  if (top === undefined) return [];
  return chain.map(loadIgnore).filter((l): l is IgnoreLevel => l !== undefined);
}

function loadIgnore(dir: string): IgnoreLevel | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, ".gitignore"), "utf8");
  } catch {
    return undefined;
  }
  return { base: dir, ig: ignore().add(text) };
}

/** Git's order: each deeper `.gitignore` may ignore, or re-include with `!`, what the ones above decided. */
function isIgnored(full: string, isDir: boolean, levels: readonly IgnoreLevel[]): boolean {
  let ignored = false;
  for (const { base, ig } of levels) {
    const rel = path.relative(base, full).split(path.sep).join("/");
    if (rel === "" || rel.startsWith("..")) continue;
    const r = ig.test(isDir ? `${rel}/` : rel);
    if (r.ignored) ignored = true;
    else if (r.unignored) ignored = false;
  }
  return ignored;
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : "read error";
}

/** A git command failed: its message names the command and git's first line of explanation. */
export class GitError extends Error {}

function git(args: readonly string[], cwd: string, input?: string): Buffer {
  const res = spawnSync("git", args, { cwd, input, maxBuffer: 1 << 30 });
  if (res.error !== undefined) throw new GitError(`cannot run git: ${codeOf(res.error)}`);
  if (res.status !== 0) {
    const why = res.stderr.toString("utf8").trim().split("\n")[0] ?? "";
    throw new GitError(`git ${args[0]} failed: ${why}`);
  }
  return res.stdout;
}

interface BlobRef {
  readonly oid: string;
  readonly file: string;
  readonly commit?: string;
}

/** The files staged for commit (added, copied, modified, renamed), as the index holds them. */
export function* stagedFiles(cwd: string, options: WalkOptions): Generator<SourceEvent> {
  const top = git(["rev-parse", "--show-toplevel"], cwd).toString("utf8").trim();
  const raw = git(["diff", "--cached", "--raw", "-z", "--no-abbrev", "--no-renames", "--diff-filter=ACMR"], top);
  yield* readBlobs(parseRaw(raw.toString("utf8"), undefined), top, options);
}

/**
 * Every blob reachable in history (all refs), or in `range` (`main..feature`, a commit, a tag), each
 * distinct blob once, named by the first commit (oldest first) and path that added or changed it.
 */
export function* historyBlobs(cwd: string, range: string | undefined, options: WalkOptions): Generator<SourceEvent> {
  const top = git(["rev-parse", "--show-toplevel"], cwd).toString("utf8").trim();
  const args = ["log", "--reverse", "--format=%x00commit %H", "--raw", "--no-abbrev", "--no-renames", "-m"];
  args.push("--diff-filter=AMCR", "-z", "--end-of-options", range ?? "--all");
  if (range === undefined) args.splice(args.indexOf("--end-of-options"), 1);
  const refs = parseRaw(git(args, top).toString("utf8"), "commit ");
  const seen = new Set<string>();
  const distinct: BlobRef[] = [];
  for (const ref of refs) {
    if (seen.has(ref.oid)) continue;
    seen.add(ref.oid);
    distinct.push(ref);
  }
  yield* readBlobs(distinct, top, options);
}

/** Parses `git diff/log --raw -z` output: `:oldmode newmode oldoid newoid status\0path\0`, with `commit H` tokens. */
function parseRaw(out: string, commitPrefix: string | undefined): BlobRef[] {
  const refs: BlobRef[] = [];
  const tokens = out.split("\0");
  let commit: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = (tokens[i] ?? "").replace(/^\n+/, "");
    if (commitPrefix !== undefined && t.startsWith(commitPrefix)) {
      commit = t.slice(commitPrefix.length).trim();
      continue;
    }
    if (!t.startsWith(":")) continue;
    const fields = t.slice(1).split(" ");
    const file = tokens[++i] ?? "";
    const mode = fields[1] ?? "";
    const oid = fields[3] ?? "";
    // Regular files only: not symlinks (120000), submodules (160000) or deletions.
    if (!mode.startsWith("100") || /^0+$/.test(oid)) continue;
    refs.push(commit === undefined ? { oid, file } : { oid, file, commit });
  }
  return refs;
}

/** Reads blobs through `git cat-file`, sizes first, so a blob over the cap is never loaded. */
function* readBlobs(refs: readonly BlobRef[], top: string, options: WalkOptions): Generator<SourceEvent> {
  const CHUNK = 500;
  for (let from = 0; from < refs.length; from += CHUNK) {
    const chunk = refs.slice(from, from + CHUNK);
    const sizes = git(["cat-file", "--batch-check"], top, `${chunk.map((r) => r.oid).join("\n")}\n`)
      .toString("utf8")
      .split("\n");
    const wanted: BlobRef[] = [];
    for (const [i, ref] of chunk.entries()) {
      const size = Number((sizes[i] ?? "").split(" ")[2]);
      if (!Number.isFinite(size)) {
        yield { type: "error", file: ref.file, code: "missing blob" };
      } else if (size > options.maxFileSize) {
        const sample = firstBytes(top, ref.oid);
        const kind = classify(sample);
        if (kind.scan) yield withCommit({ type: "too-large", file: ref.file, size }, ref.commit);
        else yield { type: "skipped", file: ref.file, reason: kind.reason, quiet: kind.quiet };
      } else {
        wanted.push(ref);
      }
    }
    if (wanted.length === 0) continue;
    const out = git(["cat-file", "--batch"], top, `${wanted.map((r) => r.oid).join("\n")}\n`);
    let pos = 0;
    for (const ref of wanted) {
      const eol = out.indexOf(10, pos);
      const size = Number(out.subarray(pos, eol).toString("utf8").split(" ")[2]);
      const bytes = out.subarray(eol + 1, eol + 1 + size);
      pos = eol + 1 + size + 1;
      const kind = classify(bytes.subarray(0, SAMPLE));
      if (!kind.scan) {
        yield { type: "skipped", file: ref.file, reason: kind.reason, quiet: kind.quiet };
        continue;
      }
      yield withCommit({ type: "scan", file: ref.file, bytes: Buffer.from(bytes) }, ref.commit);
    }
  }
}

function firstBytes(top: string, oid: string): Buffer {
  const res = spawnSync("git", ["cat-file", "blob", oid], { cwd: top, maxBuffer: SAMPLE });
  return (res.stdout ?? Buffer.alloc(0)).subarray(0, SAMPLE);
}

function withCommit<T extends SourceEvent>(event: T, commit: string | undefined): T {
  return commit === undefined ? event : { ...event, commit };
}
