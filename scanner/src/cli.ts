#!/usr/bin/env node
// keyless-scan [options] PATH...   (`-` reads standard input; directories are walked honouring .gitignore)
// keyless-scan --staged | --git [RANGE]
// Exit 0: nothing found; 1: something found; 2: usage or read error.
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { AuditError, type AuditOptions, type AuditReport, audit, type ClientFactory, sdkClients } from "./audit";
import { kindLevel } from "./format";
import { scanPulumiState } from "./pulumi-state";
import {
  type AllowedFinding,
  allowMarker,
  type FileResult,
  formatBaseline,
  formatReport,
  locationFingerprint,
  type OutputFormat,
  outerLine,
  outputFormats,
  parseBaseline,
  summarise,
  unreadWhere,
} from "./report";
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
  /** Writes the `--write-baseline` file. */
  readonly writeFile?: (path: string, text: string) => void;
  /** The working directory for `--staged` and `--git`. */
  readonly cwd?: string;
  /** Whether standard error is a terminal (the audit's progress line). */
  readonly isTTY?: boolean;
  /** The environment (`KEYLESS_SCAN_FINGERPRINT_KEY`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export const EXIT_CLEAN = 0;
export const EXIT_FOUND = 1;
export const EXIT_USAGE = 2;

/** Files larger than this are reported as not scanned (`--max-file-size`). */
export const DEFAULT_MAX_FILE_SIZE = 16 * 1024 * 1024;

const USAGE = `usage: keyless-scan [options] PATH...                scan files and directories (- is standard input)
       keyless-scan [options] --staged                 scan the files staged in git's index
       keyless-scan [options] --git [RANGE]            scan every blob in git history (all refs, or RANGE)
       keyless-scan [options] --pulumi-state FILE|-    scan every resource in \`pulumi stack export\` output
       keyless-scan audit [--region R]...              find keys deployed in AWS (keyless-scan audit --help)
  Finds AWS access key ids, secret access keys and session tokens, through base64, hex, percent-encoding,
  gzip, zlib, bzip2, zstd, MIME multipart and cloud-init layers. Values are never printed.
options:
  --format text|json|sarif  output format (default text); --json is --format json; sarif is SARIF 2.1.0
  --baseline FILE           do not report findings whose fingerprints FILE holds
  --write-baseline FILE     write the fingerprints of every finding to FILE (accepting them) and exit 0
  --max-depth N             encoding layers opened below the input (default 8)
  --max-decoded-bytes N     bytes all decoders together may produce per file (default 8388608)
  --max-file-size N         larger files are reported as not scanned (default ${DEFAULT_MAX_FILE_SIZE})
Directories are walked recursively, honouring .gitignore; binary files are skipped unless compressed in a
format the scanner opens; symlinks are followed once.
A finding is allowed by \`keyless:allow <reason>\` on its line (the reason is required).
KEYLESS_SCAN_FINGERPRINT_KEY keys the fingerprints (keep it private and stable).
Exit status: 0 nothing found, 1 something found, 2 usage or read error.`;

type Mode =
  | { readonly kind: "paths"; readonly paths: readonly string[] }
  | { readonly kind: "staged" }
  | { readonly kind: "git"; readonly range?: string }
  | { readonly kind: "pulumi-state"; readonly file: string };

