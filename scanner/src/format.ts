import type { Finding, FindingKind } from "./types";

const labels: Readonly<Record<FindingKind, string>> = {
  "aws-access-key-id": "AWS access key id",
  "aws-secret-access-key": "AWS secret access key",
  "aws-session-token": "AWS session token",
  "undecodable-layer": "Undecodable layer",
};

/**
 * One line for a finding, for example `AWS access key id at base64 > gzip, line 2 (AKIA…)` or
 * `AWS secret access key at base64 > gzip, line 3`. It carries a key id's preview, never a value.
 */
export function formatFinding(f: Finding): string {
  const where = `${f.layer}, line ${f.line}`;
  if (f.kind === "undecodable-layer") return `${labels[f.kind]} at ${where}: ${f.description}`;
  return `${labels[f.kind]} at ${where}${f.preview === "" ? "" : ` (${f.preview})`}`;
}

/** The label of a finding kind, for example `AWS access key id`. */
export function kindLabel(kind: FindingKind): string {
  return labels[kind];
}
