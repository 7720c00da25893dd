import * as pulumi from "@pulumi/pulumi";
import type { HardenStackOptions } from "./options";
import { hardeningTransform } from "./transform";

/**
 * Makes an existing Pulumi program keyless-safe with one call at its top, without rewriting it to use the keyless
 * components: the first step of a migration. It registers a stack-wide resource transform
 * (`pulumi.runtime.registerResourceTransform`), so every resource registered after the call, in components too, goes
 * through these rules:
 *
 * - `aws.ec2.Instance` and `aws.ec2.LaunchTemplate`: `metadataOptions` set to IMDSv2 required, endpoint enabled, hop
 *   limit 1 (2 for container hosts, see {@link HardenStackOptions.containerMetadataAccess}), keeping values that are
 *   already stricter. These are in-place changes on AWS (ModifyInstanceMetadataOptions, a new template version).
 * - `userData`, `userDataBase64` and Lambda `environment.variables` scanned by the keyless credential scanner; a key
 *   fails the preview with the same {@link KeylessValidationError} codes and messages as the components
 *   (`UserDataContainsCredentials`, `EnvironmentContainsCredentials`), never printing the value.
 * - `aws.iam.AccessKey` refused (`StaticAccessKey`) unless opted out by name with a reason.
 * - `aws.iam.Role` refused (`UnscopedWebIdentityTrust`) when its trust lets a web identity it does not name assume it:
 *   an OIDC provider without a fixed `aud` and a `sub` naming one repository, project or service account, or EKS Pod
 *   Identity without fixed session tags; the rules of the pack's `web-identity-trust-scoped` policy
 *   (`webIdentityTrustFindings` of @keyless/iam-rules). The role is never changed.
 * - Nothing that would replace an existing resource is changed: an unencrypted instance root volume is logged as
 *   advice unless {@link HardenStackOptions.applyReplacingChanges}.
 *
 * Each changed resource gets one `pulumi.log.info` line, so `pulumi preview` shows what will change. The options are
 * checked before the transform is registered. Call it once, before the resources it should see: resources registered
 * earlier are not transformed. Pulumi's unit-test mocks do not run transforms: from @pulumi/pulumi 3.260 they hand the
 * registered transform to the mocks' `registerTransform`, where a test can run it; before that, test the rules with
 * {@link hardeningTransform}.
 *
 * @param options - types, opt-outs, hop limit and what a broken rule does; see {@link HardenStackOptions}
 * @throws {@link KeylessValidationError} `InvalidArgument` naming the option, for bad options
 * @see https://www.pulumi.com/docs/iac/concepts/options/transforms/
 * @example
 * ```ts
 * import * as aws from "@pulumi/aws";
 * import { hardenStack } from "@keyless/aws";
 *
 * hardenStack({ optOuts: { "legacy-agent": "ticket OPS-42: vendor agent needs IMDSv1 until 2026-12" } });
 *
 * // the program as it was: this instance now requires IMDSv2 with hop limit 1
 * new aws.ec2.Instance("web", { ami, instanceType: "t3.micro", userData: script });
 * ```
 */
export function hardenStack(options?: HardenStackOptions): void {
  const transform = hardeningTransform(options);
  try {
    pulumi.runtime.registerResourceTransform(transform);
  } catch (err) {
    throw new Error(
      "hardenStack() must run inside a Pulumi program whose engine runs resource transforms (`pulumi preview`/`up`, " +
        "or the unit-test mocks of @pulumi/pulumi 3.260 and later; with older mocks call hardeningTransform() " +
        `directly): ${(err as Error).message}`,
      { cause: err },
    );
  }
}
