import type { Finding, FindingKind } from "./types";

const labels: Readonly<Record<FindingKind, string>> = {
  "aws-access-key-id": "AWS access key id",
  "aws-secret-access-key": "AWS secret access key",
  "aws-session-token": "AWS session token",
  "undecodable-layer": "Undecodable layer",
};

/**
 * One line for a finding, for example `AWS secret access key at base64 > gzip, line 3 (wJal…)`.
 * It carries the preview (at most four characters), never the value.
 */
export function formatFinding(f: Finding): string {
  const where = `${f.layer}, line ${f.line}`;
  if (f.kind === "undecodable-layer") return `${labels[f.kind]} at ${where}: ${f.description}`;
  return `${labels[f.kind]} at ${where} (${f.preview})`;
}

/** The label of a finding kind, for example `AWS access key id`. */
export function kindLabel(kind: FindingKind): string {
  return labels[kind];
}
