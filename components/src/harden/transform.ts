import { AsyncResource } from "node:async_hooks";
import { describeExemption, ExemptionError, expiredNote, findExemption } from "@keyless/iam-rules";
import * as pulumi from "@pulumi/pulumi";
import { KeylessErrorCode, KeylessValidationError } from "../errors";
import { refuseAccessKey } from "./access-key";
import { checkEnvironment, checkUserData } from "./credentials";
import { isRecord, knownValue } from "./engine-values";
import { hardenMetadataOptions } from "./metadata-options";
import { findOptOut, recordOptOut } from "./opt-out";
import {
  HARDEN_OPT_OUT_TAG,
  HardenedType,
  type HardenStackOptions,
  type ResolvedHardenOptions,
  resolveHardenOptions,
} from "./options";
import { ResourceReport } from "./report";
import { hardenRootVolume } from "./root-volume";
import { checkWebIdentityTrust } from "./web-identity-trust";

type Props = Record<string, unknown>;

/** The pack policy each rule shares its name (and so its exemptions) with. */
const RULE = {
  metadata: "imdsv2-required",
  userData: "no-static-credentials-in-user-data",
  environment: "no-static-credentials-in-environment",
  accessKey: "no-iam-access-keys",
  trust: "web-identity-trust-scoped",
} as const;

/** Per rule: skip it (exempt), or apply it with the note of an expired exemption, or apply it. */
type Exempt = (policy: string) => { readonly skip: boolean; readonly note?: string };

/** IMDSv2 metadata options and the user-data scan of an instance or launch template, each unless exempt. */
function hardenMetadataAndUserData(
  props: Props,
  name: string,
  o: ResolvedHardenOptions,
  report: ResourceReport,
  exempt: Exempt,
  userDataKeys: readonly string[],
): void {
  if (!exempt(RULE.metadata).skip) {
    props["metadataOptions"] = hardenMetadataOptions(props["metadataOptions"], o.hopLimitFor(name), report);
  }
  const userData = exempt(RULE.userData);
  if (userData.skip) return;
  for (const key of userDataKeys) {
    if (props[key] !== undefined) props[key] = checkUserData(props[key], `${name}.${key}`, report, userData.note);
  }
}

function hardenInstance(props: Props, name: string, o: ResolvedHardenOptions, report: ResourceReport, exempt: Exempt) {
  hardenMetadataAndUserData(props, name, o, report, exempt, ["userData", "userDataBase64"]);
  props["rootBlockDevice"] = hardenRootVolume(props["rootBlockDevice"], o.applyReplacingChanges, report);
}

function hardenLaunchTemplate(
  props: Props,
  name: string,
  o: ResolvedHardenOptions,
  report: ResourceReport,
  exempt: Exempt,
): void {
  const before = report.changeCount;
  hardenMetadataAndUserData(props, name, o, report, exempt, ["userData"]);
  // The hardened settings are a new template version; launches that ask for $Default keep the old one without this.
  if (report.changeCount > before && knownValue(props["updateDefaultVersion"]) !== true) {
    report.advise("set updateDefaultVersion (or launch $Latest) so that launches use the hardened version");
  }
}

/** Tags as far as they are known now (a secret unwrapped); an Output or a value holding unknowns exempts nothing. */
function knownTags(tags: unknown): Readonly<Record<string, unknown>> | undefined {
  const plain = pulumi.runtime.isRpcSecret(tags) ? pulumi.runtime.unwrapRpcSecret(tags) : tags;
  if (!isRecord(plain) || pulumi.Output.isInstance(plain)) return undefined;
  return plain;
}

/**
 * The exemptions of one resource, judged once per rule at the options' clock: an exempt rule is logged (so `pulumi
 * preview` lists it) and skipped; an expired one is logged and its rule applies, its refusal saying it expired.
 */
function exemptionsOf(
  args: pulumi.ResourceTransformArgs,
  urn: string | undefined,
  props: Props,
  o: ResolvedHardenOptions,
  report: ResourceReport,
): Exempt {
  const tags = args.type === HardenedType.AccessKey ? undefined : knownTags(props["tags"]);
  const now = o.now();
  return (policy) => {
    let m: ReturnType<typeof findExemption>;
    try {
      m = findExemption(policy, { name: args.name, urn, tags }, o.exemptions, now);
    } catch (err) {
      // A malformed `keyless:exempt` tag: the same error as a bad option, before the resource registers.
      if (err instanceof ExemptionError) {
        throw new KeylessValidationError(KeylessErrorCode.InvalidArgument, err.argument, err.message);
      }
      throw err;
    }
    if (m === undefined) return { skip: false };
    if (m.status === "exempt") {
      void pulumi.log.info(`hardenStack: ${report.label}: ${describeExemption(policy, args.name, m)}; not applied`);
      return { skip: true };
    }
    const note = expiredNote(m);
    void pulumi.log.info(`hardenStack: ${report.label}: \`${policy}\` applies: ${note}`);
    return { skip: false, note };
  };
}

