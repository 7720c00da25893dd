import { wildcardMatches } from "../wildcard";
import { type Exemption, expiryInstant } from "./exemption";
import { EXEMPT_TAG, parseExemptTag } from "./tag";

/** What an exemption needs to know about a resource. */
export interface ExemptionSubject {
  /** The logical name. */
  readonly name: string;
  /** The URN, when known (the pack always knows it; `hardenStack()` builds it from the stack, project and types). */
  readonly urn?: string;
  /** The resource's tags, when known. */
  readonly tags?: Readonly<Record<string, unknown>>;
}

/** The outcome for one policy and resource: exempt, or an exemption that expired (the violation stands). */
export type ExemptionMatch =
  | { readonly status: "exempt"; readonly exemption: Exemption; readonly source: "config" | "tag" }
  | {
      readonly status: "expired";
      readonly exemption: Exemption;
      readonly source: "config" | "tag";
      /** The last day it applied. */
      readonly until: string;
    };

function targets(e: Exemption, subject: ExemptionSubject): boolean {
  if (e.resource !== undefined) return wildcardMatches(e.resource, subject.name, { caseSensitive: true });
  if (e.urn !== undefined)
    return subject.urn !== undefined && wildcardMatches(e.urn, subject.urn, { caseSensitive: true });
  if (e.tag !== undefined) {
    const v = subject.tags?.[e.tag.key];
    return typeof v === "string" && (e.tag.value === undefined || v === e.tag.value);
  }
  return false;
}

/**
 * Whether `policy` is lifted for a resource, by the exemptions given (config or options) or by the resource's own
 * {@link EXEMPT_TAG} tag, judged at `now`. A live exemption wins over an expired one; with only expired ones, the
 * latest is returned so that the violation can say when it ended. A malformed tag throws
 * {@link ExemptionError} naming `argument`.
 *
 * @param now - the clock (tests pass a fixed date)
 * @example
 * ```ts
 * const m = findExemption("imdsv2-required", { name: "legacy", urn }, exemptions, new Date());
 * if (m?.status === "exempt") return; // recorded, not reported
 * ```
 */
export function findExemption(
  policy: string,
  subject: ExemptionSubject,
  exemptions: readonly Exemption[],
  now: Date,
  argument = `${subject.name}.tags["${EXEMPT_TAG}"]`,
): ExemptionMatch | undefined {
  const candidates: { exemption: Exemption; source: "config" | "tag" }[] = exemptions
    .filter((e) => e.policy === policy && targets(e, subject))
    .map((exemption) => ({ exemption, source: "config" }));
  const tag = subject.tags?.[EXEMPT_TAG];
  if (typeof tag === "string") {
    for (const exemption of parseExemptTag(tag, argument)) {
      if (exemption.policy === policy) candidates.push({ exemption, source: "tag" });
    }
  }
  let expired: ExemptionMatch | undefined;
  for (const { exemption, source } of candidates) {
    const end = exemption.until === undefined ? undefined : expiryInstant(exemption.until);
    if (end === undefined || now.getTime() < end.getTime()) return { status: "exempt", exemption, source };
    if (expired === undefined || (expired.status === "expired" && expired.until < (exemption.until ?? ""))) {
      expired = { status: "expired", exemption, source, until: exemption.until ?? "" };
    }
  }
  return expired;
}

/** How a violation says its exemption expired, the same words in the pack and `hardenStack()`. */
export function expiredNote(match: ExemptionMatch & { status: "expired" }): string {
  const where = match.source === "tag" ? `tag \`${EXEMPT_TAG}\`` : "config";
  return `The exemption (${where}: "${match.exemption.reason}") expired after ${match.until}, so this applies again.`;
}

/** One line naming an applied exemption, for `pulumi preview`. */
export function describeExemption(policy: string, resource: string, match: ExemptionMatch): string {
  const where = match.source === "tag" ? `its \`${EXEMPT_TAG}\` tag` : "the exemptions config";
  const end = match.exemption.until === undefined ? "with no end date" : `until ${match.exemption.until}`;
  return `\`${resource}\` is exempt from \`${policy}\` by ${where}, ${end}: ${match.exemption.reason}`;
}
