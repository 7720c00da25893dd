/**
 * One exemption: a resource a keyless policy (or `hardenStack()` rule of the same name) leaves alone, with the reason
 * and, optionally, the last day it applies. The same shape in the pack's config (`exemptions` of each policy) and in
 * `hardenStack({ exemptions })`.
 *
 * @example
 * ```json
 * { "resource": "legacy-agent", "reason": "OPS-42: vendor agent needs IMDSv1", "until": "2027-01-31" }
 * ```
 */
export interface Exemption {
  /** The policy it lifts, for example `imdsv2-required` (in a pack config file: the key it is listed under). */
  readonly policy: string;
  /** The resource's logical name (the first constructor argument); `*` and `?` are wildcards. One of `resource`, `urn`, `tag`. */
  readonly resource?: string;
  /** The resource's URN; `*` and `?` are wildcards (`urn:pulumi:prod::*::aws:ec2/instance:Instance::legacy-*`). */
  readonly urn?: string;
  /** A tag the resources carry: `key`, and `value` unless any value will do. */
  readonly tag?: { readonly key: string; readonly value?: string };
  /** Why: required, at most 256 characters. */
  readonly reason: string;
  /**
   * The last day the exemption applies (ISO date `YYYY-MM-DD`, UTC): from the next day the violation returns, saying
   * the exemption expired.
   * @default - No end.
   */
  readonly until?: string;
}

/** A malformed exemption: `argument` names the field (`imdsv2-required.exemptions[0].reason`). */
export class ExemptionError extends Error {
  override readonly name = "ExemptionError";
  constructor(
    readonly argument: string,
    message: string,
  ) {
    super(message);
  }
}

/** The longest reason: a tag value's limit, so a reason always fits the `keyless:exempt` tag too. */
export const MAX_REASON_LENGTH = 256;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const FIELDS = new Set(["policy", "resource", "urn", "tag", "reason", "until"]);

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** The instant an exemption ending on `until` stops applying (the next midnight UTC); undefined for a bad date. */
export function expiryInstant(until: string): Date | undefined {
  const m = DATE.exec(until);
  if (m === null) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  // Date.UTC rolls 2027-02-30 over to March: a date that does not round-trip does not exist.
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return undefined;
  return new Date(Date.UTC(y, mo - 1, d + 1));
}

/** Checks a reason: a non-empty string of at most {@link MAX_REASON_LENGTH} characters. */
export function checkReason(reason: unknown, argument: string): string {
  if (typeof reason !== "string" || reason.trim().length === 0) {
    throw new ExemptionError(
      argument,
      `\`${argument}\` is required: say why the resource is exempt (a ticket, an owner, what has to change first). ` +
        `Received ${reason === undefined ? "nothing" : JSON.stringify(reason)}.`,
    );
  }
  if (reason.length > MAX_REASON_LENGTH) {
    throw new ExemptionError(
      argument,
      `\`${argument}\` must be at most ${MAX_REASON_LENGTH} characters. Received ${reason.length}. Link a ticket instead.`,
    );
  }
  return reason;
}

/** Checks an end date: an ISO calendar date `YYYY-MM-DD`. */
export function checkUntil(until: unknown, argument: string): string {
  if (typeof until !== "string" || expiryInstant(until) === undefined) {
    throw new ExemptionError(
      argument,
      `\`${argument}\` must be an ISO date YYYY-MM-DD (the last day the exemption applies, UTC). Received ${JSON.stringify(until)}.`,
    );
  }
  return until;
}

