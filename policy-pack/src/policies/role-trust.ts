import { TrustPolicyError, trustNames } from "@keyless/iam-rules";
import type { StackValidationPolicy } from "@pulumi/policy";
import { RoleGraph } from "../private/iam";
import { failOnUnknownSchema, type UndecidableArgs, Undecided } from "../private/unknown";

/** Configuration of {@link roleTrustMatchesUse}. */
export interface RoleTrustMatchesUseArgs extends UndecidableArgs {}

function trusts(doc: unknown, service: string): boolean | undefined {
  try {
    return trustNames(typeof doc === "string" ? doc : JSON.stringify(doc), { service }, "sts:AssumeRole");
  } catch (err) {
    if (err instanceof TrustPolicyError) return undefined;
    throw err;
  }
}

/**
 * A role must trust the service that uses it: ec2.amazonaws.com for a role in an instance profile,
 * lambda.amazonaws.com for a Lambda function's role, ecs-tasks.amazonaws.com for ECS task and execution roles.
 * Roles defined outside the stack (an ARN string with no role resource) cannot be checked and are skipped.
 */
export const roleTrustMatchesUse: StackValidationPolicy = {
  name: "role-trust-matches-use",
  description: "Checks whether each role used by compute trusts the service that uses it (EC2, Lambda, ECS tasks).",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: { properties: { ...failOnUnknownSchema } },
  remediationSteps:
    'Give the role an `assumeRolePolicy` with `{"Effect": "Allow", "Principal": {"Service": "<service>"}, "Action": "sts:AssumeRole"}`.',
  validateStack: (args, reportViolation) => {
    const config = args.getConfig<RoleTrustMatchesUseArgs>();
    const undecided = new Undecided();
    const graph = new RoleGraph(args.resources, undecided);
    for (const use of graph.uses()) {
      const doc = undecided.read(
        `\`assumeRolePolicy\` of role \`${use.role.name}\``,
        () => use.role.props["assumeRolePolicy"],
        use.role.urn,
      );
      if (doc === undefined) continue;
      const ok = trusts(doc, use.service);
      if (ok === undefined) {
        reportViolation(`Role \`${use.role.name}\` has an \`assumeRolePolicy\` that is not valid JSON.`, use.role.urn);
      } else if (!ok) {
        reportViolation(
          `Role \`${use.role.name}\` is used by ${use.how} and must trust \`${use.service}\` (sts:AssumeRole); its trust policy does not.`,
          use.role.urn,
        );
      }
    }
    undecided.settle(config.failOnUnknown, reportViolation);
  },
};