interface Parsed {
  readonly format: OutputFormat;
  readonly baseline?: string;
  readonly writeBaseline?: string;
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
  let baseline: string | undefined;
  let writeBaseline: string | undefined;
  let pulumiState: string | undefined;
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
    } else if (arg === "--baseline" || arg === "--write-baseline") {
      const value = argv[++i];
      if (value === undefined || value.length === 0 || (value.startsWith("-") && value !== "-")) {
        return `${arg} needs a FILE${value === undefined ? "" : `, not ${JSON.stringify(value)}`}`;
      }
      if (arg === "--baseline") baseline = value;
      else writeBaseline = value;
    } else if (arg === "--pulumi-state") {
      const value = argv[++i];
      if (value === undefined || value.length === 0 || (value.startsWith("-") && value !== "-")) {
        return `--pulumi-state needs a FILE (or - for standard input)${value === undefined ? "" : `, not ${JSON.stringify(value)}`}`;
      }
      pulumiState = value;
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
  const modes = [staged && "--staged", git && "--git", pulumiState !== undefined && "--pulumi-state"].filter(Boolean);
  if (modes.length > 1) return `${modes.join(" and ")} cannot be combined`;
  if (modes.length === 1 && paths.length > 0) return `${modes[0]} takes no PATH (got ${paths[0]})`;
  let mode: Mode;
  if (pulumiState !== undefined) mode = { kind: "pulumi-state", file: pulumiState };
  else if (staged) mode = { kind: "staged" };
  else if (git) mode = range === undefined ? { kind: "git" } : { kind: "git", range };
  else if (paths.length === 0) return "no PATH given (or --staged, --git, --pulumi-state FILE)";
  else mode = { kind: "paths", paths };
  return { format, mode, options: { maxDepth, maxDecodedBytes }, maxFileSize, baseline, writeBaseline };
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
  if (parsed.mode.kind !== "paths") return;
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
  const key = (io.env ?? process.env).KEYLESS_SCAN_FINGERPRINT_KEY;
  const options: ScanOptions =
    key === undefined || key === "" ? parsed.options : { ...parsed.options, fingerprintKey: key };
  let baseline: ReadonlySet<string> = new Set();
  if (parsed.baseline !== undefined) {
    try {
      baseline = parseBaseline(Buffer.from(io.readFile(parsed.baseline)).toString("utf8"));
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const why = typeof code === "string" ? `cannot read it: ${code}` : (err as Error).message;
      io.stderr(`keyless-scan: --baseline ${parsed.baseline}: ${why}\n`);
      return EXIT_USAGE;
    }
  }
  const results: FileResult[] = [];
  let readError = false;
  let skipped = 0;
  let baselined = 0;
  // A summary on standard error where files were found by walking rather than named.
  const walked = parsed.mode.kind !== "paths" || parsed.mode.paths.some(isDirectoryPath);
  /** Splits a file's findings into those that stand, those allowed inline, and those in the baseline. */
  const judge = (file: string, commit: string | undefined, findings: readonly Finding[], bytes?: Buffer): void => {
    const stand: Finding[] = [];
    const allowed: AllowedFinding[] = [];
    let text: string | undefined;
    for (const f of findings) {
      if (baseline.has(locationFingerprint(file, f))) {
        baselined++;
        continue;
      }
      text ??= bytes?.toString("utf8") ?? "";
      const line = outerLine(f);
      const reason = allowMarker(text, line);
      if (reason === undefined) {
        stand.push(f);
      } else if (reason === "") {
        io.stderr(
          `keyless-scan: ${file}:${line}: keyless:allow needs a reason (keyless:allow <reason>); the finding stands\n`,
        );
        stand.push(f);
      } else {
        allowed.push({ finding: f, reason });
      }
    }
    results.push({ file, commit, findings: stand, allowed });
  };
  if (parsed.mode.kind === "pulumi-state") {
    const { file } = parsed.mode;
    let state: ReturnType<typeof scanPulumiState>;
    try {
      const bytes = file === "-" ? io.readStdin() : io.readFile(file);
      state = scanPulumiState(Buffer.from(bytes).toString("utf8"), options);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      io.stderr(
        `keyless-scan: --pulumi-state ${file}: ${typeof code === "string" ? `cannot read it: ${code}` : (err as Error).message}\n`,
      );
      return EXIT_USAGE;
    }
    for (const r of state.results) judge(r.file, undefined, r.findings);
    for (const e of state.encrypted) io.stderr(`keyless-scan: ${e}: encrypted in the state, not scanned\n`);
    io.stderr(
      `keyless-scan: ${state.resources} resource${state.resources === 1 ? "" : "s"}, ${state.encrypted.length} encrypted value${state.encrypted.length === 1 ? "" : "s"} not scanned\n`,
    );
  }
  try {
    for (const event of sources(parsed, io)) {
      switch (event.type) {
        case "scan":
          judge(event.file, event.commit, scan(event.bytes, options), event.bytes);
          break;
        case "too-large":
          judge(event.file, event.commit, [tooLarge(event.size, parsed.maxFileSize, options.fingerprintKey)]);
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
  if (parsed.writeBaseline !== undefined) {
    const count = new Set(results.flatMap((r) => r.findings.map((f) => locationFingerprint(r.file, f)))).size;
    try {
      (io.writeFile ?? writeFileSync)(parsed.writeBaseline, formatBaseline(results));
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      io.stderr(
        `keyless-scan: --write-baseline ${parsed.writeBaseline}: cannot write it: ${typeof code === "string" ? code : "write error"}\n`,
      );
      return EXIT_USAGE;
    }
    io.stderr(`keyless-scan: wrote ${count} fingerprint${count === 1 ? "" : "s"} to ${parsed.writeBaseline}\n`);
    return readError ? EXIT_USAGE : EXIT_CLEAN;
  }
  const found = results.some((r) => r.findings.length > 0);
  io.stdout(formatReport(parsed.format, results, toolVersion()));
  const accepted = baselined > 0 || results.some((r) => (r.allowed?.length ?? 0) > 0);
  if (parsed.format === "text" && (walked || skipped > 0 || accepted))
    io.stderr(summarise(results, skipped, baselined));
  if (readError) return EXIT_USAGE;
  return found ? EXIT_FOUND : EXIT_CLEAN;
}

function tooLarge(size: number, cap: number, key: string | Uint8Array | undefined): Finding {
  return undecodableFinding(
    "raw",
    `Could not open layer: the file is ${size} bytes, over the --max-file-size cap of ${cap} bytes, and was not scanned; raise --max-file-size to scan it`,
    "file over the size cap",
    key,
  );
}

function toolVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as { version: string })
      .version;
  } catch {
    return "0.0.0";
  }
}

