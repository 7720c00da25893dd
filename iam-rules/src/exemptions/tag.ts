import { checkReason, checkUntil, type Exemption, ExemptionError } from "./exemption";

/**
 * The tag a resource exempts itself with, in the pack and in `hardenStack()` alike. Its value is
 * `<policy>[+<policy>...][ until <YYYY-MM-DD>]: <reason>`, written with the characters AWS allows in a tag value
 * (letters, digits, spaces and `_ . : / = + - @`), for example
 * `imdsv2-required until 2027-01-31: OPS-42 vendor agent needs IMDSv1`.
 */
export const EXEMPT_TAG = "keyless:exempt";

const FORMAT = /^([a-z0-9-]+(?:\+[a-z0-9-]+)*)(?: until (\S+))?: (.*)$/s;

/**
 * The exemptions a {@link EXEMPT_TAG} value grants to the resource that carries it. Throws {@link ExemptionError}
 * naming `argument` for a value that does not follow the format or has no reason.
 *
 * @example
 * ```ts
 * parseExemptTag("imdsv2-required until 2027-01-31: OPS-42 vendor agent", "web.tags");
 * // [{ policy: "imdsv2-required", until: "2027-01-31", reason: "OPS-42 vendor agent" }]
 * ```
 */
export function parseExemptTag(value: string, argument: string): Exemption[] {
  const m = FORMAT.exec(value);
  if (m === null) {
    throw new ExemptionError(
      argument,
      `\`${argument}\` must read "<policy>[+<policy>...][ until YYYY-MM-DD]: <reason>", for example ` +
        `"imdsv2-required until 2027-01-31: OPS-42 vendor agent needs IMDSv1". Received ${JSON.stringify(value)}.`,
    );
  }
  const reason = checkReason(m[3]?.trim(), `${argument} (reason)`);
  const until = m[2] === undefined ? undefined : checkUntil(m[2], `${argument} (until)`);
  return (m[1] ?? "").split("+").map((policy) => ({ policy, reason, ...(until !== undefined ? { until } : {}) }));
}

/**
 * The {@link EXEMPT_TAG} value for exemptions of one resource that share a reason and an end.
 *
 * @example
 * ```ts
 * new aws.ec2.Instance("legacy", { ...args, tags: { [EXEMPT_TAG]: exemptTagValue(["imdsv2-required"], "OPS-42", "2027-01-31") } });
 * ```
 */
export function exemptTagValue(policies: readonly string[], reason: string, until?: string): string {
  const value = `${policies.join("+")}${until === undefined ? "" : ` until ${until}`}: ${reason}`;
  parseExemptTag(value, "exemptTagValue");
  return value;
}