function nonEmpty(value: unknown, argument: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new ExemptionError(
      argument,
      `\`${argument}\` must be a non-empty string. Received ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/**
 * Checks one exemption and returns it typed; `policy` is the policy it is listed under (a pack config key), or read
 * from the entry. Throws {@link ExemptionError} naming the field, for a malformed or reasonless exemption.
 */
export function parseExemption(value: unknown, argument: string, policy?: string): Exemption {
  if (!isRecord(value)) {
    throw new ExemptionError(
      argument,
      `\`${argument}\` must be an object such as {"resource": "legacy-agent", "reason": "OPS-42: ...", "until": "2027-01-31"}. Received ${JSON.stringify(value)}.`,
    );
  }
  for (const key of Object.keys(value)) {
    if (!FIELDS.has(key)) {
      throw new ExemptionError(
        `${argument}.${key}`,
        `\`${argument}.${key}\` is not an exemption field; the fields are ${[...FIELDS].join(", ")}.`,
      );
    }
  }
  const named = value["policy"] === undefined ? policy : nonEmpty(value["policy"], `${argument}.policy`);
  if (named === undefined) {
    throw new ExemptionError(
      `${argument}.policy`,
      `\`${argument}.policy\` is required: the policy the exemption lifts.`,
    );
  }
  if (policy !== undefined && named !== policy) {
    throw new ExemptionError(
      `${argument}.policy`,
      `\`${argument}.policy\` is ${JSON.stringify(named)} but the exemption is listed under ${JSON.stringify(policy)}: leave it out or list it there.`,
    );
  }
  const targets = (["resource", "urn", "tag"] as const).filter((k) => value[k] !== undefined);
  if (targets.length !== 1) {
    throw new ExemptionError(
      argument,
      `\`${argument}\` must name the resource by exactly one of \`resource\` (logical name), \`urn\` or \`tag\`. Received ${targets.length === 0 ? "none" : targets.join(" and ")}.`,
    );
  }
  let tag: Exemption["tag"];
  if (value["tag"] !== undefined) {
    const t = value["tag"];
    if (!isRecord(t) || Object.keys(t).some((k) => k !== "key" && k !== "value")) {
      throw new ExemptionError(
        `${argument}.tag`,
        `\`${argument}.tag\` must be {"key": "...", "value": "..."} (value optional). Received ${JSON.stringify(t)}.`,
      );
    }
    const key = nonEmpty(t["key"], `${argument}.tag.key`);
    tag = t["value"] === undefined ? { key } : { key, value: nonEmpty(t["value"], `${argument}.tag.value`) };
  }
  return {
    policy: named,
    ...(value["resource"] !== undefined ? { resource: nonEmpty(value["resource"], `${argument}.resource`) } : {}),
    ...(value["urn"] !== undefined ? { urn: nonEmpty(value["urn"], `${argument}.urn`) } : {}),
    ...(tag !== undefined ? { tag } : {}),
    reason: checkReason(value["reason"], `${argument}.reason`),
    ...(value["until"] !== undefined ? { until: checkUntil(value["until"], `${argument}.until`) } : {}),
  };
}

/** Checks a list of exemptions listed under one policy (`argument` is where the list is, for messages). */
export function parseExemptionList(value: unknown, argument: string, policy?: string): Exemption[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new ExemptionError(
      argument,
      `\`${argument}\` must be a list of exemptions. Received ${JSON.stringify(value)}.`,
    );
  }
  return value.map((e, i) => parseExemption(e, `${argument}[${i}]`, policy));
}

/**
 * The exemptions of a keyless-aws policy config file (`pulumi preview --policy-pack-config`, `pulumi policy enable
 * --config`): `{ "<policy>": { "exemptions": [...], ...other settings } }`. Other settings, `"all"` and enforcement
 * levels given as a bare string are skipped; a key that names no keyless policy is an error, so a typo does not
 * silently exempt nothing.
 *
 * @param knownPolicies - the policy names that may appear (the pack's; see `keylessPolicyNames`)
 * @example
 * ```ts
 * parsePolicyConfigExemptions(JSON.parse(readFileSync("keyless-policy.json", "utf8")), "exemptions", keylessPolicyNames);
 * ```
 */
export function parsePolicyConfigExemptions(
  config: unknown,
  argument: string,
  knownPolicies: readonly string[],
): Exemption[] {
  if (config === undefined) return [];
  if (!isRecord(config)) {
    throw new ExemptionError(
      argument,
      `\`${argument}\` must be the pack's config object, {"<policy>": {"exemptions": [...]}}. Received ${JSON.stringify(config)}.`,
    );
  }
  const out: Exemption[] = [];
  for (const [policy, settings] of Object.entries(config)) {
    if (policy === "all") continue;
    if (!knownPolicies.includes(policy)) {
      throw new ExemptionError(
        `${argument}.${policy}`,
        `\`${argument}.${policy}\` names no keyless-aws policy; the policies are ${knownPolicies.join(", ")}.`,
      );
    }
    if (!isRecord(settings)) continue; // an enforcement level given as a string
    out.push(...parseExemptionList(settings["exemptions"], `${argument}.${policy}.exemptions`, policy));
  }
  return out;
}
