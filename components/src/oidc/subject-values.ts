// Checks shared by the web-identity roles on the values they write into a trust policy's conditions. Subjects are
// validated when the component is constructed, so they must be plain values, not Outputs.
import { KeylessErrorCode, KeylessValidationError } from "../errors";

/** Whether an IAM `StringLike` value holds a wildcard. */
export function hasWildcard(value: string): boolean {
  return /[*?]/.test(value);
}

function fail(code: KeylessErrorCode, argument: string, message: string): never {
  throw new KeylessValidationError(code, argument, message);
}

/**
 * Refuses a wildcard in a part of a subject that names who may assume the role.
 * @internal
 */
export function refuseWildcard(argument: string, part: string, value: string, fix: string): void {
  if (hasWildcard(value)) {
    fail(
      KeylessErrorCode.WildcardSubject,
      argument,
      `\`${argument}\` must name one ${part}: a wildcard there lets tokens of ${part}s you do not control assume the ` +
        `role. Received ${JSON.stringify(value)}. ${fix}`,
    );
  }
}

/**
 * Checks that `value` is a non-empty string known now, and returns it.
 * @internal
 */
export function requireString(value: unknown, argument: string, what: string): string {
  if (typeof value !== "string" || value.length === 0) {
    fail(
      KeylessErrorCode.InvalidArgument,
      argument,
      `\`${argument}\` must be ${what}, a plain string known when the component is constructed (it is written into ` +
        `the trust policy and checked then). Received ${describe(value)}.`,
    );
  }
  return value;
}

/**
 * Checks that `value` is a non-empty list of non-empty strings known now; returns it without duplicates.
 * @internal
 */
export function requireStrings(value: unknown, argument: string, what: string): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    fail(
      KeylessErrorCode.InvalidArgument,
      argument,
      `\`${argument}\` must list at least one ${what}, as plain strings known when the component is constructed. ` +
        `Received ${describe(value)}.`,
    );
  }
  value.forEach((v, i) => {
    requireString(v, `${argument}[${i}]`, `a ${what}`);
  });
  return [...new Set(value as string[])];
}

/**
 * Checks an audience (`aud`) value: exact text, no wildcard.
 * @internal
 */
export function validateAudience(value: unknown, argument: string): string {
  const audience = requireString(value, argument, "the audience (`aud`) the tokens carry");
  if (hasWildcard(audience) || audience.length > 255 || /\s/.test(audience)) {
    fail(
      KeylessErrorCode.InvalidArgument,
      argument,
      `\`${argument}\` must be the exact audience the tokens carry, at most 255 characters without spaces or ` +
        `wildcards. Received ${JSON.stringify(audience)}.`,
    );
  }
  return audience;
}

/**
 * Checks git branch or tag names (wildcards `*` and `?` allowed): not empty, not a full ref, none of the characters
 * git refuses in ref names.
 * @internal
 */
export function validateRefNames(value: unknown, argument: string, kind: "branch" | "tag"): string[] {
  const names = requireStrings(value, argument, `${kind} name`);
  for (const name of names) {
    const arg = `${argument}[${(value as string[]).indexOf(name)}]`;
    if (/^refs\//.test(name)) {
      fail(
        KeylessErrorCode.InvalidArgument,
        arg,
        `\`${arg}\` must be a ${kind} name, not a full ref: the component writes the ref itself. Received ` +
          `${JSON.stringify(name)}. Use ${JSON.stringify(name.replace(/^refs\/(heads|tags)\//, ""))}.`,
      );
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: git refuses control characters in ref names
    if (/[\s~^:\\[\x00-\x1f\x7f]/.test(name) || name.length > 255) {
      fail(
        KeylessErrorCode.InvalidArgument,
        arg,
        `\`${arg}\` must be a git ${kind} name (at most 255 characters; no spaces, control characters or ~^:\\[). ` +
          `Received ${JSON.stringify(name)}.`,
      );
    }
  }
  return names;
}

function describe(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === "object") return "a value only known at deploy time (an Output) or an object";
  return JSON.stringify(value);
}
