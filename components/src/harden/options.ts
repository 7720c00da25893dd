import { type Exemption, ExemptionError, parsePolicyConfigExemptions } from "@keyless/iam-rules";
import { keylessPolicyNames } from "@keyless/scanner";
import { KeylessErrorCode, KeylessValidationError } from "../errors";
import { validateExceptionReason } from "../iam/policy-statement";
import { isRecord } from "./engine-values";

/**
 * The resource types {@link hardenStack} hardens, as Pulumi type tokens.
 *
 * @example
 * ```ts
 * hardenStack({ types: [HardenedType.Instance, HardenedType.LaunchTemplate] });
 * ```
 */
export const HardenedType = {
  /** `aws.ec2.Instance`: IMDSv2 metadata options, user data scanned, root volume encryption advised. */
  Instance: "aws:ec2/instance:Instance",
  /** `aws.ec2.LaunchTemplate`: IMDSv2 metadata options (a new template version), user data scanned. */
  LaunchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  /** `aws.lambda.Function`: `environment.variables` scanned. */
  LambdaFunction: "aws:lambda/function:Function",
  /** `aws.iam.AccessKey`: refused unless opted out by name. */
  AccessKey: "aws:iam/accessKey:AccessKey",
  /**
   * `aws.iam.Role`: refused when its trust lets a web identity it does not name assume it (the rules of the pack's
   * `web-identity-trust-scoped` policy); never changed.
   */
  Role: "aws:iam/role:Role",
} as const;

/** One of the {@link HardenedType} values. */
export type HardenedType = (typeof HardenedType)[keyof typeof HardenedType];

/**
 * The tag that opts one resource out of {@link hardenStack}; its value is the reason. An opt-out given by name in
 * {@link HardenStackOptions.optOuts} is recorded with this tag too (on the types that carry tags).
 */
export const HARDEN_OPT_OUT_TAG = "keyless:harden-opt-out";

/**
 * What {@link hardenStack} does when a resource breaks a rule it cannot fix (credentials, an access key, an unscoped
 * web-identity trust): `"fail"`
 * fails the preview or update, so the resource is never created; `"warn"` logs the same message through
 * `pulumi.log.warn` and lets the resource through unchanged.
 */
export type OnViolation = "fail" | "warn";

/**
 * Options of {@link hardenStack} and {@link hardeningTransform}.
 *
 * @example
 * ```ts
 * const options: HardenStackOptions = {
 *   optOuts: { "legacy-batch": "ticket OPS-42: vendor agent needs IMDSv1 until 2026-12" },
 *   containerMetadataAccess: ["ecs-hosts"],
 * };
 * ```
 */
export interface HardenStackOptions {
  /**
   * The resource types to harden. Resources of other types pass through untouched.
   * @default - Every {@link HardenedType}.
   */
  readonly types?: readonly HardenedType[];
  /**
   * Resources to leave alone, by Pulumi logical name (the first argument of the resource's constructor), each with the
   * reason. The reason is recorded as the {@link HARDEN_OPT_OUT_TAG} tag on the resource (an `aws.iam.AccessKey` has
   * no tags: its reason is logged). At most 256 characters of letters, digits, spaces and `_ . : / = + - @`. A
   * resource can also opt itself out by carrying that tag. This weakens security: prefer fixing the resource.
   * @default - No opt-outs.
   */
  readonly optOuts?: { readonly [resourceName: string]: string };
  /**
   * Set the IMDSv2 hop limit to 2 instead of 1, so that containers on the host (bridge networking) can reach the
   * instance metadata service: `true` for every instance and launch template, or the logical names of the container
   * hosts. This weakens isolation: every container then gets the instance role's credentials.
   * @default false
   * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html
   */
  readonly containerMetadataAccess?: boolean | readonly string[];
  /**
   * What a broken rule that cannot be fixed (credentials in user data or environment variables, an access key, a role
   * trusting an unscoped web identity) does:
   * `"fail"` fails the preview or update with a {@link KeylessValidationError}; `"warn"` logs the same message as a
   * warning and lets the resource through. The secure settings are applied either way.
   * @default "fail"
   */
  readonly onViolation?: OnViolation;
  /**
   * Also apply the hardening that replaces an existing resource (today: `rootBlockDevice.encrypted` on an
   * `aws.ec2.Instance`, which AWS can only change by launching a new instance). Without it such hardening is only
   * logged as advice. Set it for stacks whose instances may be replaced, or for new stacks.
   * @default false
   */
  readonly applyReplacingChanges?: boolean;
  /**
   * Exemptions with a reason and an end date, in the shape of the keyless-aws policy pack's config file, so that one
   * file serves `pulumi preview --policy-pack-config`, `pulumi policy enable --config` and this option:
   * `{ "<policy>": { "exemptions": [{ "resource" | "urn" | "tag": …, "reason": "…", "until": "YYYY-MM-DD" }] } }`.
   * Each rule is exempted by the name of the pack policy it shares: `imdsv2-required` (metadata options),
   * `no-static-credentials-in-user-data`, `no-static-credentials-in-environment`, `no-iam-access-keys`,
   * `web-identity-trust-scoped`. Other settings in the file (enforcement levels, `maxHopLimit`, …) are ignored here. A
   * resource can also exempt itself with the `keyless:exempt` tag (`EXEMPT_TAG` of @keyless/iam-rules). After
   * `until`, the rule applies again and its message says the exemption expired. A URN pattern needs the parent's URN:
   * with URN exemptions the transform answers asynchronously.
   * @default - No exemptions.
   * @example
   * ```ts
   * hardenStack({ exemptions: JSON.parse(fs.readFileSync("keyless-policy.json", "utf8")) });
   * ```
   */
  readonly exemptions?: { readonly [policy: string]: unknown };
  /**
   * The clock exemptions' end dates are judged against (tests pass a fixed date).
   * @default - the time of the run
   */
  readonly now?: () => Date;
}

