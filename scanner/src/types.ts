/**
 * What a finding is about.
 *
 * - `aws-access-key-id`: an access key id (AKIA long-lived, ASIA temporary, ABIA, ACCA), or an IAM
 *   unique id (AIDA, AROA, ...) assigned to an access-key-id name.
 * - `aws-secret-access-key`: a 40-character secret access key in credential context.
 * - `aws-session-token`: an STS session token.
 * - `undecodable-layer`: a layer that could not be opened within the limits (decompression bomb,
 *   corrupt gzip/bzip2/zstd, xz or lz4 data (which this scanner cannot decompress), nesting deeper than
 *   `maxDepth`, decoding budget exhausted). It blocks like the others: what could
 *   not be read could hide a key.
 * - `web-identity-trust-unscoped` (`keyless-scan audit` only): an IAM role whose trust policy lets a web identity it
 *   does not name assume it (a GitHub, GitLab, Pulumi Cloud, EKS or other OIDC issuer without a scoped pin, or EKS Pod
 *   Identity without fixed session tags), as `webIdentityTrustFindings` of `@keyless/iam-rules` decides. It blocks.
 * - `oidc-provider-unused` (`keyless-scan audit` only): an IAM OIDC provider that no role of the account trusts. A
 *   warning: reported, but it fails the audit only with `--fail-on-warnings`.
 */
export type FindingKind =
  | "aws-access-key-id"
  | "aws-secret-access-key"
  | "aws-session-token"
  | "undecodable-layer"
  | "web-identity-trust-unscoped"
  | "oidc-provider-unused";

/**
 * What a tool matches on in an audit's IAM finding (the description is prose). Trust policies and provider URLs hold
 * no secrets.
 */
export interface IamFindingDetail {
  /**
   * Why: a `WebIdentityFindingCode` of `@keyless/iam-rules` (`UnscopedValue`, `NoSubjectCondition`, ...),
   * `TrustPolicyUnreadable` for a trust policy keyless could not read, or `OidcProviderUnused`.
   */
  readonly code: string;
  /** The role's or the provider's ARN. */
  readonly arn: string;
  /** The issuer as IAM names it in condition keys (`token.actions.githubusercontent.com`), when one is concerned. */
  readonly issuer?: string;
  /** The statement's index in the trust policy, in document order. */
  readonly statement?: number;
  /** The condition key (or, for a duplicated member, the member) concerned. */
  readonly key?: string;
  /** The offending value, when there is one. */
  readonly value?: string;
  /** Whether AWS itself refuses this trust policy at `CreateRole` and `UpdateAssumeRolePolicy` today. */
  readonly awsRefuses?: boolean;
}

/** One thing the scanner found. It never holds the value itself. */
export interface Finding {
  /** What was found. */
  readonly kind: FindingKind;
  /**
   * The layer path, outermost first, for example `raw`, `base64 > gzip` or `MIME part 2 > base64`.
   * `raw` is the input as given.
   */
  readonly layer: string;
  /** 1-based line in the innermost layer. */
  readonly line: number;
  /**
   * For an access key id, its first four characters then `…` (`AKIA…` or `ASIA…`: the kind of key, nothing secret).
   * Empty for secret access keys, session tokens and undecodable layers: no character of a secret is ever shown.
   */
  readonly preview: string;
  /** What was identified and why, without the value. */
  readonly description: string;
  /**
   * 32 hex digits: an HMAC-SHA-256, under `ScanOptions.fingerprintKey`, of the kind and the value
   * (for `undecodable-layer`, of the layer path and the reason; for the audit's IAM findings, of the role's or
   * provider's ARN and the reason's code, statement, issuer, key and value). The same value gives the same
   * fingerprint wherever it appears; the value cannot be read back from it, and without the key a
   * guessed value cannot be checked against it. Baselines and SARIF use it.
   */
  readonly fingerprint: string;
  /** For the audit's `web-identity-trust-unscoped` and `oidc-provider-unused` findings: the structured reason. */
  readonly iam?: IamFindingDetail;
}

/** Limits of one scan. */
export interface ScanOptions {
  /**
   * How many encoding layers (base64, gzip, MIME part, ...) the scanner opens below the raw input.
   * A layer deeper than this is reported as `undecodable-layer`.
   * @default 8
   */
  readonly maxDepth?: number;
  /**
   * How many bytes all decoders together may produce in one scan. A gzip stream that expands beyond
   * what is left is reported as `undecodable-layer` (possible decompression bomb), not expanded.
   * EC2 user data is at most 16 KB, so the default leaves ample room.
   * @default 8388608 (8 MiB)
   */
  readonly maxDecodedBytes?: number;
  /**
   * How many findings one scan reports before it stops. One finding already blocks; past this many
   * the rest of the input is not scanned and a last `undecodable-layer` finding says so, which keeps
   * time and output bounded on inputs made of nothing but secrets.
   * @default 1000
   */
  readonly maxFindings?: number;
  /**
   * Whether AWS's documentation example credentials (key ids ending in `EXAMPLE`, secrets ending in
   * `EXAMPLEKEY`) are ignored. They do not work against AWS and fill tutorials.
   * @default true
   */
  readonly allowExampleKeys?: boolean;
  /**
   * The key of the findings' fingerprints (`Finding.fingerprint`). Keep it private to stop anyone who
   * sees a fingerprint (a SARIF upload, a baseline file) from testing a guessed key against it; keep
   * it the same between runs so that baselines keep matching.
   * @default "keyless-scan/fingerprint/v1"
   */
  readonly fingerprintKey?: string | Uint8Array;
}
