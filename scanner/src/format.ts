import type { Finding, FindingKind } from "./types";

const labels: Readonly<Record<FindingKind, string>> = {
  "aws-access-key-id": "AWS access key id",
  "aws-secret-access-key": "AWS secret access key",
  "aws-session-token": "AWS session token",
  "undecodable-layer": "Undecodable layer",
  "web-identity-trust-unscoped": "Unscoped web-identity trust",
  "oidc-provider-unused": "Unused IAM OIDC provider",
};

/**
 * How much a finding of each kind weighs. An `error` fails a scan or an audit (exit status 1); a `warning` is
 * reported (SARIF level `warning`) and fails the audit only with `--fail-on-warnings`.
 */
export type FindingLevel = "error" | "warning";

const levels: Readonly<Record<FindingKind, FindingLevel>> = {
  "aws-access-key-id": "error",
  "aws-secret-access-key": "error",
  "aws-session-token": "error",
  "undecodable-layer": "error",
  "web-identity-trust-unscoped": "error",
  // Debris, not a way in by itself: a role must still trust the provider.
  "oidc-provider-unused": "warning",
};

/**
 * One line for a finding, for example `AWS access key id at base64 > gzip, line 2 (AKIA…)` or
 * `AWS secret access key at base64 > gzip, line 3`. It carries a key id's preview, never a value. The audit's IAM
 * findings are their description (`Unscoped web-identity trust: role ci: statement 0 trusts …`), a warning prefixed
 * `warning: `.
 */
export function formatFinding(f: Finding): string {
  const where = `${f.layer}, line ${f.line}`;
  if (f.kind === "web-identity-trust-unscoped" || f.kind === "oidc-provider-unused") {
    return `${levels[f.kind] === "warning" ? "warning: " : ""}${labels[f.kind]}: ${f.description}`;
  }
  if (f.kind === "undecodable-layer") return `${labels[f.kind]} at ${where}: ${f.description}`;
  return `${labels[f.kind]} at ${where}${f.preview === "" ? "" : ` (${f.preview})`}`;
}

/** The label of a finding kind, for example `AWS access key id`. */
export function kindLabel(kind: FindingKind): string {
  return labels[kind];
}

/** The level of a finding kind: `warning` for `oidc-provider-unused`, `error` for every other. */
export function kindLevel(kind: FindingKind): FindingLevel {
  return levels[kind];
}
