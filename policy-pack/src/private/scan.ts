import { type Finding, formatFinding, scan } from "@keyless/scanner";

/** Findings for one value, formatted for a violation message (never the value itself). @internal */
export function describeFindings(findings: readonly Finding[]): string {
  const shown = findings.slice(0, 5).map(formatFinding);
  const more = findings.length > shown.length ? `; and ${findings.length - shown.length} more` : "";
  return `${shown.join("; ")}${more}`;
}

/** Scans a string value; undefined when clean. @internal */
export function scanValue(value: unknown): readonly Finding[] | undefined {
  if (typeof value !== "string" || value.length === 0) return undefined;
  const findings = scan(value);
  return findings.length > 0 ? findings : undefined;
}
