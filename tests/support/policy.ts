// Equivalents of AWSGuard's test helpers, on @pulumi/policy 1.21.0's own argument types. Props go
// through @pulumi/policy's unknownCheckingProxy, as the analyzer server does, so unknown values
// behave as during a preview. Failure messages are redacted (no generated credential is printed).
import {
  type Policy,
  type PolicyResource,
  type PolicyResourceOptions,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
  type StackValidationArgs,
  type StackValidationPolicy,
  UnknownValueError,
  unknownCheckingProxy,
} from "@pulumi/policy";
import { check, redact } from "./policy-credentials";

/** The sentinel the engine sends for a string that is unknown during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Resource options as the engine sends them for a resource that sets none. */
export const DEFAULT_OPTIONS: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

class NotApplicable extends Error {}

const urnOf = (type: string, name: string): string => `urn:pulumi:test::keyless::${type}::${name}`;

/** Config as the engine hands it: the policy's schema defaults, overridden by `config`. */
function configFor(policy: Policy, config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(policy.configSchema?.properties ?? {})) {
    if (v.default !== undefined) out[k] = v.default;
  }
  return { ...out, ...config };
}

/** A resource type token, or a @pulumi/aws class carrying one. */
export type TypeRef = string | (abstract new (...args: never[]) => unknown);

export function typeToken(t: TypeRef): string {
  if (typeof t === "string") return t;
  const token = Reflect.get(t, "__pulumiType");
  if (typeof token !== "string") throw new Error("class has no __pulumiType");
  return token;
}

const isTypeOf = (type: string, cls: unknown): boolean => Reflect.get(cls as object, "__pulumiType") === type;

export function createResourceValidationArgs(
  type: TypeRef,
  props: Record<string, unknown>,
  policy: Policy,
  config: Record<string, unknown> = {},
  name = "subject",
): ResourceValidationArgs {
  const token = typeToken(type);
  const proxied = unknownCheckingProxy(JSON.parse(JSON.stringify(props))) as Record<string, unknown>;
  return {
    type: token,
    props: proxied,
    urn: urnOf(token, name),
    name,
    opts: DEFAULT_OPTIONS,
    stackTags: new Map(),
    isType: (cls) => isTypeOf(token, cls),
    asType: ((cls: unknown) => (isTypeOf(token, cls) ? proxied : undefined)) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => configFor(policy, config) as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

export interface StackResourceSpec {
  readonly type: TypeRef;
  readonly name: string;
  readonly props: Record<string, unknown>;
  /** Property name -> names of the resources that property depends on. */
  readonly propertyDependencies?: Record<string, readonly string[]>;
}

export function createStackValidationArgs(
  specs: readonly StackResourceSpec[],
  policy: Policy,
  config: Record<string, unknown> = {},
): StackValidationArgs {
  const byName = new Map<string, PolicyResource>();
  const resources: PolicyResource[] = specs.map((s) => {
    const token = typeToken(s.type);
    const proxied = unknownCheckingProxy(JSON.parse(JSON.stringify(s.props))) as Record<string, unknown>;
    const r: PolicyResource = {
      type: token,
      props: proxied,
      urn: urnOf(token, s.name),
      name: s.name,
      opts: DEFAULT_OPTIONS,
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => isTypeOf(token, cls),
      asType: ((cls: unknown) => (isTypeOf(token, cls) ? proxied : undefined)) as PolicyResource["asType"],
    };
    byName.set(s.name, r);
    return r;
  });
  specs.forEach((s, i) => {
    const r = resources[i] as PolicyResource;
    for (const [prop, names] of Object.entries(s.propertyDependencies ?? {})) {
      const deps = names.map((n) => byName.get(n)).filter((d): d is PolicyResource => d !== undefined);
      r.propertyDependencies[prop] = deps;
      r.dependencies.push(...deps);
    }
  });
  return {
    resources,
    stackTags: new Map(),
    getConfig: <T extends object>() => configFor(policy, config) as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

export interface Outcome {
  readonly violations: readonly { readonly message: string; readonly urn?: string }[];
  readonly notApplicable: boolean;
  /** Set when the policy let an unknown value's error through (the server turns it into an advisory note). */
  readonly unknown?: UnknownValueError;
}

async function runValidation(
  fn: () => Promise<void> | void,
  violations: Outcome["violations"][number][],
): Promise<Outcome> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof NotApplicable) return { violations, notApplicable: true };
    if (err instanceof UnknownValueError) return { violations, notApplicable: false, unknown: err };
    throw err;
  }
  return { violations, notApplicable: false };
}

export async function runResourcePolicy(
  policy: ResourceValidationPolicy,
  args: ResourceValidationArgs,
): Promise<Outcome> {
  const violations: { message: string; urn?: string }[] = [];
  const validations = Array.isArray(policy.validateResource)
    ? policy.validateResource
    : policy.validateResource === undefined
      ? []
      : [policy.validateResource];
  return runValidation(async () => {
    for (const v of validations) await v(args, (message, urn) => violations.push({ message, urn }));
  }, violations);
}

export async function runStackPolicy(policy: StackValidationPolicy, args: StackValidationArgs): Promise<Outcome> {
  const violations: { message: string; urn?: string }[] = [];
  return runValidation(
    () => policy.validateStack(args, (message, urn) => violations.push({ message, urn })),
    violations,
  );
}

const describe = (o: Outcome): string =>
  redact(
    `${o.violations.length} violation(s)${o.notApplicable ? " (not applicable)" : ""}${o.unknown ? ` (unknown: ${o.unknown.message})` : ""}: ${o.violations.map((v) => v.message).join(" | ")}`,
  );

/** Fails unless some violation's message contains `message` (and, if given, is reported on `urn`). */
export function assertHasViolation(o: Outcome, expected: { message: string; urn?: string }): void {
  const hit = o.violations.some(
    (v) => v.message.includes(expected.message) && (expected.urn === undefined || v.urn === expected.urn),
  );
  check(hit, `expected a violation containing "${expected.message}", got ${describe(o)}`);
}

export function assertNoViolations(o: Outcome): void {
  check(o.violations.length === 0 && o.unknown === undefined, `expected no violation, got ${describe(o)}`);
}

export function assertNotApplicable(o: Outcome): void {
  check(o.notApplicable && o.violations.length === 0, `expected not applicable, got ${describe(o)}`);
}

export function assertUndecided(o: Outcome): void {
  check(o.unknown !== undefined && o.violations.length === 0, `expected an advisory unknown, got ${describe(o)}`);
}

export { urnOf };
