// What keyless knows of the OIDC issuers teams federate into AWS: how to recognise each, which token claims pin a
// workload, and which parts of a subject must be fixed for the pin to name one repository, project or account.

/** The issuers keyless knows by their subject format; `generic` for any other. */
export type OidcIssuerKind = "github" | "gitlab" | "pulumi" | "eks" | "generic";

/** One part of a subject that names who may assume the role, and whether the value fixes it. */
export interface SubjectPart {
  /** What the part is: `owner`, `repository`, `group`, `project`, `organization`, `namespace`, `service account`. */
  readonly name: string;
  /** The part as written in the value (may hold `*` or `?`). */
  readonly value: string;
  /** Whether the part is a fixed name: no `*` or `?`, not empty. */
  readonly fixed: boolean;
}

/** A subject-like condition value read against its issuer's format. */
export interface SubjectScope {
  /** Whether the value has the issuer's format at all. */
  readonly wellFormed: boolean;
  /** The parts that must be fixed for the value to name one workload; all fixed means scoped. */
  readonly parts: readonly SubjectPart[];
  /** Whether every part is fixed (and the value is well formed). */
  readonly scoped: boolean;
}

/** An IAM OIDC provider's ARN; the group is the issuer's host and path. */
const OIDC_PROVIDER_ARN = /^arn:[^:]+:iam::\d{12}:oidc-provider\/(.+)$/;

/** Whether a principal identifier is an IAM OIDC provider's ARN (`arn:aws:iam::<account>:oidc-provider/<issuer>`). */
export const isOidcProviderArn = (id: string): boolean => OIDC_PROVIDER_ARN.test(id);

/** The IAM condition key of a token claim for an issuer: `token.actions.githubusercontent.com:sub`. */
export function claimKey(issuer: string, claim: string): string {
  return `${issuerHostPath(issuer)}:${claim}`;
}

/**
 * An issuer URL, host/path or IAM OIDC provider ARN as IAM names it in condition keys: host and path, no scheme, no
 * trailing slash (`https://api.pulumi.com/oidc` -> `api.pulumi.com/oidc`).
 */
