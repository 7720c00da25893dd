/** The ownership tags every keyless component puts on what it creates (keys in @keyless/iam-rules). */
import { KEYLESS_COMPONENT_TAG, KEYLESS_OWNERSHIP_TAGS, KEYLESS_STACK_TAG, tagValue } from "@keyless/iam-rules";
import * as pulumi from "@pulumi/pulumi";
import { KeylessErrorCode, KeylessValidationError } from "./errors";

/**
 * The stack's organization. The engine always passes one (`organization` on a self-managed backend); unit tests that
 * call `setMocks` without one get that same default instead of an error thrown in every component.
 */
function organization(): string {
  try {
    return pulumi.getOrganization();
  } catch {
    return "organization";
  }
}

/**
 * The ownership tags of the resources `component` creates: {@link KEYLESS_STACK_TAG} and {@link KEYLESS_COMPONENT_TAG}.
 * Characters AWS refuses in a tag value become `_`.
 *
 * @example
 * ```ts
 * const tags = ownershipTags(this); // { "keyless:stack": "organization/app/dev", "keyless:component": "keyless:aws:SecureInstance::web" }
 * ```
 */
export function ownershipTags(component: pulumi.Resource): Record<string, string> {
  return {
    [KEYLESS_STACK_TAG]: tagValue(`${organization()}/${pulumi.getProject()}/${pulumi.getStack()}`),
    [KEYLESS_COMPONENT_TAG]: tagValue(componentId(component)),
  };
}

/**
 * `<type token>::<name>` of a component. `pulumi.resourceType`/`resourceName` are newer than the oldest SDK the
 * peer range admits (3.159 lacks them); every SDK in the range keeps the same two fields on the resource.
 */
function componentId(component: pulumi.Resource): string {
  const fields = component as unknown as { readonly __pulumiType: string; readonly __name: string };
  return `${fields.__pulumiType}::${fields.__name}`;
}

/** A user's tags, as the components take them. */
export type UserTags = pulumi.Input<{ [key: string]: pulumi.Input<string> }>;

/**
 * Refuses user tags that set a keyless ownership tag: the value would be overwritten, and a resource claiming another
 * stack would hide it from that stack's leftover listing. Tags known only at deploy time are checked in
 * {@link withOwnershipTags}.
 * @internal
 */
export function validateUserTags(tags: unknown, argument: string): void {
  if (tags === undefined || tags === null || pulumi.Output.isInstance(tags)) return;
  if (typeof tags !== "object" || Array.isArray(tags)) {
    throw new KeylessValidationError(
      KeylessErrorCode.InvalidArgument,
      argument,
      `\`${argument}\` must be a map of tag keys to values. Received ${Array.isArray(tags) ? "a list" : typeof tags}.`,
    );
  }
  const reserved = Object.keys(tags).find((k) => KEYLESS_OWNERSHIP_TAGS.includes(k));
  if (reserved !== undefined) {
    throw new KeylessValidationError(
      KeylessErrorCode.InvalidArgument,
      argument,
      `\`${argument}\` must not set "${reserved}": keyless sets ${KEYLESS_OWNERSHIP_TAGS.map((k) => `"${k}"`).join(" and ")} ` +
        `itself, so that an interrupted update's resources can be found by listing. Remove the key.`,
    );
  }
}

/**
 * `userTags` with the ownership tags of `component` added last, so they cannot be dropped or overwritten.
 * @internal
 */
export function withOwnershipTags(
  component: pulumi.Resource,
  userTags: UserTags | undefined,
  argument = "tags",
): pulumi.Input<{ [key: string]: pulumi.Input<string> }> {
  const own = ownershipTags(component);
  if (pulumi.Output.isInstance(userTags)) {
    return pulumi.output(userTags).apply((resolved) => {
      validateUserTags(resolved, argument);
      return { ...(resolved ?? {}), ...own };
    });
  }
  validateUserTags(userTags, argument);
  return { ...((userTags as { [key: string]: pulumi.Input<string> } | undefined) ?? {}), ...own };
}

export { KEYLESS_COMPONENT_TAG, KEYLESS_OWNERSHIP_TAGS, KEYLESS_STACK_TAG };
