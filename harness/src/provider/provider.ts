/**
 * The LocalStack-backed `aws` provider: Check, Diff, Create, Read, Update, Delete and Invoke for the resource types
 * and functions keyless uses, with the real provider's names, defaults and update-vs-replace decisions.
 */
import { AwsClients, defaultEndpoints, type Endpoints } from "./clients";
import { dynamodbHandlers } from "./dynamodb";
import { ec2Handlers } from "./ec2";
import { ecsHandlers } from "./ecs";
import { iamHandlers } from "./iam";
import { invokeHandlers } from "./invokes";
import { lambdaHandlers } from "./lambda";
import { logsHandlers } from "./logs";
import { oidcProviderHandlers, oidcProviderInvokes } from "./oidc-provider";
import { AwsProviderError, autoName, awsCode, containsUnknown, deepEqual, jsonEqual, prefixedName } from "./properties";
import { route53Handlers } from "./route53";
import { s3Handlers } from "./s3";
import type { HandlerContext, InvokeHandler, PropertySpec, Props, ResourceHandler } from "./types";

/**
 * The `aws` package version the provider stands in for: the installed @pulumi/aws's own, which is the plugin version
 * its resources ask the engine for, so the stand-in follows whatever @pulumi/aws the stack under test uses.
 */
export const AWS_PROVIDER_VERSION: string = awsPluginVersion();

function awsPluginVersion(): string {
  const pkg = require("@pulumi/aws/package.json") as { version: string; pulumi?: { version?: string } };
  return pkg.pulumi?.version ?? pkg.version;
}

/** Where provider warnings go (the engine's log). */
export interface ProviderLogger {
  warn(message: string, urn?: string): Promise<void>;
}

/** Every resource handler, by type token. */
export const RESOURCE_HANDLERS: ReadonlyMap<string, ResourceHandler> = new Map(
  [
    ...iamHandlers,
    ...oidcProviderHandlers,
    ...ec2Handlers,
    ...lambdaHandlers,
    ...ecsHandlers,
    ...dynamodbHandlers,
    ...s3Handlers,
    ...route53Handlers,
    ...logsHandlers,
  ].map((h) => [h.token, h]),
);

/** Every invoke, by token. */
export const INVOKE_HANDLERS: ReadonlyMap<string, InvokeHandler> = new Map(
  [...invokeHandlers, ...oidcProviderInvokes].map((h) => [h.token, h]),
);

/** Provider settings honoured: anything else on an explicit provider is refused, never dropped. */
const HONOURED_CONFIG = new Set([
  "region",
  "endpoints",
  "accessKey",
  "secretKey",
  "token",
  "skipCredentialsValidation",
  "skipMetadataApiCheck",
  "skipRegionValidation",
  "skipRequestingAccountId",
  "s3UsePathStyle",
  "version",
]);

const ENDPOINT_SERVICES = new Set(["iam", "sts", "ec2", "lambda", "ecs", "s3", "route53", "dynamodb", "logs"]);

/** The key the real (bridged) provider uses to list the inputs Check filled in. */
const DEFAULTS_KEY = "__defaults";

/** The resource type token a URN names. */
export function typeOf(urn: string): string {
  // urn:pulumi:<stack>::<project>::<qualified type>::<name>; the qualified type ends with the resource's type.
  const parts = urn.split("::");
  return (parts[2] ?? "").split("$").pop() ?? "";
}

function nameOf(urn: string): string {
  return urn.split("::").slice(3).join("::");
}

