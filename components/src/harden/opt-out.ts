import * as pulumi from "@pulumi/pulumi";
import { validateExceptionReason } from "../iam/policy-statement";
import { isRecord, mapValue } from "./engine-values";
import { HARDEN_OPT_OUT_TAG, type ResolvedHardenOptions } from "./options";

/**
 * Why a resource is left alone, and where that was said.
 * @internal
 */
export interface OptOut {
  readonly reason: string;
  /** `name`: in `options.optOuts`; `tag`: the resource's own {@link HARDEN_OPT_OUT_TAG} tag. */
  readonly source: "name" | "tag";
}

/**
 * The opt-out of one resource: by its logical name in the options first, else by its own tag (whose reason must
 * read as one, as a least-privilege exception's does). A tag whose value is not known yet (preview) still opts out.
 * @internal
 */
export function findOptOut(name: string, tags: unknown, options: ResolvedHardenOptions): OptOut | undefined {
  const byName = options.optOuts.get(name);
  if (byName !== undefined) return { reason: byName, source: "name" };
  // Tags as the engine hands them: maybe a secret wrapper, maybe holding unknowns (preview). An Output (a direct call)
  // cannot be read now: it does not opt out.
  const plain = pulumi.runtime.isRpcSecret(tags) ? pulumi.runtime.unwrapRpcSecret(tags) : tags;
  if (!isRecord(plain) || pulumi.Output.isInstance(plain) || !(HARDEN_OPT_OUT_TAG in plain)) return undefined;
  const reason = plain[HARDEN_OPT_OUT_TAG];
  if (typeof reason !== "string") return { reason: "(not known yet)", source: "tag" };
  validateExceptionReason(reason, `${name}.tags["${HARDEN_OPT_OUT_TAG}"]`);
  return { reason, source: "tag" };
}

/**
 * The resource's tags with the opt-out recorded as {@link HARDEN_OPT_OUT_TAG}, as the components record
 * least-privilege exceptions. Adding a tag is an in-place change.
 * @internal
 */
export function recordOptOut(tags: unknown, reason: string): unknown {
  return mapValue(tags ?? {}, (plain) => ({ ...(isRecord(plain) ? plain : {}), [HARDEN_OPT_OUT_TAG]: reason }));
}
