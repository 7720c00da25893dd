#!/usr/bin/env node
// keyless-scan [options] PATH...   (`-` reads standard input; directories are walked honouring .gitignore)
// keyless-scan --staged | --git [RANGE]
// Exit 0: nothing found; 1: something found; 2: usage or read error.
import { readFileSync, statSync } from "node:fs";
import { type FileResult, formatReport, type OutputFormat, outputFormats, summarise } from "./report";
import { scan, undecodableFinding } from "./scan";
import { GitError, historyBlobs, type SourceEvent, stagedFiles, walkPath } from "./sources";
import type { Finding, ScanOptions } from "./types";

/** Where the CLI reads and writes; tests pass their own. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Reads a path named on the command line that is not a directory (and is how tests inject read errors). */
  readonly readFile: (path: string) => Uint8Array;
  readonly readStdin: () => Uint8Array;
  /** The working directory for `--staged` and `--git`. */
  readonly cwd?: string;
}

export const EXIT_CLEAN = 0;
export const EXIT_FOUND = 1;
export const EXIT_USAGE = 2;

/** Files larger than this are reported as not scanned (`--max-file-size`). */
export const DEFAULT_MAX_FILE_SIZE = 16 * 1024 * 1024;

const USAGE = `usage: keyless-scan [options] PATH...     scan files and directories (- is standard input)
       keyless-scan [options] --staged      scan the files staged in git's index
       keyless-scan [options] --git [RANGE] scan every blob in git history (all refs, or RANGE)
  Finds AWS access key ids, secret access keys and session tokens, through base64, hex, percent-encoding,
  gzip/zlib, MIME multipart and cloud-init layers. Values are never printed.
options:
  --format text|json        output format (default text); --json is --format json
  --max-depth N             encoding layers opened below the input (default 8)
  --max-decoded-bytes N     bytes all decoders together may produce per file (default 8388608)
  --max-file-size N         larger files are reported as not scanned (default ${DEFAULT_MAX_FILE_SIZE})
Directories are walked recursively, honouring .gitignore; binary files are skipped unless compressed in a
format the scanner opens; symlinks are followed once.
Exit status: 0 nothing found, 1 something found, 2 usage or read error.`;

type Mode =
  | { readonly kind: "paths"; readonly paths: readonly string[] }
  | { readonly kind: "staged" }
  | { readonly kind: "git"; readonly range?: string };

interface Parsed {
  readonly format: OutputFormat;
  readonly mode: Mode;
  readonly options: ScanOptions;
  readonly maxFileSize: number;
}

function parse(argv: readonly string[]): Parsed | string {
  let format: OutputFormat = "text";
  const paths: string[] = [];
  let staged = false;
  let git = false;
  let range: string | undefined;
  let maxDepth: number | undefined;
  let maxDecodedBytes: number | undefined;
  let maxFileSize = DEFAULT_MAX_FILE_SIZE;
  let onlyPaths = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (onlyPaths || arg === "-" || !arg.startsWith("-")) {
      paths.push(arg);
    } else if (arg === "--") {
      onlyPaths = true;
    } else if (arg === "--json") {
      format = "json";
    } else if (arg === "--format") {
      const value = argv[++i];
      if (value === undefined || !(outputFormats as readonly string[]).includes(value)) {
        return `--format needs one of ${outputFormats.join(", ")}${value === undefined ? "" : `, not ${JSON.stringify(value)}`}`;
      }
      format = value as OutputFormat;
    } else if (arg === "--staged") {
      staged = true;
    } else if (arg === "--git") {
      git = true;
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith("-")) {
        range = next;
        i++;
      }
    } else if (arg === "--max-depth" || arg === "--max-decoded-bytes" || arg === "--max-file-size") {
      const value = argv[++i];
      const n = value === undefined ? Number.NaN : Number(value);
      if (!Number.isInteger(n) || n < 0)
        return `${arg} needs a non-negative integer${value === undefined ? "" : `, not ${JSON.stringify(value)}`}`;
      if (arg === "--max-depth") maxDepth = n;
      else if (arg === "--max-decoded-bytes") maxDecodedBytes = n;
      else maxFileSize = n;
    } else if (arg === "-h" || arg === "--help") {
      return "";
    } else {
      return `unknown option ${arg}`;
    }
  }
  if (staged && git) return "--staged and --git cannot be combined";
  if ((staged || git) && paths.length > 0) return `${staged ? "--staged" : "--git"} takes no PATH (got ${paths[0]})`;
  let mode: Mode;
  if (staged) mode = { kind: "staged" };
  else if (git) mode = range === undefined ? { kind: "git" } : { kind: "git", range };
  else if (paths.length === 0) return "no PATH given (or --staged, or --git)";
  else mode = { kind: "paths", paths };
  return { format, mode, options: { maxDepth, maxDecodedBytes }, maxFileSize };
}