/**
 * Options checked and resolved for the transform.
 * @internal
 */
export interface ResolvedHardenOptions {
  readonly types: ReadonlySet<string>;
  readonly optOuts: ReadonlyMap<string, string>;
  readonly warn: boolean;
  readonly applyReplacingChanges: boolean;
  /** The exemptions of `options.exemptions`, checked. */
  readonly exemptions: readonly Exemption[];
  /** The clock. */
  readonly now: () => Date;
  /** The IMDSv2 hop limit for the resource of this logical name. */
  hopLimitFor(name: string): 1 | 2;
}

function invalid(argument: string, message: string): never {
  throw new KeylessValidationError(KeylessErrorCode.InvalidArgument, argument, message);
}

const knownTypes: readonly string[] = Object.values(HardenedType);

function resolveTypes(types: unknown): ReadonlySet<string> {
  if (types === undefined) return new Set(knownTypes);
  if (!Array.isArray(types)) invalid("options.types", "`options.types` must be a list of HardenedType values.");
  types.forEach((t, i) => {
    if (!knownTypes.includes(t)) {
      invalid(
        `options.types[${i}]`,
        `\`options.types[${i}]\` must be one of ${knownTypes.map((k) => JSON.stringify(k)).join(", ")}. ` +
          `Received ${JSON.stringify(t)}. Use the HardenedType constants.`,
      );
    }
  });
  return new Set(types as string[]);
}

function resolveOptOuts(optOuts: unknown): ReadonlyMap<string, string> {
  if (optOuts === undefined) return new Map();
  if (!isRecord(optOuts)) {
    invalid(
      "options.optOuts",
      '`options.optOuts` must map logical resource names to reasons, for example { web: "..." }.',
    );
  }
  for (const [name, reason] of Object.entries(optOuts)) {
    const argument = `options.optOuts.${name}`;
    if (typeof reason !== "string")
      invalid(argument, `\`${argument}\` must be the reason, a string. Received ${typeof reason}.`);
    validateExceptionReason(reason, argument);
  }
  return new Map(Object.entries(optOuts as Record<string, string>));
}

function resolveExemptions(value: unknown): Exemption[] {
  try {
    return parsePolicyConfigExemptions(value, "options.exemptions", keylessPolicyNames);
  } catch (err) {
    if (err instanceof ExemptionError) invalid(err.argument, err.message);
    throw err;
  }
}

function resolveHopLimit(value: unknown): (name: string) => 1 | 2 {
  if (value === undefined || typeof value === "boolean") return () => (value === true ? 2 : 1);
  if (Array.isArray(value) && value.every((n) => typeof n === "string")) {
    const hosts = new Set(value);
    return (name) => (hosts.has(name) ? 2 : 1);
  }
  return invalid(
    "options.containerMetadataAccess",
    `\`options.containerMetadataAccess\` must be true, false or a list of logical resource names. Received ${JSON.stringify(value)}.`,
  );
}

function resolveNow(now: unknown): () => Date {
  if (now === undefined) return () => new Date();
  if (typeof now !== "function") {
    invalid("options.now", `\`options.now\` must be a function returning a Date. Received ${typeof now}.`);
  }
  return now as () => Date;
}

/**
 * Checks the options of {@link hardenStack}, naming the offending option; throws before anything is registered.
 * @internal
 */
export function resolveHardenOptions(options: HardenStackOptions | undefined): ResolvedHardenOptions {
  const o: HardenStackOptions = options ?? {};
  if (!isRecord(o)) invalid("options", "hardenStack options must be an object (or left out).");
  if (o.onViolation !== undefined && o.onViolation !== "fail" && o.onViolation !== "warn") {
    invalid(
      "options.onViolation",
      `\`options.onViolation\` must be "fail" or "warn". Received ${JSON.stringify(o.onViolation)}.`,
    );
  }
  if (o.applyReplacingChanges !== undefined && typeof o.applyReplacingChanges !== "boolean") {
    invalid(
      "options.applyReplacingChanges",
      `\`options.applyReplacingChanges\` must be true or false. Received ${JSON.stringify(o.applyReplacingChanges)}.`,
    );
  }
  return {
    types: resolveTypes(o.types),
    optOuts: resolveOptOuts(o.optOuts),
    warn: o.onViolation === "warn",
    applyReplacingChanges: o.applyReplacingChanges === true,
    hopLimitFor: resolveHopLimit(o.containerMetadataAccess),
    exemptions: resolveExemptions(o.exemptions),
    now: resolveNow(o.now),
  };
}
