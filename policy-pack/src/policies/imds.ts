import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { T } from "../private/types";
import { failOnUnknownSchema, type UndecidableArgs, Undecided } from "../private/unknown";

/** Configuration of {@link imdsv2Required}. */
export interface Imdsv2RequiredArgs extends UndecidableArgs {
  /**
   * Highest allowed `httpPutResponseHopLimit`. 1 keeps IMDS tokens on the host; 2 is needed only
   * where containers on the host must reach IMDS.
   * @default 1
   * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-existing-instances.html
   */
  readonly maxHopLimit?: number;
}

const types: readonly string[] = [T.instance, T.launchTemplate, T.launchConfiguration, T.spotInstanceRequest];

type Options = Record<string, unknown>;

function problems(mo: Options | undefined, maxHopLimit: number): string[] {
  if (mo?.["httpEndpoint"] === "disabled") return []; // no IMDS at all: nothing to steal from it
  const out: string[] = [];
  if (mo?.["httpTokens"] !== "required") {
    out.push(
      `\`metadataOptions.httpTokens\` must be "required" (IMDSv2 only); it is ${mo?.["httpTokens"] === undefined ? "not set, so the AMI or account default decides" : `"${String(mo["httpTokens"])}"`}`,
    );
  }
  const hop = mo?.["httpPutResponseHopLimit"];
  if (typeof hop !== "number") {
    out.push(`\`metadataOptions.httpPutResponseHopLimit\` must be set explicitly, at most ${maxHopLimit}`);
  } else if (hop > maxHopLimit) {
    out.push(`\`metadataOptions.httpPutResponseHopLimit\` must be at most ${maxHopLimit}; it is ${hop}`);
  }
  return out;
}

function readConfig(args: ResourceValidationArgs): { maxHopLimit: number; failOnUnknown: boolean } {
  const config = args.getConfig<Imdsv2RequiredArgs>();
  return { maxHopLimit: config.maxHopLimit ?? 1, failOnUnknown: config.failOnUnknown === true };
}

/**
 * Instances and launch templates must require IMDSv2 tokens, with a hop limit of at most the configured maximum.
 * At enforcement level `remediate` the pack sets `httpTokens: "required"` (and the hop limit) itself.
 */
export const imdsv2Required: ResourceValidationPolicy = {
  name: "imdsv2-required",
  description: "Checks whether EC2 instances and launch templates require IMDSv2 tokens with a small hop limit.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: {
    properties: {
      maxHopLimit: {
        type: "integer",
        minimum: 1,
        maximum: 64,
        default: 1,
        description: "Highest allowed metadataOptions.httpPutResponseHopLimit.",
      },
      ...failOnUnknownSchema,
    },
  },
  remediationSteps:
    'Set `metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1, httpEndpoint: "enabled" }`, or run the pack at enforcement level `remediate`.',
  validateResource: (args, reportViolation) => {
    if (!types.includes(args.type)) args.notApplicable("Policy only applies to EC2 instances and launch templates");
    const { maxHopLimit, failOnUnknown } = readConfig(args);
    const undecided = new Undecided();
    const mo = undecided.read("`metadataOptions`", () => {
      const v = args.props["metadataOptions"] as Options | undefined;
      // Touch the fields, so an unknown inside surfaces here.
      if (v !== undefined) void [v["httpEndpoint"], v["httpTokens"], v["httpPutResponseHopLimit"]];
      return v;
    });
    if (!undecided.hasUnknowns()) {
      for (const p of problems(mo, maxHopLimit)) reportViolation(`${p}.`);
    }
    undecided.settle(failOnUnknown, reportViolation);
  },
  remediateResource: (args) => {
    if (!types.includes(args.type)) return undefined;
    const { maxHopLimit } = readConfig(args);
    const current = (args.props["metadataOptions"] as Options | undefined) ?? {};
    if (problems(current, maxHopLimit).length === 0) return undefined;
    const hop = current["httpPutResponseHopLimit"];
    args.props["metadataOptions"] = {
      ...current,
      httpTokens: "required",
      httpPutResponseHopLimit: typeof hop === "number" && hop <= maxHopLimit ? hop : maxHopLimit,
    };
    return args.props;
  },
};