/** The inputs of a run, as source events. */
function* sources(parsed: Parsed, io: CliIo): Generator<SourceEvent> {
  const walk = { maxFileSize: parsed.maxFileSize };
  const cwd = io.cwd ?? process.cwd();
  if (parsed.mode.kind === "staged") {
    yield* stagedFiles(cwd, walk);
    return;
  }
  if (parsed.mode.kind === "git") {
    yield* historyBlobs(cwd, parsed.mode.range, walk);
    return;
  }
  let stdinRead = false;
  for (const path of parsed.mode.paths) {
    if (path === "-") {
      yield { type: "scan", file: "<stdin>", bytes: Buffer.from(stdinRead ? new Uint8Array() : io.readStdin()) };
      stdinRead = true;
      continue;
    }
    // A path that is not there or not readable falls through to io.readFile, which says why.
    if (isDirectoryPath(path)) {
      yield* walkPath(path, walk);
      continue;
    }
    try {
      const bytes = io.readFile(path);
      if (bytes.byteLength > parsed.maxFileSize) yield { type: "too-large", file: path, size: bytes.byteLength };
      else yield { type: "scan", file: path, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      yield { type: "error", file: path, code: typeof code === "string" ? code : "read error" };
    }
  }
}

function isDirectoryPath(path: string): boolean {
  try {
    return path !== "-" && statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Runs the CLI; returns the exit status. */
export function main(argv: readonly string[], io: CliIo): number {
  const parsed = parse(argv);
  if (typeof parsed === "string") {
    if (parsed.length > 0) io.stderr(`keyless-scan: ${parsed}\n`);
    io.stderr(`${USAGE}\n`);
    return EXIT_USAGE;
  }
  const results: FileResult[] = [];
  let readError = false;
  let skipped = 0;
  // A summary on standard error where files were found by walking rather than named.
  const walked = parsed.mode.kind !== "paths" || parsed.mode.paths.some(isDirectoryPath);
  try {
    for (const event of sources(parsed, io)) {
      switch (event.type) {
        case "scan":
          results.push({ file: event.file, commit: event.commit, findings: scan(event.bytes, parsed.options) });
          break;
        case "too-large":
          results.push({
            file: event.file,
            commit: event.commit,
            findings: [tooLarge(event.size, parsed.maxFileSize)],
          });
          break;
        case "skipped":
          skipped++;
          if (event.quiet !== true) io.stderr(`keyless-scan: skipped ${event.file}: ${event.reason}\n`);
          break;
        case "error":
          // The error's code and the path only: never the content.
          io.stderr(`keyless-scan: cannot read ${event.file}: ${event.code}\n`);
          readError = true;
          break;
      }
    }
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    io.stderr(`keyless-scan: ${parsed.mode.kind === "staged" ? "--staged" : "--git"}: ${err.message}\n`);
    return EXIT_USAGE;
  }
  const found = results.some((r) => r.findings.length > 0);
  io.stdout(formatReport(parsed.format, results));
  if (parsed.format === "text" && (walked || skipped > 0)) io.stderr(summarise(results, skipped));
  if (readError) return EXIT_USAGE;
  return found ? EXIT_FOUND : EXIT_CLEAN;
}

function tooLarge(size: number, cap: number): Finding {
  return undecodableFinding(
    "raw",
    `Could not open layer: the file is ${size} bytes, over the --max-file-size cap of ${cap} bytes, and was not scanned; raise --max-file-size to scan it`,
    "file over the size cap",
  );
}

/** The process entry point, used by bin/keyless-scan.js. */
export function run(): void {
  process.exitCode = main(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    readFile: (p) => readFileSync(p),
    readStdin: () => readFileSync(0),
  });
}
