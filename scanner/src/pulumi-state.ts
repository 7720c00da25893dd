// `keyless-scan --pulumi-state FILE|-`: the inputs and outputs of every resource in a `pulumi stack export`,
// through the one detector. Secrets the state holds as ciphertext are counted as encrypted, not scanned.
import { scan } from "./scan";
import type { Finding, ScanOptions } from "./types";

/** Pulumi's marker of a secret value in serialized state (`resource.SecretSig`). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** The findings of one resource property. `file` is `<urn>#<inputs|outputs>.<path>`. */
export interface StateResult {
  readonly file: string;
  readonly findings: readonly Finding[];
}

export interface StateScan {
  readonly results: StateResult[];
  /** `<urn>#<path>` of each value the state holds encrypted (not scanned: the scanner has no key). */
  readonly encrypted: string[];
  readonly resources: number;
}

interface Leaf {
  readonly path: string;
  readonly value: string;
}

/**
 * Reads `pulumi stack export` output (version 3 deployments) and scans every resource's inputs and outputs:
 * each string value on its own (its layers read as for a file), then the short one-line values of one
 * resource part together, one `path=value` line each, so a value is also judged by its property path
 * (`environment.variables.AWS_SECRET_ACCESS_KEY`) and a secret is paired with a key id in another property.
 * A `{name, value}` or `{key, value}` object is one value named by its name. Secrets exported with
 * `--show-secrets` are scanned; encrypted ones are listed, not scanned. Throws an Error saying what is wrong
 * with the document (never echoing it).
 */
export function scanPulumiState(text: string, options: ScanOptions = {}): StateScan {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error("not JSON (expected the output of `pulumi stack export`)");
  }
  const deployment = (doc as { deployment?: { resources?: unknown } } | null)?.deployment;
  const resources = deployment?.resources;
  if (!Array.isArray(resources)) {
    throw new Error("no deployment.resources (expected the output of `pulumi stack export`)");
  }
  const out: StateScan = { results: [], encrypted: [], resources: resources.length };
  for (const r of resources as { urn?: unknown; inputs?: unknown; outputs?: unknown }[]) {
    const urn = typeof r?.urn === "string" ? r.urn : "<resource without urn>";
    for (const part of ["inputs", "outputs"] as const) {
      const leaves: Leaf[] = [];
      collect(r?.[part], part, leaves, (path) => out.encrypted.push(`${urn}#${path}`));
      // Each value on its own, so its layers read as for a file (`base64 > gzip`, line 3)...
      const found = new Map<string, Finding[]>();
      for (const l of leaves) {
        const fs = scan(l.value, options);
        if (fs.length > 0) found.set(l.path, [...fs]);
      }
      // ...then the short one-line values together, one `path=value` line each, so a value is judged by its
      // property path and a secret is paired with a key id in another property. What this adds goes to
      // its property, at line 1 of the value; what the first pass found already is not repeated.
      const single = leaves.filter(isShort);
      if (single.length > 0) {
        for (const f of scan(single.map((l) => `${l.path}=${l.value}`).join("\n"), options)) {
          const leaf = single[outerLineOf(f) - 1];
          if (leaf === undefined || f.kind === "undecodable-layer") continue;
          const have = found.get(leaf.path) ?? [];
          if (have.some((h) => h.fingerprint === f.fingerprint)) continue;
          found.set(leaf.path, [...have, f.layer === "raw" ? { ...f, line: 1 } : f]);
        }
      }
      for (const l of leaves) {
        const fs = found.get(l.path);
        if (fs !== undefined) out.results.push({ file: `${urn}#${l.path}`, findings: fs });
      }
    }
  }
  return out;
}

/** Short one-line values are also scanned together (named by path, paired across properties). */
const isShort = (l: Leaf): boolean => l.value.length <= 256 && !l.value.includes("\n");

function outerLineOf(f: Finding): number {
  if (f.layer === "raw") return f.line;
  const m = /\(line (\d+)\)$/.exec(f.layer.split(" > ")[0] ?? "");
  return m === null ? 1 : Number(m[1]);
}

const isIdentifier = (k: string): boolean => /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k);

/** Walks a JSON value, collecting string leaves (numbers and booleans hold no key) with their paths. */
function collect(value: unknown, path: string, out: Leaf[], onEncrypted: (path: string) => void, depth = 0): void {
  if (depth > 64) return;
  if (typeof value === "string") {
    out.push({ path, value });
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) collect(v, `${path}[${i}]`, out, onEncrypted, depth + 1);
    return;
  }
  if (value === null || typeof value !== "object") return;
  const obj = value as Record<string, unknown>;
  if (obj[SECRET_SIG] === SECRET_VALUE) {
    if (typeof obj.plaintext === "string") {
      // Exported with --show-secrets: the plaintext is the JSON of the value.
      let inner: unknown = obj.plaintext;
      try {
        inner = JSON.parse(obj.plaintext);
      } catch {
        // A plain string.
      }
      collect(inner, path, out, onEncrypted, depth + 1);
    } else {
      onEncrypted(path);
    }
    return;
  }
  // `{name, value}` / `{key, value}` pairs (ECS environments, tags as lists): one leaf named by its name.
  const label = obj.name ?? obj.Name ?? obj.key ?? obj.Key;
  const pairValue = obj.value ?? obj.Value;
  if (typeof label === "string" && typeof pairValue === "string" && isIdentifier(label)) {
    out.push({ path: `${path}.${label}`, value: pairValue });
    for (const [k, v] of Object.entries(obj)) {
      if (!["name", "Name", "key", "Key", "value", "Value"].includes(k))
        collect(v, `${path}.${k}`, out, onEncrypted, depth + 1);
    }
    return;
  }
  for (const [k, v] of Object.entries(obj)) {
    collect(v, isIdentifier(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`, out, onEncrypted, depth + 1);
  }
}
