/**
 * Whether an IAM wildcard pattern matches a text: `*` matches any run of characters (also none), `?` exactly one.
 * Case-insensitive by default, as IAM compares action names; `StringLike` and `ArnLike` conditions compare
 * case-sensitively (`{ caseSensitive: true }`). The one matcher of keyless's IAM rules: action patterns against
 * action names, resource patterns against ARN formats (see {@link isUnboundedResource}), condition values against
 * request values.
 *
 * Greedy two-pointer matching with a single backtrack point: O(pattern × text) in the worst case, never exponential
 * (a regular expression built from `a*a*a*…b` can backtrack exponentially).
 *
 * @example
 * ```ts
 * wildcardMatches("iam:Put*Policy", "iam:PutRolePolicy"); // true
 * wildcardMatches("s3:Get?bject", "s3:PutObject"); // false
 * wildcardMatches("repo:Octo/*", "repo:octo/app", { caseSensitive: true }); // false
 * ```
 */
export function wildcardMatches(pattern: string, text: string, options: { caseSensitive?: boolean } = {}): boolean {
  const p = options.caseSensitive ? pattern : pattern.toLowerCase();
  const t = options.caseSensitive ? text : text.toLowerCase();
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (j < t.length) {
    // The star first: a `*` in the pattern is a wildcard even where the text holds a `*`.
    if (i < p.length && p[i] === "*") {
      // Remember the star and first let it match nothing; on a later mismatch it takes one more character.
      star = i++;
      mark = j;
    } else if (i < p.length && (p[i] === "?" || p[i] === t[j])) {
      i++;
      j++;
    } else if (star >= 0) {
      i = star + 1;
      j = ++mark;
    } else {
      return false;
    }
  }
  while (i < p.length && p[i] === "*") i++;
  return i === p.length;
}
