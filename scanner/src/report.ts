// The edge: output formats, inline allow markers and baselines. The detector's findings come in; text, JSON
// and SARIF go out. No value ever reaches here: findings carry at most a key id's four-character preview and a keyed
// fingerprint, and baselines hold fingerprints only.
import { createHash } from "node:crypto";
import { controlTags, findingKindControls } from "./controls";
import { formatFinding, kindLabel, kindLevel } from "./format";
import { oidcProviderUnusedRule, rules, undecodableLayerRule, webIdentityTrustRule } from "./rules";
import type { Finding, FindingKind } from "./types";

/** A finding accepted by a `keyless:allow <reason>` marker on its line. */
export interface AllowedFinding {
  readonly finding: Finding;
  readonly reason: string;
}

/** The findings of one scanned file (or git blob). */
export interface FileResult {
  /** The path as given, as walked, or as git names it; `<stdin>` for standard input. */
  readonly file: string;
  /** For blobs from git history: the commit that added or changed the blob. */
  readonly commit?: string;
  /** Findings that stand (neither allowed inline nor in the baseline). */
  readonly findings: readonly Finding[];
  /** Findings allowed by an inline marker (reported as suppressed in SARIF, counted elsewhere). */
  readonly allowed?: readonly AllowedFinding[];
  /** For `keyless-scan audit`: the 12-digit account the resource is in. */
  readonly account?: string;
  /** For `keyless-scan audit`: the region the resource is in (`global` for IAM). */
  readonly region?: string;
}

/**
 * For `keyless-scan audit`: a place that could not be read (an account whose role could not be assumed, a service in
 * a region). Reported with the findings; the audit fails closed on it.
 */
export interface UnreadPlace {
  readonly account: string;
  readonly region?: string;
  readonly service?: string;
  /** The failed call and AWS's error: never a request's content. */
  readonly message: string;
}

/** `123456789012:ec2/eu-west-1/instance/i-0abc/userData` for an audit's result, as `commit:path` for a blob. */
function placeOf(r: FileResult): string {
  if (r.account !== undefined) return `${r.account}:${r.file}`;
  return r.commit === undefined ? r.file : `${r.commit.slice(0, 12)}:${r.file}`;
}

/** `222233334444 (eu-west-1, lambda)`, `222233334444 (iam)` or `222233334444`: where an unread place is. */
export function unreadWhere(u: UnreadPlace): string {
  const parts = [u.region === undefined || u.region === "global" ? undefined : u.region, u.service].filter(
    (p): p is string => p !== undefined,
  );
  return parts.length === 0 ? u.account : `${u.account} (${parts.join(", ")})`;
}

export const outputFormats = ["text", "json", "sarif"] as const;
/** `text` (one line per finding), `json` (one document) or `sarif` (SARIF 2.1.0, as GitHub code scanning ingests it). */
export type OutputFormat = (typeof outputFormats)[number];

/**
 * A finding's fingerprint at its place: SHA-256 of the path and the detector's keyed fingerprint, as 32 hex
 * digits. Keyed through the detector's, so it cannot be tested against a guessed value without the key;
 * stable across line moves and commits, so a baseline keeps matching. An audit's result is placed in its account too,
 * so the same resource path in two accounts gives two fingerprints.
 */
export function locationFingerprint(file: string, f: Finding, account?: string): string {
  const where = account === undefined ? file : `${account}\0${file}`;
  return createHash("sha256").update(`${where}\0${f.fingerprint}`).digest("hex").slice(0, 32);
}

/**
 * The line of the finding in the file as given: its line when it is in the raw layer, the line a decoded run
 * starts on (`base64 (line 7) > gzip` -> 7), else 1 (the whole file is an encoding, or a MIME part).
 */
export function outerLine(f: Finding): number {
  if (f.layer === "raw") return f.line;
  const first = f.layer.split(" > ")[0] ?? "";
  const m = /\(line (\d+)\)$/.exec(first);
  return m === null ? 1 : Number(m[1]);
}

const MARKER = "keyless:allow";