const AUDIT_USAGE = `usage: keyless-scan audit [--region REGION]... | --all-regions
                          [--organization | --accounts ID,ID,... --role-name NAME [--external-id ID]]
                          [--format text|json|sarif] [--concurrency N] [--no-iam] [--fail-on-warnings]
  Reads what is deployed in AWS and reports AWS keys in EC2 instance user data, every launch template
  version's user data, Lambda environment variables and ECS task definition container environments;
  and, from IAM (read once per account; --no-iam skips it), users with active access keys (the migration
  inventory; key ids shown masked), roles whose trust policy lets a web identity it does not name assume
  them (web-identity-trust-unscoped) and OIDC providers no role trusts (oidc-provider-unused, a warning).
  Accounts: the one of the default credential chain (environment, profile, SSO, web identity, instance or
  task role); with --organization every ACTIVE account of the AWS Organizations organization (run it from
  the management or a delegated administrator account), with --accounts the ids given. Every account but
  the caller's own is read through --role-name, assumed as arn:<partition>:iam::<id>:role/NAME (session
  keyless-audit, with --external-id when its trust asks for one); the caller's own with its own credentials.
  Regions: each --region, or with --all-regions every region enabled for each account (EC2 DescribeRegions),
  else the default configuration's region. The first region is the home region (STS, IAM, Organizations).
  At most --concurrency AWS requests are in flight at once, across all accounts and regions (default 8);
  throttling is retried adaptively. Endpoints follow the SDK's settings (AWS_ENDPOINT_URL,
  AWS_ENDPOINT_URL_<SERVICE>). Every finding names its account and region.
  Exit status: 0 nothing found (or only warnings), 1 something found (a warning too with
  --fail-on-warnings), 2 usage error, or a place not read (an account whose role could not be assumed, a
  service that could not be read: named in the report, every other account still audited and reported).`;

/** What `keyless-scan audit`'s arguments ask for, or the message naming the argument that is wrong. */
export interface AuditArguments {
  readonly format: OutputFormat;
  readonly regions: readonly string[];
  readonly allRegions: boolean;
  readonly accounts?: AuditOptions["accounts"];
  readonly roleName?: string;
  readonly externalId?: string;
  readonly concurrency: number;
  readonly iam: boolean;
  readonly failOnWarnings: boolean;
}

/** The role name IAM accepts: 1 to 64 of letters, digits and `+=,.@_-` (a path is not part of `--role-name`). */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** STS's `ExternalId`: 2 to 1224 of letters, digits and `+=,.@:/_-`. */
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

