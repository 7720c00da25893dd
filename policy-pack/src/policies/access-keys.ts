import type { ResourceValidationPolicy } from "@pulumi/policy";
import { recordExemption } from "../private/exemptions";
import { T } from "../private/types";
import { failOnUnknownSchema, type UndecidableArgs, Undecided } from "../private/unknown";

/** Configuration of {@link noIamAccessKeys}. */
export interface NoIamAccessKeysArgs extends UndecidableArgs {
  /**
   * IAM user names that may have access keys (for example a CI user outside AWS that cannot use OIDC). Kept for existing
   * configs; `exemptions` say why and until when, and `exemptions-in-use` lists both.
   * @default []
   */
  readonly allowedUsers?: readonly string[];
}

/** IAM access keys must not be created: workloads get roles. */
export const noIamAccessKeys: ResourceValidationPolicy = {
  name: "no-iam-access-keys",
  description: "Checks whether the stack creates IAM access keys (long-lived AKIA credentials).",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: {
    properties: {
      allowedUsers: {
        type: "array",
        items: { type: "string" },
        default: [],
        description: "IAM user names that may have access keys.",
      },
      ...failOnUnknownSchema,
    },
  },
  remediationSteps:
    "Give the workload a role (instance profile, Lambda execution role, ECS task role, OIDC for CI) instead of a user with keys.",
  validateResource: (args, reportViolation) => {
    if (args.type !== T.accessKey) args.notApplicable(`Policy only applies to resources of type '${T.accessKey}'`);
    const config = args.getConfig<NoIamAccessKeysArgs>();
    const allowed = config.allowedUsers ?? [];
    const undecided = new Undecided();
    const user = allowed.length > 0 ? undecided.read("`user`", () => args.props["user"]) : undefined;
    if (typeof user === "string" && allowed.includes(user)) {
      // Still allowed, and listed by `exemptions-in-use` beside the exemptions, which say why and until when.
      recordExemption(
        "no-iam-access-keys",
        args.urn,
        `\`${args.name}\` passes \`no-iam-access-keys\` through \`allowedUsers\` (user \`${user}\`), with no reason or end date: list it in \`exemptions\` instead`,
      );
      return;
    }
    if (allowed.length === 0 || typeof user === "string") {
      reportViolation(
        `IAM access keys must not be created${typeof user === "string" ? ` (user \`${user}\` is not in \`allowedUsers\`)` : ""}: ` +
          "use a role delivered by an instance profile, a Lambda or ECS task role, or OIDC federation.",
      );
    }
    undecided.settle(config.failOnUnknown, reportViolation);
  },
};
