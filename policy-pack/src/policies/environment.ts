import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { describeFindings, scanValue } from "../private/scan";
import { T } from "../private/types";
import { failOnUnknownSchema, type UndecidableArgs, Undecided } from "../private/unknown";

/** Configuration of {@link noStaticCredentialsInEnvironment}. */
export interface NoStaticCredentialsInEnvironmentArgs extends UndecidableArgs {}

type Props = Record<string, unknown>;
const obj = (v: unknown): Props | undefined => (v !== null && typeof v === "object" ? (v as Props) : undefined);

/** `NAME=value` lines, so that the scanner sees each variable's name as context. */
function mapLines(vars: unknown): string {
  const o = obj(vars);
  if (o === undefined) return "";
  return Object.keys(o)
    .map((k) => `${k}=${String(o[k] ?? "")}`)
    .join("\n");
}

function listLines(list: unknown, skip?: (e: Props) => boolean): string {
  if (!Array.isArray(list)) return "";
  return list
    .map(obj)
    .filter((e): e is Props => e !== undefined && !(skip?.(e) ?? false))
    .map((e) => `${String(e["name"] ?? "")}=${String(e["value"] ?? "")}`)
    .join("\n");
}

/** ECS and Batch container JSON: environment entries as lines, plus the command line; the raw JSON when it does not parse. */
function containerJson(json: unknown): string {
  if (typeof json !== "string") return "";
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return json;
  }
  const containers = Array.isArray(parsed) ? parsed : [parsed];
  const out: string[] = [];
  for (const c of containers.map(obj)) {
    if (c === undefined) continue;
    out.push(listLines(c["environment"]));
    for (const key of ["command", "entryPoint"]) {
      const v = c[key];
      if (Array.isArray(v)) out.push(v.map(String).join(" "));
    }
  }
  return out.join("\n");
}

type Extract = (props: Props) => { readonly field: string; readonly text: () => string }[];

const extractors: Readonly<Record<string, Extract>> = {
  [T.lambdaFunction]: (p) => [
    { field: "environment.variables", text: () => mapLines(obj(p["environment"])?.["variables"]) },
  ],
  [T.taskDefinition]: (p) => [{ field: "containerDefinitions", text: () => containerJson(p["containerDefinitions"]) }],
  [T.batchJobDefinition]: (p) => [
    { field: "containerProperties", text: () => containerJson(p["containerProperties"]) },
  ],
  [T.appRunnerService]: (p) => [
    {
      field: "sourceConfiguration.imageRepository.imageConfiguration.runtimeEnvironmentVariables",
      text: () =>
        mapLines(
          obj(obj(obj(p["sourceConfiguration"])?.["imageRepository"])?.["imageConfiguration"])?.[
            "runtimeEnvironmentVariables"
          ],
        ),
    },
    {
      field: "sourceConfiguration.codeRepository.codeConfiguration.codeConfigurationValues.runtimeEnvironmentVariables",
      text: () =>
        mapLines(
          obj(
            obj(obj(obj(p["sourceConfiguration"])?.["codeRepository"])?.["codeConfiguration"])?.[
              "codeConfigurationValues"
            ],
          )?.["runtimeEnvironmentVariables"],
        ),
    },
  ],
  // PARAMETER_STORE and SECRETS_MANAGER values are references, not values.
  [T.codeBuildProject]: (p) => [
    {
      field: "environment.environmentVariables",
      text: () =>
        listLines(obj(p["environment"])?.["environmentVariables"], (e) => (e["type"] ?? "PLAINTEXT") !== "PLAINTEXT"),
    },
  ],
  [T.beanstalkEnvironment]: (p) => [{ field: "settings", text: () => listLines(p["settings"]) }],
};

/** The resource types {@link noStaticCredentialsInEnvironment} checks. */
export const environmentResourceTypes: readonly string[] = Object.keys(extractors);

function validate(args: ResourceValidationArgs, reportViolation: (message: string) => void): void {
  const extract = extractors[args.type];
  if (extract === undefined) args.notApplicable("Policy only applies to resources that carry environment variables");
  const config = args.getConfig<NoStaticCredentialsInEnvironmentArgs>();
  const undecided = new Undecided();
  for (const { field, text } of extract(args.props)) {
    const findings = scanValue(undecided.read(`\`${field}\``, text));
    if (findings !== undefined) {
      reportViolation(
        `\`${field}\` must not contain static AWS credentials: ${describeFindings(findings)}. ` +
          "Use the service's role (Lambda execution role, ECS task role, ...) and remove the keys.",
      );
    }
  }
  undecided.settle(config.failOnUnknown, reportViolation);
}

/** Static AWS credentials must not be pasted into environment variables of Lambda, ECS, Batch, App Runner, CodeBuild or Beanstalk. */
export const noStaticCredentialsInEnvironment: ResourceValidationPolicy = {
  name: "no-static-credentials-in-environment",
  description:
    "Checks whether environment variables of Lambda functions, ECS task definitions, Batch job definitions, App Runner services, CodeBuild projects and Beanstalk environments hold static AWS credentials.",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: { properties: { ...failOnUnknownSchema } },
  remediationSteps: "Remove the keys, grant the permissions to the service's role, and rotate the exposed key.",
  validateResource: validate,
};
