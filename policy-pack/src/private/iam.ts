// IAM documents and the compute-to-role graph of a stack, for the stack policies. The IAM rules themselves (action
// access levels, wildcards, unbounded resources) are @keyless/iam-rules, shared with the components.
import type { PolicyResource } from "@pulumi/policy";
import { T } from "./types";
import { readIfKnown, type Undecided } from "./unknown";

/** @internal */
export interface Statement {
  readonly effect: string;
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
}

const list = (v: unknown): string[] =>
  v === undefined || v === null ? [] : (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === "string");

/** Statements of a policy document given as JSON text or as an object; undefined when it does not parse. @internal */
export function statements(doc: unknown): Statement[] | undefined {
  let parsed = doc;
  if (typeof doc === "string") {
    try {
      parsed = JSON.parse(doc);
    } catch {
      return undefined;
    }
  }
  if (parsed === null || typeof parsed !== "object") return undefined;
  const raw = (parsed as Record<string, unknown>)["Statement"];
  const items = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return items
    .filter((s): s is Record<string, unknown> => s !== null && typeof s === "object")
    .map((s) => ({
      effect: typeof s["Effect"] === "string" ? s["Effect"] : "Allow",
      actions: list(s["Action"]),
      notActions: list(s["NotAction"]),
      resources: list(s["Resource"]),
    }));
}

/** How a compute resource uses a role, and the service that must be trusted. @internal */
export interface RoleUse {
  readonly role: PolicyResource;
  readonly user: PolicyResource;
  readonly how: string;
  readonly service: string;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);

/** Indexes roles by name and ARN, and finds the roles used by compute. @internal */
export class RoleGraph {
  private readonly byName = new Map<string, PolicyResource>();
  private readonly byArn = new Map<string, PolicyResource>();

  constructor(
    private readonly resources: readonly PolicyResource[],
    private readonly undecided: Undecided,
  ) {
    for (const r of resources) {
      if (r.type !== T.role) continue;
      // Only an index: a new role's name or ARN is unknown at preview, and links to it then go by dependency.
      const name = readIfKnown(() => str(r.props["name"]));
      const arn = readIfKnown(() => str(r.props["arn"]));
      if (name !== undefined) this.byName.set(name, r);
      if (arn !== undefined) this.byArn.set(arn, r);
    }
  }

  /** The role a property refers to: by the resource it depends on, else by name or ARN value. */
  resolve(user: PolicyResource, property: string, value: unknown): PolicyResource | undefined {
    const deps = user.propertyDependencies[property] ?? [];
    const dep = deps.find((d) => d.type === T.role);
    if (dep !== undefined) return dep;
    const v = str(value);
    if (v === undefined) return undefined;
    return this.byArn.get(v) ?? this.byName.get(v) ?? this.byName.get(v.slice(v.lastIndexOf("/") + 1));
  }

  /** A role attachment's role (`role`, `roleName` or one of `roles`). */
  attachedRoles(r: PolicyResource, property: string): PolicyResource[] {
    const out = new Set<PolicyResource>();
    for (const d of r.propertyDependencies[property] ?? []) if (d.type === T.role) out.add(d);
    const v = this.linkValue(r, property, out.size > 0);
    const values = Array.isArray(v) ? v : [v];
    for (const x of values) {
      const role = this.resolve({ ...r, propertyDependencies: {} }, property, x);
      if (role !== undefined) out.add(role);
    }
    return [...out];
  }

  /**
   * The value of a property that links to a role. When the link is already known through a dependency, an unknown
   * value (a new role's name at preview) decides nothing and is not recorded as undecided.
   */
  private linkValue(r: PolicyResource, property: string, linkedByDependency: boolean): unknown {
    const read = () => r.props[property];
    return linkedByDependency
      ? readIfKnown(read)
      : this.undecided.read(`\`${property}\` of \`${r.name}\``, read, r.urn);
  }

  /** Every role used by an instance profile, a Lambda function or an ECS task definition. */
  uses(): RoleUse[] {
    const out: RoleUse[] = [];
    const add = (user: PolicyResource, property: string, how: string, service: string): void => {
      const linked = (user.propertyDependencies[property] ?? []).some((d) => d.type === T.role);
      const role = this.resolve(user, property, this.linkValue(user, property, linked));
      if (role !== undefined) out.push({ role, user, how, service });
    };
    for (const r of this.resources) {
      if (r.type === T.instanceProfile) add(r, "role", `instance profile \`${r.name}\``, "ec2.amazonaws.com");
      else if (r.type === T.lambdaFunction) add(r, "role", `Lambda function \`${r.name}\``, "lambda.amazonaws.com");
      else if (r.type === T.taskDefinition) {
        add(r, "taskRoleArn", `ECS task definition \`${r.name}\` (task role)`, "ecs-tasks.amazonaws.com");
        add(r, "executionRoleArn", `ECS task definition \`${r.name}\` (execution role)`, "ecs-tasks.amazonaws.com");
      }
    }
    return out;
  }
}
