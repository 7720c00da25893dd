import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { describeFindings, scanValue } from "../private/scan";
import { T } from "../private/types";
import { failOnUnknownSchema, type UndecidableArgs, Undecided } from "../private/unknown";

/** Configuration of {@link noStaticCredentialsInUserData}. */
export interface NoStaticCredentialsInUserDataArgs extends UndecidableArgs {}

type Read = (props: Record<string, unknown>) => { readonly field: string; readonly read: () => unknown }[];

const fields =
  (...names: string[]): Read =>
  (props) =>
    names.map((field) => ({ field, read: () => props[field] }));

/**
 * Where each resource type of @pulumi/aws carries EC2 user data. `userData` of a launch template and
 * every `userDataBase64` are base64: the scanner decodes them (and any gzip inside).
 */
const userDataFields: Readonly<Record<string, Read>> = {
  [T.instance]: fields("userData", "userDataBase64"),
  [T.launchTemplate]: fields("userData"),
  [T.launchConfiguration]: fields("userData", "userDataBase64"),
  [T.spotInstanceRequest]: fields("userData", "userDataBase64"),
  [T.lightsailInstance]: fields("userData"),
  [T.imageRecipe]: fields("userDataBase64"),
  [T.spotFleetRequest]: (props) => {
    const specs = props["launchSpecifications"];
    if (!Array.isArray(specs)) return [{ field: "launchSpecifications", read: () => specs }];
    return specs.map((_s, i) => ({
      field: `launchSpecifications[${i}].userData`,
      read: () => (specs[i] as Record<string, unknown> | undefined)?.["userData"],
    }));
  },
};

/** The resource types {@link noStaticCredentialsInUserData} checks. */
export const userDataResourceTypes: readonly string[] = Object.keys(userDataFields);

function validate(args: ResourceValidationArgs, reportViolation: (message: string) => void): void {
  const read = userDataFields[args.type];
  if (read === undefined) {
    args.notApplicable(`Policy only applies to resources that carry EC2 user data`);
  }
  const config = args.getConfig<NoStaticCredentialsInUserDataArgs>();
  const undecided = new Undecided();
  const entries = undecided.read("user data", () => read(args.props)) ?? [];
  for (const { field, read: readField } of entries) {
    const value = undecided.read(`\`${field}\``, readField);
    const findings = scanValue(value);
    if (findings !== undefined) {
      reportViolation(
        `\`${field}\` must not contain static AWS credentials: ${describeFindings(findings)}. ` +
          "Give the instance a role through an instance profile (credentials then come from IMDSv2) and remove the keys.",
      );
    }
  }
  undecided.settle(config.failOnUnknown, reportViolation);
}

/**
 * Static AWS credentials must not appear in EC2 user data, however encoded (base64, gzip, MIME,
 * cloud-init write_files, base64 inside scripts).
 */
export const noStaticCredentialsInUserData: ResourceValidationPolicy = {
  name: "no-static-credentials-in-user-data",
  description:
    "Checks whether EC2 user data (instances, launch templates, launch configurations, spot requests, Lightsail, Image Builder) holds static AWS credentials.",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: { properties: { ...failOnUnknownSchema } },
  remediationSteps:
    "Remove the keys from user data, attach an instance profile whose role grants what the workload needs, and rotate the exposed key.",
  validateResource: validate,
};