/**
 * The `keyless:allow <reason>` marker on line `line` of `text`: the reason, `""` when the marker has none
 * (which allows nothing), or undefined when there is no marker. The reason runs to the end of the line,
 * less a comment's closing `-->` or `*\/`.
 */
export function allowMarker(text: string, line: number): string | undefined {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf("\n", start);
    if (nl < 0) return undefined;
    start = nl + 1;
  }
  let end = text.indexOf("\n", start);
  if (end < 0) end = text.length;
  const lineText = text.slice(start, end);
  const at = lineText.indexOf(MARKER);
  if (at < 0) return undefined;
  const rest = lineText.slice(at + MARKER.length);
  if (rest.length > 0 && !/^\s/.test(rest)) return undefined; // `keyless:allowed`: not the marker
  return rest
    .replace(/(-->|\*\/)\s*$/, "")
    .trim()
    .slice(0, 200);
}

/** A baseline file: fingerprints only (`locationFingerprint`), never a value, a preview or a path. */
export interface Baseline {
  readonly tool: "keyless-scan";
  readonly version: 1;
  readonly fingerprints: readonly string[];
}

/** Parses a baseline file's text; throws an Error saying what is wrong (never echoing the content). */
export function parseBaseline(text: string): ReadonlySet<string> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error("not JSON");
  }
  const b = doc as Partial<Baseline> | null;
  if (b === null || typeof b !== "object" || b.tool !== "keyless-scan" || b.version !== 1) {
    throw new Error(
      'not a keyless-scan baseline (expected {"tool": "keyless-scan", "version": 1, "fingerprints": [...]})',
    );
  }
  if (
    !Array.isArray(b.fingerprints) ||
    !b.fingerprints.every((f) => typeof f === "string" && /^[0-9a-f]{32}$/.test(f))
  ) {
    throw new Error("fingerprints must be an array of 32-hex-digit strings");
  }
  return new Set(b.fingerprints);
}