export function issuerHostPath(issuer: string): string {
  const fromArn = OIDC_PROVIDER_ARN.exec(issuer)?.[1];
  return (fromArn ?? issuer).replace(/^https?:\/\//i, "").replace(/\/+$/, "");
}

/**
 * Which issuer a host/path is. GitHub (`token.actions.githubusercontent.com`, also with an enterprise slug), Pulumi
 * Cloud (`api.pulumi.com/oidc`), EKS (`oidc.eks.<region>.amazonaws.com/id/<id>`), GitLab (`gitlab.com`, or any host
 * when a subject value starts `project_path:`, as self-managed GitLab's do).
 */
export function oidcIssuerKind(issuer: string, subjectValues: readonly string[] = []): OidcIssuerKind {
  const host = issuerHostPath(issuer).toLowerCase();
  if (host === "token.actions.githubusercontent.com" || host.startsWith("token.actions.githubusercontent.com/")) {
    return "github";
  }
  if (host === "api.pulumi.com/oidc" || host.startsWith("api.pulumi.com/oidc/")) return "pulumi";
  if (/^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/id\/[^/]+$/.test(host)) return "eks";
  if (host === "gitlab.com" || subjectValues.some((v) => v.startsWith("project_path:"))) return "gitlab";
  return "generic";
}

/**
 * The claims that pin a workload for an issuer: a role trusting the issuer must condition at least one of them.
 * GitHub: `sub` or `job_workflow_ref` (the two AWS itself requires since 2025); the others: `sub`.
 */
export function pinningClaims(kind: OidcIssuerKind): readonly string[] {
  return kind === "github" ? ["sub", "job_workflow_ref"] : ["sub"];
}

const fixed = (s: string): boolean => s.length > 0 && !/[*?]/.test(s);
const part = (name: string, value: string): SubjectPart => ({ name, value, fixed: fixed(value) });
const scope = (parts: SubjectPart[] | undefined): SubjectScope =>
  parts === undefined
    ? { wellFormed: false, parts: [], scoped: false }
    : { wellFormed: true, parts, scoped: parts.every((p) => p.fixed) };

/**
 * Reads a `sub` (or GitHub `job_workflow_ref`) condition value against its issuer's format and says which parts name
 * the workload. A wildcard may stand in the ref, environment, branch or stack part, never in the parts listed:
 * - GitHub `sub`: `repo:OWNER/REPO:…` or the immutable `repo:OWNER@ID/REPO@ID:…`: owner and repository.
 * - GitHub `job_workflow_ref`: `OWNER/REPO/.github/workflows/FILE@REF`: owner and repository.
 * - GitLab: `project_path:GROUP/…/PROJECT:ref_type:…`: every group and the project.
 * - Pulumi Cloud: `pulumi:deploy:org:ORG:project:PROJECT:…` (Deployments),
 *   `pulumi:environments:org:ORG:env:PROJECT/ENV` (ESC, default) and, when the environment sets
 *   `subjectAttributes`, `pulumi:environments:pulumi.organization.login:ORG:<attribute>:<value>…` (ESC): organisation
 *   and project, the project read from a `currentEnvironment.name` or `rootEnvironment.name` attribute (missing: not
 *   scoped).
 * - EKS: `system:serviceaccount:NAMESPACE:NAME`: namespace and service account.
 * - Any other issuer: the value must hold some fixed text, not only wildcards.
 *
 * @example
 * ```ts
 * subjectScope("github", "sub", "repo:octo/*:ref:refs/heads/main").scoped; // false: the repository is a wildcard
 * subjectScope("eks", "sub", "system:serviceaccount:payments:api").scoped; // true
 * ```
 */
export function subjectScope(kind: OidcIssuerKind, claim: string, value: string): SubjectScope {
  if (kind === "github" && claim === "job_workflow_ref") {
    const m = /^([^/]*)\/([^/]*)\/.+@.+$/.exec(value);
    return scope(m === null ? undefined : [part("owner", m[1] ?? ""), part("repository", m[2] ?? "")]);
  }
  switch (kind) {
    case "github": {
      const m = /^repo:([^/:]*)\/([^/:]*):.+$/.exec(value);
      return scope(m === null ? undefined : [part("owner", m[1] ?? ""), part("repository", m[2] ?? "")]);
    }
    case "gitlab": {
      const m = /^project_path:([^:]+):.+$/.exec(value);
      if (m === null) return scope(undefined);
      const path = (m[1] ?? "").split("/");
      if (path.length < 2) return scope(undefined);
      return scope(path.map((p, i) => part(i === path.length - 1 ? "project" : "group", p)));
    }
    case "pulumi": {
      const deploy = /^pulumi:deploy:org:([^:]*):project:([^:]*):.+$/.exec(value);
      if (deploy !== null) return scope([part("organization", deploy[1] ?? ""), part("project", deploy[2] ?? "")]);
      const env = /^pulumi:environments:org:([^:]*):env:([^/:]*)\/.+$/.exec(value);
      if (env !== null) return scope([part("organization", env[1] ?? ""), part("project", env[2] ?? "")]);
      return pulumiSubjectAttributes(value);
    }
    case "eks": {
      const m = /^system:serviceaccount:([^:]*):([^:]*)$/.exec(value);
      return scope(m === null ? undefined : [part("namespace", m[1] ?? ""), part("service account", m[2] ?? "")]);
    }
    default:
      return { wellFormed: true, parts: [part("subject", value.replace(/[*?]/g, ""))], scoped: /[^*?]/.test(value) };
  }
}

/**
 * An ESC subject built from `subjectAttributes`: the fixed prefix, then `:<attribute>:<value>` pairs in the order the
 * environment lists them. The environment attributes' values are `PROJECT/ENV`, so the first of them gives the project.
 * @see https://www.pulumi.com/docs/esc/guides/configuring-oidc/#custom-token-claim
 */
function pulumiSubjectAttributes(value: string): SubjectScope {
  const m = /^pulumi:environments:pulumi\.organization\.login:([^:]*)((?::[^:]+:[^:]*)*)$/.exec(value);
  if (m === null) return scope(undefined);
  const pairs = [...(m[2] ?? "").matchAll(/:([^:]+):([^:]*)/g)];
  const at = pairs.findIndex((p) => p[1] === "currentEnvironment.name" || p[1] === "rootEnvironment.name");
  // A wildcard before the environment attribute could stand for other attributes, this one included.
  const hidden = pairs.slice(0, at).some((p) => /[*?]/.test(p[0]));
  const environment = at < 0 || hidden ? undefined : pairs[at];
  const project = environment === undefined ? "" : (/^([^/]*)\/.+$/.exec(environment[2] ?? "")?.[1] ?? "");
  return scope([part("organization", m[1] ?? ""), part("project", project)]);
}
