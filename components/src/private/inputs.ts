import * as pulumi from "@pulumi/pulumi";

/**
 * Whether `value` is a Pulumi Output (a value only known once dependencies resolve).
 * @internal
 */
export function isOutput(value: unknown): value is pulumi.Output<unknown> {
  return pulumi.Output.isInstance(value);
}

/**
 * Whether `value` is a Promise-like.
 * @internal
 */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/**
 * Whether `value` is fully known now: no Output or Promise at any depth.
 * @internal
 */
export function isKnownNow(value: unknown): boolean {
  if (isOutput(value) || isPromiseLike(value)) return false;
  if (Array.isArray(value)) return value.every(isKnownNow);
  if (typeof value === "object" && value !== null) return Object.values(value).every(isKnownNow);
  return true;
}

/**
 * Runs `check` on `value` now when it is known, else inside an apply, so a value only known at deploy time fails the
 * input it feeds instead of the construction. Returns the value to hand to the child resource.
 * @internal
 */
export function checked<T>(value: pulumi.Input<T>, check: (resolved: pulumi.Unwrap<T>) => void): pulumi.Input<T> {
  if (isKnownNow(value)) {
    check(value as pulumi.Unwrap<T>);
    return value;
  }
  return pulumi.output(value).apply((resolved) => {
    check(resolved);
    return resolved;
  }) as unknown as pulumi.Input<T>;
}