/** The baseline file that accepts every finding of `results`. */
export function formatBaseline(results: readonly FileResult[]): string {
  const fingerprints = [
    ...new Set(results.flatMap((r) => r.findings.map((f) => locationFingerprint(r.file, f)))),
  ].sort();
  const doc: Baseline = { tool: "keyless-scan", version: 1, fingerprints };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * The whole report in one format. `unread` (the audit's) lists the places that could not be read: text lines
 * `not audited: ...`, JSON entries with an `error`, SARIF tool execution notifications of an unsuccessful invocation.
 */
export function formatReport(
  format: OutputFormat,
  results: readonly FileResult[],
  toolVersion: string,
  unread?: readonly UnreadPlace[],
): string {
  if (format === "json")
    return `${JSON.stringify([...results.map(jsonEntry), ...(unread ?? []).map(jsonUnread)], null, 2)}\n`;
  if (format === "sarif") return `${JSON.stringify(sarif(results, toolVersion, unread), null, 2)}\n`;
  let out = "";
  for (const r of results) {
    const where = placeOf(r);
    for (const f of r.findings) out += `${where}: ${formatFinding(f)}\n`;
  }
  for (const u of unread ?? []) out += `${unreadWhere(u)}: not audited: ${u.message}\n`;
  return out.length > 0 ? out : "keyless-scan: no AWS credentials found\n";
}

/** An unread place as a JSON entry: `file` names the service and region (or `account`), `error` says why. */
function jsonUnread(u: UnreadPlace): object {
  const file = [u.service ?? "account", u.region === undefined || u.region === "global" ? undefined : u.region]
    .filter((p) => p !== undefined)
    .join("/");
  return {
    file,
    account: u.account,
    ...(u.region === undefined ? {} : { region: u.region }),
    ...(u.service === undefined ? {} : { service: u.service }),
    error: u.message,
    findings: [],
  };
}

function jsonEntry(r: FileResult): object {
  return {
    file: r.file,
    ...(r.commit === undefined ? {} : { commit: r.commit }),
    ...(r.account === undefined ? {} : { account: r.account }),
    ...(r.region === undefined ? {} : { region: r.region }),
    findings: r.findings.map((f) => ({
      kind: f.kind,
      level: kindLevel(f.kind),
      layer: f.layer,
      line: f.line,
      preview: f.preview,
      description: f.description,
      fingerprint: locationFingerprint(r.file, f, r.account),
      ...(f.iam === undefined ? {} : { iam: f.iam }),
    })),
  };
}

/** One line for standard error after a text report: how much was scanned, skipped and accepted. */
export function summarise(results: readonly FileResult[], skipped: number, baselined: number): string {
  const findings = results.reduce((n, r) => n + r.findings.length, 0);
  const allowed = results.reduce((n, r) => n + (r.allowed?.length ?? 0), 0);
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;
  let out = `keyless-scan: ${plural(results.length, "file")} scanned, ${skipped} skipped, ${plural(findings, "finding")}`;
  if (allowed > 0) out += `, ${allowed} allowed inline`;
  if (baselined > 0) out += `, ${baselined} in the baseline`;
  return `${out}\n`;
}

// SARIF 2.1.0 (OASIS), as GitHub code scanning ingests it: one run, the rule table as the driver's rules
// (stable ids: the finding kinds), results with a physical location, partialFingerprints and, for findings
// allowed inline, an inSource suppression.

const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
const FINGERPRINT_NAME = "keylessFingerprint/v1";

const ruleTable: readonly { readonly id: FindingKind; readonly description: string }[] = [
  ...rules.map((r) => ({ id: r.id, description: r.description })),
  undecodableLayerRule,
  webIdentityTrustRule,
  oidcProviderUnusedRule,
];

/** What to do about a finding of each kind, and where AWS explains it. */
const ruleHelp: Readonly<Record<FindingKind, { readonly text: string; readonly uri?: string }>> = {
  "aws-access-key-id": {
    text: "Remove the key from the file and from git history, deactivate and delete it in IAM, and give the workload an IAM role (instance profile, Lambda or ECS task role) instead.",
  },
  "aws-secret-access-key": {
    text: "Remove the secret from the file and from git history, deactivate and delete its access key in IAM, and give the workload an IAM role instead.",
  },
  "aws-session-token": {
    text: "Remove the token; it expires, but until then it grants its role's permissions. Let the SDK's credential chain fetch temporary credentials instead.",
  },
  "undecodable-layer": {
    text: "Decode the layer and scan the result, or raise the limit the description names (--max-decoded-bytes, --max-depth, --max-file-size).",
  },
  "web-identity-trust-unscoped": {
    text: "Update the role's trust policy (aws iam update-assume-role-policy) as the description says: a StringEquals condition on <issuer>:aud and a StringEquals or StringLike condition on <issuer>:sub whose every value names the owner and repository (GitLab: group and project; Pulumi Cloud: organization; EKS: namespace and service account), no ForAllValues:, IfExists or negated operator as the only pin, no member written twice; for EKS Pod Identity, StringEquals on the kubernetes-namespace, kubernetes-service-account and eks-cluster-arn session tags.",
    uri: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html",
  },
  "oidc-provider-unused": {
    text: "If nothing is to use the provider, delete it (aws iam delete-open-id-connect-provider --open-id-connect-provider-arn <arn>); if a role is to trust it, create that role with a scoped trust. A warning: the audit fails on it only with --fail-on-warnings.",
    uri: "https://docs.aws.amazon.com/cli/latest/reference/iam/delete-open-id-connect-provider.html",
  },
};

/** The tags and GitHub `security-severity` of a rule: credentials and undecodable layers as secrets, IAM kinds as IAM. */
function ruleProperties(kind: FindingKind): object {
  switch (kind) {
    case "web-identity-trust-unscoped":
      return { tags: ["security", "iam", "oidc", "aws"], precision: "high", "security-severity": "9.0" };
    case "oidc-provider-unused":
      return { tags: ["security", "iam", "oidc", "aws"], precision: "very-high", "security-severity": "2.0" };
    default:
      return { tags: ["security", "secrets", "aws"], precision: "high", "security-severity": "9.0" };
  }
}

/**
 * A rule's properties with the compliance controls of the pack policies that make the same check (`controls`, and
 * each as a tag such as `aws-fsbp:ECS.8`, `checkov:CKV_AWS_46`), from the one table the pack reads.
 */
function withControls(kind: FindingKind, properties: object): object {
  const controls = findingKindControls(kind);
  const tags = (properties as { readonly tags?: readonly string[] }).tags ?? [];
  return { ...properties, tags: [...tags, ...controlTags(controls)], controls };
}

/** `path/to/a b.sh` -> `path/to/a%20b.sh`; an absolute path becomes a file:// URI. */
function toUri(file: string): string {
  const encoded = file.split(/[\\/]/).map(encodeURIComponent).join("/");
  return file.startsWith("/") ? `file://${encoded}` : encoded;
}

/** The account and region of an audit's result, as a SARIF logical location (`123456789012/eu-west-1`). */
function auditLocation(account: string, region: string | undefined): object {
  return {
    name: region ?? account,
    fullyQualifiedName: region === undefined ? account : `${account}/${region}`,
    kind: "namespace",
  };
}

function sarif(results: readonly FileResult[], toolVersion: string, unread?: readonly UnreadPlace[]): object {
  const index = new Map(ruleTable.map((r, i) => [r.id, i]));
  const result = (r: FileResult, f: Finding, allowed?: string): object => ({
    ruleId: f.kind,
    ruleIndex: index.get(f.kind),
    level: kindLevel(f.kind),
    message: {
      text:
        f.iam === undefined
          ? `${kindLabel(f.kind)} at ${f.layer}, line ${f.line}${f.preview === "" ? "" : ` (${f.preview})`}: ${f.description}`
          : `${kindLabel(f.kind)}: ${f.description}`,
    },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: toUri(r.file), ...(r.file.startsWith("/") ? {} : { uriBaseId: "%SRCROOT%" }) },
          region: { startLine: outerLine(f) },
        },
        ...(r.account === undefined ? {} : { logicalLocations: [auditLocation(r.account, r.region)] }),
      },
    ],
    partialFingerprints: { [FINGERPRINT_NAME]: locationFingerprint(r.file, f, r.account) },
    properties: {
      layer: f.layer,
      layerLine: f.line,
      ...(r.commit === undefined ? {} : { commit: r.commit }),
      ...(r.account === undefined ? {} : { account: r.account }),
      ...(r.region === undefined ? {} : { region: r.region }),
      ...(f.iam === undefined ? {} : { iam: f.iam }),
    },
    ...(allowed === undefined ? {} : { suppressions: [{ kind: "inSource", justification: allowed }] }),
  });
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "keyless-scan",
            version: toolVersion,
            semanticVersion: toolVersion,
            rules: ruleTable.map((r) => ({
              id: r.id,
              name: r.id
                .split("-")
                .map((w) => w[0]?.toUpperCase() + w.slice(1))
                .join(""),
              shortDescription: { text: kindLabel(r.id) },
              fullDescription: { text: r.description },
              help: { text: ruleHelp[r.id].text },
              ...(ruleHelp[r.id].uri === undefined ? {} : { helpUri: ruleHelp[r.id].uri }),
              defaultConfiguration: { level: kindLevel(r.id) },
              properties: withControls(r.id, ruleProperties(r.id)),
            })),
          },
        },
        results: results.flatMap((r) => [
          ...r.findings.map((f) => result(r, f)),
          ...(r.allowed ?? []).map((a) => result(r, a.finding, a.reason)),
        ]),
        // The audit's places it could not read: an unsuccessful invocation, one error notification each.
        ...(unread === undefined
          ? {}
          : {
              invocations: [
                {
                  executionSuccessful: unread.length === 0,
                  toolExecutionNotifications: unread.map((u) => ({
                    level: "error",
                    message: { text: `${unreadWhere(u)}: not audited: ${u.message}` },
                    locations: [{ logicalLocations: [auditLocation(u.account, u.region)] }],
                    properties: {
                      account: u.account,
                      ...(u.region === undefined ? {} : { region: u.region }),
                      ...(u.service === undefined ? {} : { service: u.service }),
                    },
                  })),
                },
              ],
            }),
      },
    ],
  };
}
