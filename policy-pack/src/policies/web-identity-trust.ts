import { TrustPolicyError, type WebIdentityTrustFinding, webIdentityTrustFindings } from "@keyless/iam-rules";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { T } from "../private/types";
import { failOnUnknownSchema, type UndecidableArgs, Undecided } from "../private/unknown";

/** Configuration of {@link webIdentityTrustScoped}. */
export interface WebIdentityTrustScopedArgs extends UndecidableArgs {}

/** The trust policy as IAM will hold it: its text as written (so members written twice are seen), or an object's JSON. */
function trustText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

const violation = (role: string, f: WebIdentityTrustFinding): string =>
  `Role \`${role}\` must not let a web identity it does not name assume it: ${f.message} [${f.code}]`;

/**
 * Every `aws.iam.Role` (a keyless component's or not) must trust web identities only scoped: an IAM OIDC provider
 * (GitHub Actions, GitLab, Pulumi Cloud, EKS IRSA, any other) with a fixed audience and a subject that names one
 * repository, project or service account, and EKS Pod Identity with fixed namespace, service account and cluster
 * session tags. The rules are @keyless/iam-rules' `webIdentityTrustFindings`, the same `hardenStack()` applies: no
 * `aud` or `sub` condition, a wildcard owner or repository, an unscoped value anywhere in a list, `ForAllValues:` or
 * `…IfExists` or only negated operators as the pin, a condition written twice in the JSON text, and a token made up
 * for a foreign repository that IAM's evaluation admits. Messages say when AWS itself also refuses the policy.
 */
export const webIdentityTrustScoped: ResourceValidationPolicy = {
  name: "web-identity-trust-scoped",
  description:
    "Checks whether a role's trust policy lets a web identity it does not name assume the role: an OIDC provider without a fixed audience and a subject naming one repository, project or service account, or EKS Pod Identity without fixed session tags.",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: { properties: { ...failOnUnknownSchema } },
  remediationSteps:
    'Pin the token\'s audience and subject with fixed names: `"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}` and `"StringLike": {"token.actions.githubusercontent.com:sub": "repo:<owner>/<repository>:ref:refs/heads/main"}` (EKS: `system:serviceaccount:<namespace>:<service account>`); no wildcard in the owner, repository, project or namespace, in any value of the list; no `ForAllValues:`, `…IfExists` or negated operator as the only pin; each operator written once. For EKS Pod Identity, fix `aws:RequestTag/kubernetes-namespace`, `aws:RequestTag/kubernetes-service-account` and `aws:RequestTag/eks-cluster-arn`.',
  validateResource: (args, reportViolation) => {
    if (args.type !== T.role) args.notApplicable(`Policy only applies to resources of type '${T.role}'`);
    const config = args.getConfig<WebIdentityTrustScopedArgs>();
    const undecided = new Undecided();
    // Stringified inside the read: an object with a value unknown at preview throws there, and is recorded.
    const text = undecided.read("`assumeRolePolicy`", () => trustText(args.props["assumeRolePolicy"]));
    if (text !== undefined) {
      let findings: WebIdentityTrustFinding[] = [];
      try {
        findings = webIdentityTrustFindings(text);
      } catch (err) {
        if (!(err instanceof TrustPolicyError)) throw err;
        reportViolation(
          `Role \`${args.name}\` has an \`assumeRolePolicy\` that is not a trust policy, so the web identities it trusts could not be checked: ${err.message}`,
        );
      }
      for (const f of findings) reportViolation(violation(args.name, f));
    }
    undecided.settle(config.failOnUnknown, reportViolation);
  },
};
