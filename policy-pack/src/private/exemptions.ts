// The pack's side of the exemptions @keyless/iam-rules defines (one parser and matcher with hardenStack()): the JSON
// schema the CLI checks the config against, the wrapper that lifts a policy for exempt resources, and the ledger the
// advisory `exemptions-in-use` policy reports from.
import {
  describeExemption,
  type Exemption,
  type ExemptionMatch,
  type ExemptionSubject,
  expiredNote,
  findExemption,
  MAX_REASON_LENGTH,
  parseExemptionList,
} from "@keyless/iam-rules";
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { readIfKnown } from "./unknown";

/** Configuration every policy takes: its exemptions. */
export interface ExemptableArgs {
  /**
   * Resources this policy leaves alone, each with a reason and optionally the last day (`until`, `YYYY-MM-DD`) it
   * applies. After that day the violation returns and says the exemption expired.
   * @default []
   */
  readonly exemptions?: readonly Omit<Exemption, "policy">[];
}

/** The JSON schema of one policy's `exemptions` (the CLI checks `--policy-pack-config` against it). @internal */
export const exemptionsSchema: PolicyConfigJSONSchema = {
  type: "array",
  default: [],
  description:
    "Resources this policy leaves alone: each names one resource by `resource` (logical name), `urn` or `tag`, with a required `reason` and an optional last day `until` (YYYY-MM-DD).",
  items: {
    type: "object",
    required: ["reason"],
    additionalProperties: false,
    properties: {
      policy: { type: "string", minLength: 1 },
      resource: { type: "string", minLength: 1 },
      urn: { type: "string", minLength: 1 },
      tag: {
        type: "object",
        required: ["key"],
        additionalProperties: false,
        properties: { key: { type: "string", minLength: 1 }, value: { type: "string", minLength: 1 } },
      },
      reason: { type: "string", minLength: 1, maxLength: MAX_REASON_LENGTH, pattern: "\\S" },
      until: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" },
    },
  },
};

/** One exemption that lifted a policy for a resource, for `exemptions-in-use`. @internal */
export interface AppliedExemption {
  readonly policy: string;
  readonly urn: string;
  readonly message: string;
}

/**
 * The exemptions applied in this analyzer process (one per `pulumi preview`/`up`): resource policies run before the
 * stack policies, and `exemptions-in-use` runs last, so it sees every one.
 * @internal
 */
export const exemptionLedger = new Map<string, AppliedExemption>();

/** Records a lifted policy (or an allowance of a deprecated list) for `exemptions-in-use`. @internal */
export function recordExemption(policy: string, urn: string, message: string): void {
  exemptionLedger.set(`${policy}\u0000${urn}\u0000${message}`, { policy, urn, message });
}

/** A tags object as a plain record, or undefined; reading an unknown value throws UnknownValueError. */
function tagsOf(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function subjectOf(r: { name: string; urn: string; props: Record<string, unknown> }): ExemptionSubject {
  return { name: r.name, urn: r.urn, tags: readIfKnown(() => tagsOf(r.props["tags"])) };
}

/** The match for one resource; a tag value not known yet (preview) exempts nothing. */
function match(
  policy: string,
  subject: ExemptionSubject,
  exemptions: readonly Exemption[],
  now: Date,
): ExemptionMatch | undefined {
  return readIfKnown(() => findExemption(policy, subject, exemptions, now));
}

function configured(policy: string, getConfig: () => Record<string, unknown>): Exemption[] {
  return parseExemptionList(getConfig()["exemptions"], `${policy}.exemptions`, policy);
}

/** Options of {@link withExemptions}. */
export interface WithExemptionsOptions {
  /**
   * The clock exemptions are judged against.
   * @default - the time of the run
   */
  readonly now?: () => Date;
}

/**
 * The policy with exemptions: its config takes `exemptions` (schema and validation included); the violations of a
 * resource that an exemption or its own `keyless:exempt` tag names are not reported but recorded for
 * `exemptions-in-use`, and the resource is not remediated; and a violation whose exemption expired says so. For stack policies the exemption applies to
 * the resource the violation names. A malformed or reasonless exemption fails the run, naming the field.
 *
 * @example
 * ```ts
 * new PolicyPack("my-pack", { policies: [withExemptions(imdsv2Required)] });
 * ```
 */
export function withExemptions<P extends ResourceValidationPolicy | StackValidationPolicy>(
  policy: P,
  options: WithExemptionsOptions = {},
): P {
  const now = options.now ?? (() => new Date());
  const configSchema = {
    ...policy.configSchema,
    properties: { ...policy.configSchema?.properties, exemptions: exemptionsSchema },
  };
  const name = policy.name;
  if ("validateStack" in policy && policy.validateStack !== undefined) {
    const validateStack = policy.validateStack;
    return {
      ...policy,
      configSchema,
      validateStack: (args, reportViolation) => {
        const exemptions = configured(name, args.getConfig);
        const byUrn = new Map<string, PolicyResource>(args.resources.map((r) => [r.urn, r]));
        const at = now();
        const report: ReportViolation = (message, urn) => {
          const r = urn === undefined ? undefined : byUrn.get(urn);
          const m = r === undefined ? undefined : match(name, subjectOf(r), exemptions, at);
          if (m?.status === "exempt" && r !== undefined) {
            recordExemption(name, r.urn, describeExemption(name, r.name, m));
            return;
          }
          reportViolation(m?.status === "expired" ? `${message} ${expiredNote(m)}` : message, urn);
        };
        return validateStack(args, report);
      },
    };
  }
  const resourcePolicy = policy as ResourceValidationPolicy;
  const validations =
    resourcePolicy.validateResource === undefined
      ? []
      : Array.isArray(resourcePolicy.validateResource)
        ? resourcePolicy.validateResource
        : [resourcePolicy.validateResource];
  const remediate = resourcePolicy.remediateResource;
  const judge = (args: ResourceValidationArgs) => match(name, subjectOf(args), configured(name, args.getConfig), now());
  return {
    ...policy,
    configSchema,
    validateResource: async (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
      // Judged first, so a malformed tag or config fails every run; recorded only when it lifts a violation.
      const m = judge(args);
      const report: ReportViolation = (message, urn) => {
        if (m?.status === "exempt") recordExemption(name, args.urn, describeExemption(name, args.name, m));
        else reportViolation(m?.status === "expired" ? `${message} ${expiredNote(m)}` : message, urn);
      };
      for (const validate of validations) await validate(args, report);
    },
    ...(remediate === undefined
      ? {}
      : {
          remediateResource: (args: ResourceValidationArgs) =>
            judge(args)?.status === "exempt" ? undefined : remediate(args),
        }),
  } as P;
}