function parseConfigValue(v: unknown): unknown {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** A resource type the provider does not implement. */
export class UnsupportedResourceError extends Error {
  constructor(kind: "resource type" | "function", token: string, supported: readonly string[]) {
    super(
      `${kind} ${token} is not supported by the keyless LocalStack aws provider (@keyless/testing). ` +
        `Supported: ${supported.join(", ")}. Use the real pulumi-resource-aws plugin (KEYLESS_AWS_PROVIDER=real) or add ` +
        "a handler in harness/src/provider/.",
    );
    this.name = "UnsupportedResourceError";
  }
}

export class AwsProvider {
  readonly version = AWS_PROVIDER_VERSION;
  private region = process.env["AWS_REGION"] ?? process.env["AWS_DEFAULT_REGION"] ?? "us-east-1";
  private endpoints: Endpoints = defaultEndpoints();
  private credentials = { accessKeyId: "test", secretAccessKey: "test" };
  private clients = new AwsClients(this.region, this.endpoints);

  constructor(private readonly logger: ProviderLogger) {}

  private context(urn?: string): HandlerContext {
    return { clients: this.clients, region: this.region, warn: (m) => this.logger.warn(m, urn) };
  }

  private handler(urn: string): ResourceHandler {
    const token = typeOf(urn);
    const h = RESOURCE_HANDLERS.get(token);
    if (!h) throw new UnsupportedResourceError("resource type", token, [...RESOURCE_HANDLERS.keys()]);
    return h;
  }

  /** CheckConfig: failures for every provider setting this stand-in cannot honour. */
  checkConfig(news: Props): Array<{ property: string; reason: string }> {
    const failures: Array<{ property: string; reason: string }> = [];
    for (const [key, raw] of Object.entries(news)) {
      if (!HONOURED_CONFIG.has(key)) {
        failures.push({
          property: key,
          reason:
            `provider setting \`${key}\` cannot be honoured by the keyless LocalStack aws provider; it would be ` +
            `ignored, so it is refused. Honoured: ${[...HONOURED_CONFIG].filter((k) => k !== "version").join(", ")}.`,
        });
      } else if (key === "endpoints") {
        for (const entry of asEndpointList(parseConfigValue(raw))) {
          for (const [service, url] of Object.entries(entry)) {
            if (!ENDPOINT_SERVICES.has(service) && url !== undefined && url !== null && url !== "") {
              failures.push({
                property: `endpoints.${service}`,
                reason:
                  `endpoint for \`${service}\` cannot be honoured: the keyless LocalStack aws provider serves only ` +
                  `${[...ENDPOINT_SERVICES].join(", ")}.`,
              });
            }
          }
        }
      }
    }
    return failures;
  }

  /** DiffConfig: the honoured settings that changed. */
  diffConfig(olds: Props, news: Props): string[] {
    const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
    return [...keys].filter((k) => k !== "version" && !deepEqual(parseConfigValue(olds[k]), parseConfigValue(news[k])));
  }

  /** Configure: applies region, endpoints and credentials; refuses anything else (in case CheckConfig was skipped). */
  configure(args: Props | undefined, variables: Record<string, string>): void {
    const config: Props = args ?? {};
    if (args === undefined) {
      for (const [k, v] of Object.entries(variables)) config[k.replace(/^aws:(config:)?/, "")] = v;
    }
    const failures = this.checkConfig(config);
    if (failures.length > 0) throw new Error(failures.map((f) => `${f.property}: ${f.reason}`).join("\n"));
    const region = config["region"];
    if (typeof region === "string" && region !== "") this.region = region;
    const endpoints: Record<string, string> = { ...this.endpoints };
    for (const entry of asEndpointList(parseConfigValue(config["endpoints"]))) {
      for (const [service, url] of Object.entries(entry)) if (typeof url === "string" && url) endpoints[service] = url;
    }
    this.endpoints = endpoints as unknown as Endpoints;
    const accessKey = config["accessKey"];
    const secretKey = config["secretKey"];
    if (typeof accessKey === "string" && typeof secretKey === "string") {
      this.credentials = { accessKeyId: accessKey, secretAccessKey: secretKey };
    }
    this.clients = new AwsClients(this.region, this.endpoints, this.credentials);
  }

  check(
    urn: string,
    olds: Props,
    news: Props,
  ): { inputs: Props; failures: Array<{ property: string; reason: string }> } {
    const h = this.handler(urn);
    const failures: Array<{ property: string; reason: string }> = [];
    for (const [key, value] of Object.entries(news)) {
      if (key.startsWith("__")) continue;
      const spec = h.properties[key];
      if (!spec) {
        failures.push({
          property: key,
          reason: `${h.token} property \`${key}\` is not supported by the keyless LocalStack aws provider (supported: ${Object.keys(h.properties).join(", ")}).`,
        });
        continue;
      }
      if (spec.fields) failures.push(...unsupportedFields(h.token, key, value, spec.fields));
    }
    const inputs: Props = {};
    const defaulted: string[] = [];
    for (const [key, spec] of Object.entries(h.properties)) {
      if (news[key] !== undefined) inputs[key] = news[key];
      else if (spec.default !== undefined) {
        inputs[key] = spec.default;
        defaulted.push(key);
      }
    }
    if (h.autoName) {
      const prop = h.autoName.property;
      const oldDefaults = Array.isArray(olds[DEFAULTS_KEY]) ? (olds[DEFAULTS_KEY] as string[]) : [];
      const prefixProp = h.autoName.prefix ?? "namePrefix";
      if (inputs[prop] === undefined) {
        const prefix = inputs[prefixProp];
        if (typeof prefix === "string" && prefix !== "" && !containsUnknown(prefix)) {
          // The real provider names from the prefix at create time; Check keeps the earlier name when the prefix is unchanged.
          inputs[prop] = olds[prefixProp] === prefix && olds[prop] ? olds[prop] : prefixedName(prefix);
        } else if (typeof olds[prop] === "string" && (oldDefaults.includes(prop) || olds[DEFAULTS_KEY] === undefined)) {
          inputs[prop] = olds[prop]; // an auto-name is stable across updates
        } else {
          const generated = autoName(nameOf(urn), h.autoName.maxLength);
          inputs[prop] = h.autoName.lowercase ? generated.toLowerCase() : generated;
        }
        defaulted.push(prop);
      }
    }
    if (failures.length === 0 && h.validate) failures.push(...h.validate(inputs));
    inputs[DEFAULTS_KEY] = defaulted;
    return { inputs, failures };
  }

  diff(
    urn: string,
    olds: Props,
    news: Props,
    oldInputs: Props | undefined,
    ignoreChanges: readonly string[],
  ): { changes: string[]; replaces: string[]; deleteBeforeReplace: boolean } {
    const h = this.handler(urn);
    const changes: string[] = [];
    const replaces: string[] = [];
    for (const [key, spec] of Object.entries(h.properties)) {
      if (ignoreChanges.some((i) => i === key || i.startsWith(`${key}.`) || i.startsWith(`${key}[`))) continue;
      const nv = news[key];
      // `olds` are the resource's outputs (on refresh, what the read just found); `oldInputs` what the program said.
      const held = olds[key];
      const prior = oldInputs?.[key];
      if (nv === undefined) {
        // The program does not set it. Optional + Computed: the value AWS holds stands. Otherwise a value the program
        // set before, or one the resource holds (added out of band), is a change, as the real provider plans it.
        if (!spec.computed && (!isEmpty(prior) || !isEmpty(held))) {
          changes.push(key);
          if (spec.replaces) replaces.push(key);
        }
        continue;
      }
      const unknown = containsUnknown(nv);
      if (
        !unknown &&
        (prior === undefined || sameValue(spec, nv, prior, spec.computed)) &&
        matchesHeld(spec, nv, held)
      ) {
        continue;
      }
      changes.push(key);
      const before = prior ?? held;
      if (spec.replaces || (spec.replacingFields && replacingFieldChanged(spec.replacingFields, nv, before, unknown))) {
        replaces.push(key);
      }
    }
    h.adjustDiff?.(olds, news, changes, replaces);
    return { changes, replaces, deleteBeforeReplace: replaces.length > 0 && this.deleteFirst(h, olds, news) };
  }

  /**
   * Delete before replace where the real provider does: when the handler says so, or when a user-chosen name stays
   * the same across the replacement (both could not exist at once). A changed or auto-generated name lets the
   * replacement be created first (the bridge's `nameRequiresDeleteBeforeReplace` with unique name fields).
   */
  private deleteFirst(h: ResourceHandler, olds: Props, news: Props): boolean {
    if (h.deleteBeforeReplace) return true;
    if (!h.autoName) return false;
    const prop = h.autoName.property;
    const defaults = Array.isArray(news[DEFAULTS_KEY]) ? (news[DEFAULTS_KEY] as string[]) : [];
    if (defaults.includes(prop) || news[DEFAULTS_KEY] === undefined) return false;
    return deepEqual(olds[prop], news[prop]);
  }

  async create(urn: string, inputs: Props, preview: boolean): Promise<{ id: string; outs: Props }> {
    const h = this.handler(urn);
    if (preview) return { id: "", outs: inputs };
    const clean = withoutMeta(inputs);
    const { id, outs } = await this.wrap("create", h, () => h.create(this.context(urn), clean));
    return { id, outs: { ...outs, [DEFAULTS_KEY]: inputs[DEFAULTS_KEY] ?? [] } };
  }

  async read(
    id: string,
    urn: string,
    state: Props,
    oldInputs: Props,
  ): Promise<{ id: string; outs: Props; inputs: Props } | undefined> {
    const h = this.handler(urn);
    const importing = Object.keys(state).length === 0;
    const outs = await this.wrap("read", h, () => h.read(this.context(urn), id, withoutMeta(state)));
    if (!outs) return undefined;
    const resolvedId = typeof outs["id"] === "string" ? (outs["id"] as string) : id;
    let inputs: Props;
    if (importing || Object.keys(oldInputs).length === 0) {
      // Import: the inputs are what the resource holds now, for each supported input property.
      inputs = {};
      for (const [key, spec] of Object.entries(h.properties)) {
        const v = outs[key];
        // An empty string is unset (Terraform's zero value), as the real provider's import leaves it out.
        if (v !== undefined && v !== null && v !== "" && key !== (h.autoName?.prefix ?? "namePrefix")) inputs[key] = v;
        else if (spec.default !== undefined) inputs[key] = spec.default;
      }
      inputs[DEFAULTS_KEY] = [];
    } else {
      inputs = oldInputs;
    }
    return { id: resolvedId, outs: { ...outs, [DEFAULTS_KEY]: state[DEFAULTS_KEY] ?? [] }, inputs };
  }

  async update(id: string, urn: string, olds: Props, news: Props, preview: boolean): Promise<Props> {
    const h = this.handler(urn);
    if (preview) return { ...olds, ...news };
    const { changes } = this.diff(urn, olds, news, undefined, []);
    if (!h.update) {
      throw new Error(`${h.token}: no in-place update exists; changed: ${changes.join(", ")}`);
    }
    const update = h.update.bind(h);
    const outs = await this.wrap("update", h, () =>
      update(this.context(urn), id, withoutMeta(olds), withoutMeta(news), changes),
    );
    return { ...outs, [DEFAULTS_KEY]: news[DEFAULTS_KEY] ?? [] };
  }

  async delete(id: string, urn: string, state: Props): Promise<void> {
    const h = this.handler(urn);
    await this.wrap("delete", h, () => h.delete(this.context(urn), id, withoutMeta(state)));
  }

  async invoke(token: string, args: Props): Promise<Props> {
    const h = INVOKE_HANDLERS.get(token);
    if (!h) throw new UnsupportedResourceError("function", token, [...INVOKE_HANDLERS.keys()]);
    try {
      return await h.invoke(this.context(), args);
    } catch (err) {
      throw awsError("invoke", token, err);
    }
  }

  private async wrap<T>(operation: string, h: ResourceHandler, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw awsError(operation, h.token, err);
    }
  }
}