/** Applies the rules of one resource type to a copy of its inputs. */
function harden(args: pulumi.ResourceTransformArgs, o: ResolvedHardenOptions, urn?: string): Props {
  const props: Props = { ...args.props };
  const report = new ResourceReport(args.type, args.name, o.warn);
  const tagged = args.type !== HardenedType.AccessKey;
  const optOut = findOptOut(args.name, tagged ? props["tags"] : undefined, o);
  if (optOut !== undefined) {
    if (optOut.source === "name" && tagged) props["tags"] = recordOptOut(props["tags"], optOut.reason);
    const where = optOut.source === "name" ? "options.optOuts" : `tag ${HARDEN_OPT_OUT_TAG}`;
    void pulumi.log.info(`hardenStack: ${report.label}: left as it is, opted out by ${where}: ${optOut.reason}`);
    return props;
  }
  const exempt = exemptionsOf(args, urn, props, o, report);
  switch (args.type) {
    case HardenedType.Instance:
      hardenInstance(props, args.name, o, report, exempt);
      break;
    case HardenedType.LaunchTemplate:
      hardenLaunchTemplate(props, args.name, o, report, exempt);
      break;
    case HardenedType.LambdaFunction: {
      const rule = exempt(RULE.environment);
      if (props["environment"] !== undefined && !rule.skip)
        props["environment"] = checkEnvironment(props["environment"], args.name, report, rule.note);
      break;
    }
    case HardenedType.AccessKey: {
      const rule = exempt(RULE.accessKey);
      if (!rule.skip) refuseAccessKey(args.name, report, rule.note);
      break;
    }
    case HardenedType.Role: {
      const rule = exempt(RULE.trust);
      if (props["assumeRolePolicy"] !== undefined && !rule.skip)
        props["assumeRolePolicy"] = checkWebIdentityTrust(props["assumeRolePolicy"], args.name, report, rule.note);
      break;
    }
  }
  report.flush();
  return props;
}

/**
 * The resource's URN, as the engine will give it: the parent's URN (the stack's, for a top-level resource) supplies
 * stack, project and the type chain. Awaited only when an exemption names a URN.
 */
async function urnOf(args: pulumi.ResourceTransformArgs): Promise<string> {
  const parent = args.opts.parent;
  const parentUrn =
    parent === undefined ? undefined : await new Promise<string>((resolve) => parent.urn.apply((u) => resolve(u)));
  if (parentUrn === undefined)
    return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${args.type}::${args.name}`;
  const [prefix, project, qualified] = parentUrn.split("::");
  const parentType = qualified?.split("$").pop();
  const chain = parentType === "pulumi:pulumi:Stack" ? args.type : `${qualified}$${args.type}`;
  return `${prefix}::${project}::${chain}::${args.name}`;
}

/**
 * The resource transform behind {@link hardenStack}, for scoping the hardening to part of a program through the
 * `transforms` resource option (it then applies to that resource and its children) instead of the whole stack.
 * The options are checked when it is created.
 *
 * @param options - types, opt-outs, hop limit and what a broken rule does; see {@link HardenStackOptions}
 * @returns a transform that changes only the resources it hardens; others pass through as they are
 * @throws {@link KeylessValidationError} `InvalidArgument` naming the option, for bad options
 * @example
 * ```ts
 * import { hardeningTransform } from "@keyless/aws";
 *
 * new LegacyCluster("batch", clusterArgs, { transforms: [hardeningTransform({ containerMetadataAccess: true })] });
 * ```
 */
export function hardeningTransform(options?: HardenStackOptions): pulumi.ResourceTransform {
  const o = resolveHardenOptions(options);
  // The engine calls a transform back through the SDK's callback server, outside the program's async context. An
  // Automation API (inline) program keeps its engine connection in that context, so without binding the transform to
  // it `pulumi.log` finds no engine there and prints to the host's stdout instead of the preview.
  const run = (args: pulumi.ResourceTransformArgs, urn?: string): pulumi.ResourceTransformResult | undefined => {
    const props = harden(args, o, urn);
    // Hand the engine back the original inputs object when nothing changed: the safest no-op.
    const changed = Object.keys(props).some((k) => props[k] !== args.props[k]);
    return changed ? { props, opts: args.opts } : undefined;
  };
  // Synchronous unless an exemption names a URN, which needs the parent's URN first.
  const needsUrn = o.exemptions.some((e) => e.urn !== undefined);
  return AsyncResource.bind((args: pulumi.ResourceTransformArgs) => {
    if (!args.custom || !o.types.has(args.type)) return undefined;
    return needsUrn ? urnOf(args).then((urn) => run(args, urn)) : run(args);
  });
}
