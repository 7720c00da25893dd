import { AsyncResource } from "node:async_hooks";
import * as pulumi from "@pulumi/pulumi";
import { refuseAccessKey } from "./access-key";
import { checkEnvironment, checkUserData } from "./credentials";
import { knownValue } from "./engine-values";
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

function hardenInstance(props: Props, name: string, o: ResolvedHardenOptions, report: ResourceReport): void {
  props["metadataOptions"] = hardenMetadataOptions(props["metadataOptions"], o.hopLimitFor(name), report);
  for (const key of ["userData", "userDataBase64"]) {
    if (props[key] !== undefined) props[key] = checkUserData(props[key], `${name}.${key}`, report);
  }
  props["rootBlockDevice"] = hardenRootVolume(props["rootBlockDevice"], o.applyReplacingChanges, report);
}

function hardenLaunchTemplate(props: Props, name: string, o: ResolvedHardenOptions, report: ResourceReport): void {
  const before = report.changeCount;
  props["metadataOptions"] = hardenMetadataOptions(props["metadataOptions"], o.hopLimitFor(name), report);
  if (props["userData"] !== undefined) props["userData"] = checkUserData(props["userData"], `${name}.userData`, report);
  // The hardened settings are a new template version; launches that ask for $Default keep the old one without this.
  if (report.changeCount > before && knownValue(props["updateDefaultVersion"]) !== true) {
    report.advise("set updateDefaultVersion (or launch $Latest) so that launches use the hardened version");
  }
}

/** Applies the rules of one resource type to a copy of its inputs. */
function harden(args: pulumi.ResourceTransformArgs, o: ResolvedHardenOptions): Props {
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
  switch (args.type) {
    case HardenedType.Instance:
      hardenInstance(props, args.name, o, report);
      break;
    case HardenedType.LaunchTemplate:
      hardenLaunchTemplate(props, args.name, o, report);
      break;
    case HardenedType.LambdaFunction:
      if (props["environment"] !== undefined)
        props["environment"] = checkEnvironment(props["environment"], args.name, report);
      break;
    case HardenedType.AccessKey:
      refuseAccessKey(args.name, report);
      break;
    case HardenedType.Role:
      if (props["assumeRolePolicy"] !== undefined)
        props["assumeRolePolicy"] = checkWebIdentityTrust(props["assumeRolePolicy"], args.name, report);
      break;
  }
  report.flush();
  return props;
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
  return AsyncResource.bind((args: pulumi.ResourceTransformArgs) => {
    if (!args.custom || !o.types.has(args.type)) return undefined;
    const props = harden(args, o);
    // Hand the engine back the original inputs object when nothing changed: the safest no-op.
    const changed = Object.keys(props).some((k) => props[k] !== args.props[k]);
    return changed ? { props, opts: args.opts } : undefined;
  });
}