/** Parses `keyless-scan audit`'s arguments: the arguments, `"help"`, or the error message (naming the flag). */
export function parseAuditArguments(argv: readonly string[]): AuditArguments | "help" | string {
  let format: OutputFormat = "text";
  const regions: string[] = [];
  let allRegions = false;
  let organization = false;
  let ids: string[] | undefined;
  let roleName: string | undefined;
  let externalId: string | undefined;
  let concurrency = 8;
  let iam = true;
  let failOnWarnings = false;
  const shown = (value: string | undefined): string => (value === undefined ? "" : `, not ${JSON.stringify(value)}`);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const value = argv[i + 1];
    if (arg === "--region") {
      if (value === undefined || !/^[a-z]{2}(-[a-z0-9]+)+-\d+$/.test(value))
        return `--region needs a region name like eu-west-1${shown(value)}`;
      regions.push(value);
      i++;
    } else if (arg === "--all-regions") {
      allRegions = true;
    } else if (arg === "--organization") {
      organization = true;
    } else if (arg === "--accounts") {
      const list = value?.split(",") ?? [];
      const bad = value === undefined || value === "" ? value : list.find((id) => !/^\d{12}$/.test(id));
      if (value === undefined || value === "" || bad !== undefined)
        return `--accounts needs 12-digit AWS account ids separated by commas (111122223333,444455556666)${bad === undefined ? shown(value) : `, not ${JSON.stringify(bad)}`}`;
      ids = [...(ids ?? []), ...list];
      i++;
    } else if (arg === "--role-name") {
      if (value === undefined || !ROLE_NAME.test(value))
        return `--role-name needs an IAM role name (1 to 64 letters, digits or +=,.@_-; no path)${shown(value)}`;
      roleName = value;
      i++;
    } else if (arg === "--external-id") {
      if (value === undefined || !EXTERNAL_ID.test(value))
        return `--external-id needs 2 to 1224 letters, digits or +=,.@:/_-${value === undefined ? "" : " (the value given is not shown)"}`;
      externalId = value;
      i++;
    } else if (arg === "--format" || arg === "--json") {
      if (arg === "--json") format = "json";
      else if (value === undefined || !(outputFormats as readonly string[]).includes(value)) {
        return `--format needs one of ${outputFormats.join(", ")}${shown(value)}`;
      } else format = value as OutputFormat;
      if (arg === "--format") i++;
    } else if (arg === "--concurrency") {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 64) return `--concurrency needs an integer from 1 to 64${shown(value)}`;
      concurrency = n;
      i++;
    } else if (arg === "--no-iam") {
      iam = false;
    } else if (arg === "--fail-on-warnings") {
      failOnWarnings = true;
    } else if (arg === "-h" || arg === "--help") {
      return "help";
    } else {
      return `unknown audit argument ${arg}`;
    }
  }
  if (allRegions && regions.length > 0)
    return "--all-regions and --region cannot be combined (--all-regions reads every region enabled for each account)";
  if (organization && ids !== undefined) return "--organization and --accounts cannot be combined";
  const multi = organization || ids !== undefined;
  if (multi && roleName === undefined)
    return `${organization ? "--organization" : "--accounts"} needs --role-name NAME: the role assumed in each member account`;
  if (!multi && roleName !== undefined) return "--role-name needs --organization or --accounts";
  if (externalId !== undefined && roleName === undefined) return "--external-id needs --role-name";
  return {
    format,
    regions,
    allRegions,
    ...(organization ? { accounts: { organization: true } as const } : ids === undefined ? {} : { accounts: { ids } }),
    ...(roleName === undefined ? {} : { roleName }),
    ...(externalId === undefined ? {} : { externalId }),
    concurrency,
    iam,
    failOnWarnings,
  };
}

/**
 * \`keyless-scan audit\`: returns the exit status. \`clients\` defaults to AWS SDK v3 (tests pass fakes).
 */
