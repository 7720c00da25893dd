// Tokens a scoped web-identity trust must refuse: claims made up at run time for an issuer, each from a repository,
// project or namespace that no pin of the policy names. Asking IAM's own evaluation (`evaluateTrust`) about them is
// the last line of `webIdentityTrustFindings`: it catches what the rules on the text miss (a policy variable in a
// pin, an operator read unusually), because it needs no rule, only the policy's answer.
import { randomBytes } from "node:crypto";
import type { OidcIssuerKind } from "./oidc-issuers";
import { exampleShape, formatSubject, type SubjectShape, subjectShape } from "./subject-format";

/** A value a trust policy conditions a pinning claim on (`sub`, `job_workflow_ref`). */
export interface PinnedValue {
  readonly claim: string;
  readonly value: string;
}

/** The claims of one made-up token (without `aud`, which the caller sets). */
export type ForeignClaims = Readonly<Record<string, string>>;

/** A name no policy can have fixed: made up now, 12 hex digits of randomness. */
const foreignName = (): string => `foreign-${randomBytes(6).toString("hex")}`;

/** Wildcards filled with a letter: a concrete value the pattern matches. */
const fill = (s: string): string => s.replace(/[*?]/g, "x");

/**
 * A pin value with its policy variables written as plain names (`${<issuer>:repository_owner}` -> `x`,
 * `${<issuer>:repository}` -> `x/x`; the escapes `${*}`, `${?}`, `${$}` as their character), so that its shape can be
 * read. The made-up token then carries the names its parts get, and IAM substitutes them back when it evaluates.
 */
const withoutVariables = (value: string): string =>
  value.replace(/\$\{([^}]*)\}/g, (_all, inner: string) =>
    inner === "*" || inner === "?" || inner === "$" ? inner : /:repository\s*(,|$)/.test(inner) ? "x/x" : "x",
  );

/**
 * The part lists to try for a shape: all parts foreign, then (for a shape read from the policy, not an example) each
 * part foreign alone with the others kept.
 */
function foreignParts(shape: SubjectShape, fromPolicy: boolean): string[][] {
  const kept = shape.parts.map(fill);
  const all = kept.map(foreignName);
  return fromPolicy ? [all, ...kept.map((_, i) => kept.map((p, j) => (j === i ? foreignName() : p)))] : [all];
}

/** GitHub's token for one repository: `sub` and `job_workflow_ref` from the same owner and repository. */
function githubClaims(parts: readonly string[], sub: SubjectShape, workflow: SubjectShape): ForeignClaims {
  const [owner = "", repository = ""] = parts;
  const jobWorkflowRef = formatSubject(workflow, parts, fill(workflow.rest));
  const subRest = fill(sub.rest);
  return {
    sub: formatSubject(sub, parts, subRest),
    job_workflow_ref: jobWorkflowRef,
    workflow_ref: jobWorkflowRef,
    repository: `${owner}/${repository}`,
    repository_owner: owner,
    ref: /^:ref:(.+)$/.exec(subRest)?.[1] ?? "refs/heads/main",
  };
}

/**
 * Tokens from workloads the pins do not name, for an issuer: for each pin value of the issuer's format, one token
 * with all naming parts made up and one per part with only that part made up (a repository of the same owner, the
 * same repository name under another owner, ...), the rest of the value kept with its wildcards filled. For GitHub,
 * `sub` and `job_workflow_ref` come from the same made-up repository, with the forms the other pins use. An issuer
 * keyless does not know gets one made-up `sub`.
 *
 * @param kind - the issuer, see {@link oidcIssuerKind}
 * @param pins - the values the policy conditions `sub` (and GitHub's `job_workflow_ref`) on, any operator
 * @example
 * ```ts
 * foreignTokenClaims("github", [{ claim: "sub", value: "repo:octo/app:*" }]);
 * // [{ sub: "repo:foreign-…/foreign-…:x", … }, { sub: "repo:foreign-…/app:x", … }, { sub: "repo:octo/foreign-…:x", … }]
 * ```
 */
export function foreignTokenClaims(kind: OidcIssuerKind, pins: readonly PinnedValue[]): ForeignClaims[] {
  if (kind === "generic") return [{ sub: foreignName() }];
  const shapes = pins
    .map((p) => subjectShape(kind, p.claim, withoutVariables(p.value)))
    .filter((s): s is SubjectShape => s !== undefined);
  const of = (claim: string): SubjectShape[] => {
    const found = shapes.filter((s) => s.claim === claim).slice(0, 4);
    return found.length > 0 ? found : [exampleShape(kind, claim)];
  };
  const read = new Set(shapes);
  const out: ForeignClaims[] = [];
  if (kind !== "github") {
    for (const shape of of("sub")) {
      for (const parts of foreignParts(shape, read.has(shape)))
        out.push({ sub: formatSubject(shape, parts, fill(shape.rest)) });
    }
    return out;
  }
  const subs = of("sub");
  const workflows = of("job_workflow_ref");
  for (const sub of subs) {
    for (const parts of foreignParts(sub, read.has(sub)))
      for (const w of workflows) out.push(githubClaims(parts, sub, w));
  }
  for (const w of workflows) {
    for (const parts of foreignParts(w, read.has(w))) for (const sub of subs) out.push(githubClaims(parts, sub, w));
  }
  return out;
}
