// The edge: output formats. The detector's findings come in; text, JSON (and SARIF) go out. No value
// ever reaches here: findings carry a four-character preview and a keyed fingerprint.
import { createHash } from "node:crypto";
import { formatFinding } from "./format";
import type { Finding } from "./types";

/** The findings of one scanned file (or git blob). */
export interface FileResult {
  /** The path as given, as walked, or as git names it; `<stdin>` for standard input. */
  readonly file: string;
  /** For blobs from git history: the commit that added or changed the blob. */
  readonly commit?: string;
  readonly findings: readonly Finding[];
}

export const outputFormats = ["text", "json"] as const;
export type OutputFormat = (typeof outputFormats)[number];

/**
 * A finding's fingerprint at its place: SHA-256 of the path and the detector's keyed fingerprint, as 32 hex
 * digits. Keyed through the detector's, so it cannot be tested against a guessed value without the key;
 * stable across line moves and commits, so a baseline keeps matching.
 */
export function locationFingerprint(file: string, f: Finding): string {
  return createHash("sha256").update(`${file}\0${f.fingerprint}`).digest("hex").slice(0, 32);
}

/** The whole report in one format. */
export function formatReport(format: OutputFormat, results: readonly FileResult[]): string {
  if (format === "json") return `${JSON.stringify(results.map(jsonEntry), null, 2)}\n`;
  let out = "";
  for (const r of results) {
    const where = r.commit === undefined ? r.file : `${r.commit.slice(0, 12)}:${r.file}`;
    for (const f of r.findings) out += `${where}: ${formatFinding(f)}\n`;
  }
  return out.length > 0 ? out : "keyless-scan: no AWS credentials found\n";
}

function jsonEntry(r: FileResult): object {
  return {
    file: r.file,
    ...(r.commit === undefined ? {} : { commit: r.commit }),
    findings: r.findings.map((f) => ({
      kind: f.kind,
      layer: f.layer,
      line: f.line,
      preview: f.preview,
      description: f.description,
      fingerprint: locationFingerprint(r.file, f),
    })),
  };
}

/** One line for standard error after a text report: how much was scanned and skipped. */
export function summarise(results: readonly FileResult[], skipped: number): string {
  const findings = results.reduce((n, r) => n + r.findings.length, 0);
  return `keyless-scan: ${results.length} file${results.length === 1 ? "" : "s"} scanned, ${skipped} skipped, ${findings} finding${findings === 1 ? "" : "s"}\n`;
}