export async function mainAudit(argv: readonly string[], io: CliIo, clients?: ClientFactory): Promise<number> {
  const args = parseAuditArguments(argv);
  if (args === "help") {
    io.stderr(`${AUDIT_USAGE}\n`);
    return EXIT_USAGE;
  }
  if (typeof args === "string") {
    io.stderr(`keyless-scan audit: ${args}\n${AUDIT_USAGE}\n`);
    return EXIT_USAGE;
  }
  const factory = clients ?? sdkClients();
  const regions = [...args.regions];
  if (regions.length === 0) {
    const region = await factory.defaultRegion();
    if (region === undefined || region === "") {
      io.stderr(
        `keyless-scan audit: no region: pass --region, or set AWS_REGION or a profile's region${args.allRegions ? " (--all-regions asks EC2 there which regions are enabled)" : ""}\n`,
      );
      return EXIT_USAGE;
    }
    regions.push(region);
  }
  const key = (io.env ?? process.env).KEYLESS_SCAN_FINGERPRINT_KEY;
  const tty = io.isTTY === true;
  let shown = false;
  const progress = (line: string): void => {
    if (!tty) return;
    io.stderr(`\r\u001b[2K${line}`);
    shown = true;
  };
  let report: AuditReport;
  try {
    report = await audit(factory, {
      regions,
      allRegions: args.allRegions,
      ...(args.accounts === undefined ? {} : { accounts: args.accounts }),
      ...(args.roleName === undefined ? {} : { roleName: args.roleName }),
      ...(args.externalId === undefined ? {} : { externalId: args.externalId }),
      concurrency: args.concurrency,
      iam: args.iam,
      progress,
      scanOptions: key === undefined || key === "" ? {} : { fingerprintKey: key },
    });
  } catch (err) {
    if (shown) io.stderr("\r\u001b[2K");
    if (!(err instanceof AuditError)) throw err;
    io.stderr(`keyless-scan audit: ${err.message}\n`);
    return EXIT_USAGE;
  }
  if (shown) io.stderr("\r\u001b[2K");
  const { results, failures } = report;
  io.stdout(formatReport(args.format, results, toolVersion(), failures));
  // Named on standard error in every format, so a JSON or SARIF run in CI still says what it could not read.
  for (const f of failures) io.stderr(`keyless-scan audit: not audited: ${unreadWhere(f)}: ${f.message}\n`);
  const findings = results.flatMap((r) => r.findings);
  if (args.format === "text") {
    const n = findings.length;
    const warnings = findings.filter((f) => kindLevel(f.kind) === "warning").length;
    const single = report.accounts.length === 1 && !args.allRegions;
    const plural = (k: number, word: string): string => `${k} ${word}${k === 1 ? "" : "s"}`;
    const scope = single
      ? regions.join(", ")
      : `${plural(report.accounts.length, "account")}, ${plural(report.regionsRead, "region")} read`;
    io.stderr(
      `keyless-scan audit: ${scope}${args.iam ? " and IAM" : ""}: ${plural(n, "finding")}` +
        `${warnings > 0 ? ` (${plural(warnings, "warning")}${args.failOnWarnings ? "" : ", not failing the audit"})` : ""}` +
        `${failures.length > 0 ? `; ${plural(failures.length, "place")} not audited` : ""}\n`,
    );
  }
  // Fail closed: a place not read is a usage-or-read error (2), as for an unreadable file in a scan; it wins over 1.
  if (failures.length > 0) return EXIT_USAGE;
  // An unused OIDC provider is a warning: reported, failing only when asked to.
  return findings.some((f) => args.failOnWarnings || kindLevel(f.kind) === "error") ? EXIT_FOUND : EXIT_CLEAN;
}

/** The process entry point, used by bin/keyless-scan.js. */
export function run(): void {
  const argv = process.argv.slice(2);
  if (argv[0] === "audit") {
    mainAudit(argv.slice(1), {
      stdout: (t) => process.stdout.write(t),
      stderr: (t) => process.stderr.write(t),
      readFile: (p) => readFileSync(p),
      readStdin: () => readFileSync(0),
      isTTY: process.stderr.isTTY === true,
    }).then(
      (code) => {
        process.exitCode = code;
      },
      (err: unknown) => {
        process.stderr.write(`keyless-scan audit: ${(err as Error).name}: ${(err as Error).message}\n`);
        process.exitCode = EXIT_USAGE;
      },
    );
    return;
  }
  process.exitCode = main(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    readFile: (p) => readFileSync(p),
    readStdin: () => readFileSync(0),
  });
}
