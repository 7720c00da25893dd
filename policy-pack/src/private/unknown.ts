import { type ReportViolation, UnknownValueError } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";

/** Options shared by every policy that reads values which may be unknown during preview. */
export interface UndecidableArgs {
  /**
   * Fail a preview when a value the policy must read is not known yet (for example user data built
   * from another resource's outputs), instead of passing it with an advisory note.
   * The policy checks again during `pulumi up`, before the resource is created, when the value is known.
   * @default false
   */
  readonly failOnUnknown?: boolean;
}

/** @internal */
export const failOnUnknownSchema: Record<string, PolicyConfigJSONSchema> = {
  failOnUnknown: {
    type: "boolean",
    default: false,
    description:
      "Fail a preview when a value this policy must read is unknown (computed from other resources), instead of passing it with an advisory note.",
  },
};

/**
 * Reads a value that is useful when known and not needed when unknown (for example a role's name, when the link to it
 * is also known through a dependency): undefined when unknown, and nothing recorded.
 * @internal
 */
export function readIfKnown<R>(read: () => R): R | undefined {
  try {
    return read();
  } catch (err) {
    if (err instanceof UnknownValueError) return undefined;
    throw err;
  }
}

/**
 * Collects reads of values that may be unknown during preview (@pulumi/policy's proxy throws
 * UnknownValueError on them), so that a policy checks everything it can before deciding.
 * @internal
 */
export class Undecided {
  private readonly unknowns: { readonly what: string; readonly error: UnknownValueError; readonly urn?: string }[] = [];

  /** Runs `read`; returns undefined and remembers the unknown when it touches one. */
  read<R>(what: string, read: () => R, urn?: string): R | undefined {
    try {
      return read();
    } catch (err) {
      if (err instanceof UnknownValueError) {
        this.unknowns.push({ what, error: err, urn });
        return undefined;
      }
      throw err;
    }
  }

  /** True when a read met an unknown value. */
  hasUnknowns(): boolean {
    return this.unknowns.length > 0;
  }

  /**
   * At the end of a validation: with `failOnUnknown`, one violation per unknown value; otherwise the
   * first UnknownValueError is rethrown, so @pulumi/policy records its advisory "can't run during
   * preview" note (violations reported before stay reported).
   */
  settle(failOnUnknown: boolean | undefined, reportViolation: ReportViolation): void {
    const first = this.unknowns[0];
    if (first === undefined) return;
    if (failOnUnknown !== true) throw first.error;
    for (const u of this.unknowns) {
      reportViolation(
        `${u.what} is unknown during preview, so it could not be checked; \`failOnUnknown\` is set, so this fails. ` +
          "Without it the preview passes with an advisory note and the check runs again during `pulumi up`.",
        u.urn,
      );
    }
  }
}
