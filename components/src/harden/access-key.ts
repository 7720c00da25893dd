import { KeylessErrorCode, KeylessValidationError } from "../errors";
import { HARDEN_OPT_OUT_TAG } from "./options";
import type { ResourceReport } from "./report";

/**
 * Refuses an `aws.iam.AccessKey`: a long-lived key that leaks, never expires and has to be rotated by hand. Only an
 * opt-out by name lets one through (an access key has no tags to carry {@link HARDEN_OPT_OUT_TAG}).
 * @internal
 */
export function refuseAccessKey(name: string, report: ResourceReport, note?: string): void {
  report.guard(() => {
    throw new KeylessValidationError(
      KeylessErrorCode.StaticAccessKey,
      name,
      `\`${name}\` (aws.iam.AccessKey) must not be created: an access key is a long-lived credential that leaks, never ` +
        "expires and must be rotated by hand. Give the workload a role instead (an instance profile, a Lambda or ECS " +
        "task role, OIDC federation for CI), or, if this key cannot go yet, opt it out with a reason: " +
        `an exemption of \`no-iam-access-keys\` in hardenStack({ exemptions }) (or the deprecated ` +
        `hardenStack({ optOuts: { "${name}": "<why>" } })).`,
    );
  }, note)(undefined);
}
