/**
 * The tags that name who created an AWS resource: set by every keyless component on what it creates, listed by the
 * test harness's leftover check and by the recovery runbook. Shared here so the writer and the readers agree.
 */

/**
 * The tag naming the stack that created a resource: `<organization>/<project>/<stack>`, Pulumi's fully qualified
 * stack name (`organization` on a self-managed backend).
 *
 * @example
 * ```sh
 * aws ec2 describe-instances --filters "Name=tag:keyless:stack,Values=organization/app/dev"
 * ```
 */
export const KEYLESS_STACK_TAG = "keyless:stack";

/**
 * The tag naming the keyless component that created a resource: `<type token>::<component name>`, for example
 * `keyless:aws:SecureInstance::web`, the tail of the component's URN.
 */
export const KEYLESS_COMPONENT_TAG = "keyless:component";

/** The tag keys keyless sets itself; a user's `tags` may not set them. */
export const KEYLESS_OWNERSHIP_TAGS: readonly string[] = [KEYLESS_STACK_TAG, KEYLESS_COMPONENT_TAG];

/**
 * A text as an AWS tag value: characters IAM and EC2 refuse (anything but letters, digits, spaces and `_.:/=+-@`)
 * become `_`, and it is cut at 256 characters.
 *
 * @example
 * ```ts
 * tagValue("organization/app/dev"); // unchanged
 * ```
 */
export function tagValue(text: string): string {
  return text.replace(/[^\p{L}\p{N} _.:/=+\-@]/gu, "_").slice(0, 256);
}
