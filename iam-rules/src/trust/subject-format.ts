// How the subjects of the issuers keyless knows are written, to build them back from their parts: the other direction
// of `subjectScope`, which reads them. Used to suggest a fix that keeps what a value already fixes, and to make up
// tokens from repositories, projects and namespaces a policy does not name.
import { type OidcIssuerKind, subjectScope } from "./oidc-issuers";

/** A subject value split into its naming parts (owner and repository, groups and project, ...) and the text after. */
export interface SubjectShape {
  readonly kind: OidcIssuerKind;
  /** `sub`, or `job_workflow_ref` for GitHub. */
  readonly claim: string;
  /** The naming parts, in the order `subjectScope` lists them. */
  readonly parts: readonly string[];
  /** What follows the parts: `:ref:refs/heads/main`, `/.github/workflows/deploy.yml@refs/heads/main`, ... */
  readonly rest: string;
  /** Pulumi ESC's `pulumi:environments:` form rather than Deployments' `pulumi:deploy:`. */
  readonly environment: boolean;
}

/** The subject text up to and with the naming parts. */
function head(shape: Pick<SubjectShape, "kind" | "claim" | "environment">, parts: readonly string[]): string {
  const [a = "", b = ""] = parts;
  switch (shape.kind) {
    case "github":
      return shape.claim === "job_workflow_ref" ? `${a}/${b}` : `repo:${a}/${b}`;
    case "gitlab":
      return `project_path:${parts.join("/")}`;
    case "pulumi":
      return shape.environment ? `pulumi:environments:org:${a}:env:${b}` : `pulumi:deploy:org:${a}:project:${b}`;
    case "eks":
      return `system:serviceaccount:${a}:${b}`;
    default:
      return a;
  }
}

/**
 * Splits a subject value of a known issuer into its naming parts and the rest; `undefined` when the value does not
 * have the issuer's format, or the issuer's subjects have no parts keyless knows (`generic`).
 */
export function subjectShape(kind: OidcIssuerKind, claim: string, value: string): SubjectShape | undefined {
  if (kind === "generic") return undefined;
  const scope = subjectScope(kind, claim, value);
  if (!scope.wellFormed) return undefined;
  const parts = scope.parts.map((p) => p.value);
  const environment = kind === "pulumi" && value.startsWith("pulumi:environments:");
  const written = head({ kind, claim, environment }, parts);
  return value.startsWith(written) ? { kind, claim, parts, rest: value.slice(written.length), environment } : undefined;
}

/** Writes a subject of `shape`'s form with other parts (and optionally another rest). */
export function formatSubject(shape: SubjectShape, parts: readonly string[] = shape.parts, rest = shape.rest): string {
  return head(shape, parts) + rest;
}

/**
 * A subject of the issuer's form with placeholders for its naming parts, for messages:
 * `repo:<owner>/<repository>:ref:refs/heads/main`, `system:serviceaccount:<namespace>:<service account>`.
 */
export function exampleShape(kind: OidcIssuerKind, claim: string): SubjectShape {
  const shape = (parts: string[], rest: string): SubjectShape => ({ kind, claim, parts, rest, environment: false });
  switch (kind) {
    case "github":
      return claim === "job_workflow_ref"
        ? shape(["<owner>", "<repository>"], "/.github/workflows/deploy.yml@refs/heads/main")
        : shape(["<owner>", "<repository>"], ":ref:refs/heads/main");
    case "gitlab":
      return shape(["<group>", "<project>"], ":ref_type:branch:ref:main");
    case "pulumi":
      return shape(["<organization>", "<project>"], ":*");
    case "eks":
      return shape(["<namespace>", "<service account>"], "");
    default:
      return shape(["<the workload's subject>"], "");
  }
}
