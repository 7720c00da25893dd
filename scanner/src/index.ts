export { formatFinding, kindLabel } from "./format";
export {
  accessKeyIdRule,
  type CredentialKind,
  type KeyIdPrefix,
  keyIdPrefixes,
  type Rule,
  rules,
  secretAccessKeyRule,
  sessionTokenPrefixes,
  sessionTokenRule,
  undecodableLayerRule,
} from "./rules";
export {
  DEFAULT_FINGERPRINT_KEY,
  DEFAULT_MAX_DECODED_BYTES,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_FINDINGS,
  scan,
} from "./scan";
export type { Finding, FindingKind, ScanOptions } from "./types";
