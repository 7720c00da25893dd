#!/usr/bin/env node
// keyless-scan [--json] [--max-depth N] [--max-decoded-bytes N] PATH...   (`-` reads standard input)
// Exit 0: nothing found; 1: something found; 2: usage or read error.
import { readFileSync } from "node:fs";
import { formatFinding } from "./format";
import { scan } from "./scan";
import type { Finding, ScanOptions } from "./types";

/** Where the CLI reads and writes; tests pass their own. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readFile: (path: string) => Uint8Array;
  readonly readStdin: () => Uint8Array;
}

export const EXIT_CLEAN = 0;
export const EXIT_FOUND = 1;
export const EXIT_USAGE = 2;

const USAGE = `usage: keyless-scan [--json] [--max-depth N] [--max-decoded-bytes N] PATH...
  Scans files (or standard input, as -) for AWS access key ids, secret access keys and session tokens,
  through base64, gzip, MIME multipart and cloud-init layers. Values are never printed.
  Exit status: 0 nothing found, 1 something found, 2 usage or read error.`;

interface Parsed {
  readonly json: boolean;
  readonly paths: readonly string[];
  readonly options: ScanOptions;
}

function parse(argv: readonly string[]): Parsed | string {
  let json = false;
  const paths: string[] = [];
  let maxDepth: number | undefined;
  let maxDecodedBytes: number | undefined;
  let onlyPaths = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (onlyPaths || arg === "-" || !arg.startsWith("-")) {
      paths.push(arg);
    } else if (arg === "--") {
      onlyPaths = true;
    } else if (arg === "--json") {
      json = true;
    } else if (arg === "--max-depth" || arg === "--max-decoded-bytes") {
      const value = argv[++i];
      const n = value === undefined ? Number.NaN : Number(value);
      if (!Number.isInteger(n) || n < 0) return `${arg} needs a non-negative integer`;
      if (arg === "--max-depth") maxDepth = n;
      else maxDecodedBytes = n;
    } else if (arg === "-h" || arg === "--help") {
      return "";
    } else {
      return `unknown option ${arg}`;
    }
  }
  if (paths.length === 0) return "no PATH given";
  return { json, paths, options: { maxDepth, maxDecodedBytes } };
}

/** Runs the CLI; returns the exit status. */
export function main(argv: readonly string[], io: CliIo): number {
  const parsed = parse(argv);
  if (typeof parsed === "string") {
    if (parsed.length > 0) io.stderr(`keyless-scan: ${parsed}\n`);
    io.stderr(`${USAGE}\n`);
    return EXIT_USAGE;
  }
  const results: { file: string; findings: readonly Finding[] }[] = [];
  let readError = false;
  let stdinRead = false;
  for (const path of parsed.paths) {
    let bytes: Uint8Array;
    try {
      if (path === "-") {
        bytes = stdinRead ? new Uint8Array() : io.readStdin();
        stdinRead = true;
      } else {
        bytes = io.readFile(path);
      }
    } catch (err) {
      // The error's code and the path only: never the content.
      const code = (err as { code?: unknown }).code;
      io.stderr(`keyless-scan: cannot read ${path}: ${typeof code === "string" ? code : "read error"}\n`);
      readError = true;
      continue;
    }
    results.push({ file: path === "-" ? "<stdin>" : path, findings: scan(bytes, parsed.options) });
  }
  const found = results.some((r) => r.findings.length > 0);
  if (parsed.json) {
    const doc = results.map((r) => ({
      file: r.file,
      findings: r.findings.map((f) => ({ kind: f.kind, layer: f.layer, line: f.line, preview: f.preview })),
    }));
    io.stdout(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    for (const r of results) {
      for (const f of r.findings) io.stdout(`${r.file}: ${formatFinding(f)}\n`);
    }
    if (!found && !readError) io.stdout("keyless-scan: no AWS credentials found\n");
  }
  if (readError) return EXIT_USAGE;
  return found ? EXIT_FOUND : EXIT_CLEAN;
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
