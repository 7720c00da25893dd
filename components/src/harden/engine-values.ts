// Property values as a resource transform receives them. The engine calls a transform with the inputs the SDK has
// already resolved, so Outputs arrive as plain values, secrets as the SDK's secret wrapper objects and, during a
// preview, values not known yet as the `unknown` sentinel. Called directly (tests, other tooling) a transform may also
// get Outputs. Each rule goes through `mapValue`, which handles all four the same way.
import * as pulumi from "@pulumi/pulumi";
import { isKnownNow } from "../private/inputs";

/**
 * Runs `fn` on the plain value inside `value` and returns what to hand back to the engine in its place:
 * - a secret wrapper is opened and the result wrapped again, so secretness is kept;
 * - an Output (or Promise) is mapped inside its apply, so a value known only at deploy time is checked then;
 * - the unknown sentinel (preview) is returned as it is: the transform runs again at `up` with the value. Unknowns
 *   deeper inside (one field of an object) reach `fn`, which keeps them.
 * @internal
 */
export function mapValue(value: unknown, fn: (plain: unknown) => unknown): unknown {
  if (pulumi.runtime.isRpcSecret(value)) {
    const plain = pulumi.runtime.unwrapRpcSecret(value);
    const inner = mapValue(plain, fn);
    return inner === plain ? value : { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: inner };
  }
  if (pulumi.isUnknown(value)) return value;
  if (!isKnownNow(value)) return (pulumi.output(value) as pulumi.Output<unknown>).apply(fn);
  return fn(value);
}

/**
 * The plain value inside `value` when it is known now (a secret wrapper opened), else `undefined`.
 * @internal
 */
export function knownValue(value: unknown): unknown {
  const plain = pulumi.runtime.isRpcSecret(value) ? pulumi.runtime.unwrapRpcSecret(value) : value;
  return isKnownNow(plain) && !pulumi.containsUnknowns(plain) ? plain : undefined;
}

/**
 * Whether `value` is a plain object (not an array, not null).
 * @internal
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A value for a log line: `unset`, or its JSON.
 * @internal
 */
export function describeValue(value: unknown): string {
  return value === undefined || value === null ? "unset" : JSON.stringify(value);
}