function awsError(operation: string, token: string, err: unknown): Error {
  if (err instanceof AwsProviderError || !(err instanceof Error)) return err as Error;
  const meta = (err as { $metadata?: unknown }).$metadata;
  if (meta === undefined) return err;
  return new AwsProviderError(operation, token, awsCode(err), err.message);
}

function withoutMeta(p: Props): Props {
  const { [DEFAULTS_KEY]: _, ...rest } = p;
  return rest;
}

function asEndpointList(v: unknown): Array<Record<string, unknown>> {
  if (Array.isArray(v)) return v.filter((e) => e && typeof e === "object") as Array<Record<string, unknown>>;
  if (v && typeof v === "object") return [v as Record<string, unknown>];
  return [];
}

function unsupportedFields(
  token: string,
  key: string,
  value: unknown,
  fields: readonly string[],
): Array<{ property: string; reason: string }> {
  const items = Array.isArray(value) ? value : [value];
  const out: Array<{ property: string; reason: string }> = [];
  items.forEach((item, i) => {
    if (!item || typeof item !== "object") return;
    for (const f of Object.keys(item as Props)) {
      if (!fields.includes(f)) {
        const where = Array.isArray(value) ? `${key}[${i}].${f}` : `${key}.${f}`;
        out.push({
          property: where,
          reason: `${token} property \`${where}\` is not supported by the keyless LocalStack aws provider (supported in \`${key}\`: ${fields.join(", ")}).`,
        });
      }
    }
  });
  return out;
}

