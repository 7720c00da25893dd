// The auditors' metadata of each policy (severity is the policy's own): the controls from @keyless/scanner (the
// one table the README and keyless-scan's SARIF rules share) as tags and framework, and the README section as `url`.
import { CIS_AWS_VERSION, controlTags, type KeylessPolicyName, policyControls } from "@keyless/scanner";
import type { Policy } from "@pulumi/policy";

/** Where the pack's README is published: each policy's `url` is its section there. */
export const POLICY_DOCS_URL = "https://www.npmjs.com/package/@keyless/policy-pack";

/** The README anchor of a policy's section (`### \`imdsv2-required\`` → `#imdsv2-required`). @internal */
export const policyUrl = (name: string): string => `${POLICY_DOCS_URL}#${name}`;

/** The policy with `url`, `tags` (`aws-fsbp:EC2.8`, `cis-aws-5.0.0:5.7`, …) and, when it has any, its FSBP controls as `framework`. @internal */
export function withControls<P extends Policy>(policy: P): P {
  const controls = policyControls[policy.name as KeylessPolicyName];
  if (controls === undefined)
    throw new Error(`policy ${policy.name} has no entry in @keyless/scanner's policyControls`);
  return {
    ...policy,
    url: policyUrl(policy.name),
    tags: [...(policy.tags ?? []), ...controlTags(controls)],
    ...(controls.awsFsbp.length > 0
      ? {
          framework: {
            name: "AWS Foundational Security Best Practices",
            version: "1.0.0",
            reference: controls.awsFsbp.join(", "),
            specification: `Security Hub CSPM controls ${controls.awsFsbp.join(", ")}${controls.cisAws.length > 0 ? `; CIS AWS Foundations Benchmark v${CIS_AWS_VERSION} ${controls.cisAws.join(", ")}` : ""}`,
          },
        }
      : {}),
  };
}
