import { TrustPolicyError, type WebIdentityTrustFinding, webIdentityTrustFindings } from "@keyless/iam-rules";
import * as pulumi from "@pulumi/pulumi";
import { KeylessErrorCode, KeylessValidationError } from "../errors";
import { mapValue } from "./engine-values";
import type { ResourceReport } from "./report";

/**
 * Refuses an `aws.iam.Role` whose trust lets a web identity it does not name assume it, with the rules of the
 * `web-identity-trust-scoped` policy (`webIdentityTrustFindings` of @keyless/iam-rules): an OIDC provider without a
 * fixed `aud` and a `sub` naming one repository, project or service account, EKS Pod Identity without fixed session
 * tags, a condition written twice. The trust policy is read as its text (an object as its JSON); one not known yet
 * (preview) is read by the update that knows it; one that is not a trust policy at all is left to IAM, which refuses
 * it. The message lists every finding and the opt-out.
 * @internal
 */
export function checkWebIdentityTrust(value: unknown, name: string, report: ResourceReport, note?: string): unknown {
  const argument = `${name}.assumeRolePolicy`;
  return mapValue(
    value,
    report.guard((plain: unknown) => {
      if (plain === undefined || plain === null || pulumi.containsUnknowns(plain)) return;
      let findings: WebIdentityTrustFinding[];
      try {
        findings = webIdentityTrustFindings(typeof plain === "string" ? plain : JSON.stringify(plain));
      } catch (err) {
        if (err instanceof TrustPolicyError) return;
        throw err;
      }
      if (findings.length === 0) return;
      throw new KeylessValidationError(
        KeylessErrorCode.UnscopedWebIdentityTrust,
        argument,
        `\`${argument}\` must not let a web identity it does not name assume the role: ` +
          `${findings.map((f) => `${f.message} (${f.code})`).join(" ")} ` +
          "If the role cannot change yet, exempt it from `web-identity-trust-scoped` with a reason and an end date " +
          `(hardenStack({ exemptions }) or the \`keyless:exempt\` tag), or opt it out: hardenStack({ optOuts: { "${name}": "<why>" } }).`,
      );
    }, note),
  );
}