/** Loose scalar equality: the engine may hand `1` where the state holds `"1"`, or `true` for `"true"`. */
function looseEqual(a: unknown, b: unknown, subset: boolean): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a !== "object" && typeof b !== "object") return String(a) === String(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => looseEqual(x, b[i], subset));
  }
  if (typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const ao = a as Props;
    const bo = b as Props;
    const keys = subset
      ? Object.keys(ao).filter((k) => ao[k] !== undefined)
      : [...new Set([...Object.keys(ao), ...Object.keys(bo)])].filter(
          (k) => ao[k] !== undefined || bo[k] !== undefined,
        );
    return keys.every((k) => looseEqual(ao[k], bo[k], subset));
  }
  return false;
}

function sameValue(spec: PropertySpec, nv: unknown, ov: unknown, subset = false): boolean {
  if (spec.json) return jsonEqual(nv, ov);
  return looseEqual(nv, ov, subset);
}

/**
 * Terraform's zero values: unset, null, "", and empty lists and maps (also a block whose every field is empty) mean
 * the same, as the real (SDKv2) provider plans them: `tags: {}` and no `tags` are no change.
 */
function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.values(v as Props).every(isEmpty);
  return false;
}

/**
 * Whether the value the resource holds is what the program says. Every field counts both ways (a tag added out of
 * band is drift, as is one removed), except a block's fields the program leaves out that the spec lists in
 * `computedFields` (AWS fills them in).
 */
function matchesHeld(spec: PropertySpec, nv: unknown, held: unknown): boolean {
  if (spec.json) return isEmpty(held) ? isEmpty(nv) : jsonEqual(nv, held);
  return sameHeld(nv, held, spec.computedFields ?? [], "");
}

function sameHeld(nv: unknown, held: unknown, computedFields: readonly string[], path: string): boolean {
  if (isEmpty(nv) || isEmpty(held)) return isEmpty(nv) && isEmpty(held);
  if (Array.isArray(nv) && Array.isArray(held)) {
    return nv.length === held.length && nv.every((x, i) => sameHeld(x, held[i], computedFields, path));
  }
  if (typeof nv === "object" && typeof held === "object" && !Array.isArray(nv) && !Array.isArray(held)) {
    const n = nv as Props;
    const h = held as Props;
    return [...new Set([...Object.keys(n), ...Object.keys(h)])].every((k) => {
      const field = path === "" ? k : `${path}.${k}`;
      if (n[k] === undefined) return computedFields.includes(field) || isEmpty(h[k]);
      return sameHeld(n[k], h[k], computedFields, field);
    });
  }
  return looseEqual(nv, held, false);
}

function replacingFieldChanged(fields: readonly string[], nv: unknown, ov: unknown, unknown: boolean): boolean {
  const ns = (Array.isArray(nv) ? nv : [nv]) as Props[];
  const os = (Array.isArray(ov) ? ov : [ov]) as Props[];
  if (unknown && containsUnknown(nv) && ns.some((n) => !n || typeof n !== "object")) return true;
  if (ns.length !== os.length) return true;
  return ns.some((n, i) =>
    fields.some((f) => {
      const a = n?.[f];
      const b = os[i]?.[f];
      return containsUnknown(a) || (a !== undefined && !looseEqual(a, b, false));
    }),
  );
}
