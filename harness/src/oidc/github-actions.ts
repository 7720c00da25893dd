/**
 * The claims of a GitHub Actions OIDC token, in GitHub's shapes: the subject by environment, pull request or ref, the
 * repository and its owner, the ref, the workflow refs.
 * @see https://docs.github.com/en/actions/reference/security/oidc#oidc-token-claims
 */
import { createHash, randomBytes } from "node:crypto";
import { OidcHarnessError } from "./errors";
import type { TokenClaims } from "./issuer";

/** GitHub Actions' issuer, the `iss` of its tokens and the URL of the IAM OIDC provider that trusts them. */
export const GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com";

/** Options of {@link githubActionsClaims}. Exactly one of `branch`, `tag` and `pullRequest`. */
export interface GitHubActionsClaimsOptions {
  /** The repository running the workflow, `OWNER/REPO`. */
  readonly repository: string;
  /**
   * A push to this branch: `ref` `refs/heads/<branch>`, `sub` `repo:OWNER/REPO:ref:refs/heads/<branch>`.
   * @default - None: exactly one of `branch`, `tag` and `pullRequest` is given.
   */
  readonly branch?: string;
  /**
   * A push of this tag: `ref` `refs/tags/<tag>`.
   * @default - None: exactly one of `branch`, `tag` and `pullRequest` is given.
   */
  readonly tag?: string;
  /**
   * A `pull_request` run of this pull request number: `ref` `refs/pull/<n>/merge`, `sub` `repo:OWNER/REPO:pull_request`.
   * @default - None: exactly one of `branch`, `tag` and `pullRequest` is given.
   */
  readonly pullRequest?: number;
  /**
   * The job's deployment environment: `sub` becomes `repo:OWNER/REPO:environment:<name>` whatever the event.
   * @default - No environment.
   */
  readonly environment?: string;
  /**
   * The audience, `aud`.
   * @default "sts.amazonaws.com" (what aws-actions/configure-aws-credentials asks for)
   */
  readonly audience?: string;
  /**
   * The workflow file under `.github/workflows/`, in `workflow_ref` and `job_workflow_ref`.
   * @default "deploy.yml"
   */
  readonly workflowFile?: string;
  /**
   * The user who triggered the run, `actor`.
   * @default "octocat"
   */
  readonly actor?: string;
}

const NAME = /^[A-Za-z0-9_.-]+$/;

/** A stable numeric id for a name, as GitHub gives repositories and owners ids (strings of digits). */
const idOf = (name: string): string => String(createHash("sha256").update(name).digest().readUInt32BE(0));

/**
 * The claims of a GitHub Actions job's OIDC token (without `iss` and the times, which the issuer sets): `aud`, `sub`,
 * `repository`, `repository_owner`, their ids, `ref`, `ref_type`, `event_name`, `environment`, `workflow_ref`,
 * `job_workflow_ref`, `actor`, `run_id`, ... The `sub` follows GitHub's rule: an environment first, else a pull
 * request, else the ref.
 *
 * @see https://docs.github.com/en/actions/reference/security/oidc#oidc-token-claims
 * @example
 * ```ts
 * githubActionsClaims({ repository: "acme/payments", branch: "main" }).sub;
 * // "repo:acme/payments:ref:refs/heads/main"
 * githubActionsClaims({ repository: "acme/payments", pullRequest: 7 }).sub; // "repo:acme/payments:pull_request"
 * ```
 */
export function githubActionsClaims(options: GitHubActionsClaimsOptions): TokenClaims & { sub: string } {
  const [owner, repo, ...rest] = options.repository.split("/");
  if (!owner || !repo || rest.length > 0 || !NAME.test(owner) || !NAME.test(repo)) {
    throw new OidcHarnessError(
      "InvalidArgument",
      `\`repository\` must be OWNER/REPO, such as acme/payments; got ${JSON.stringify(options.repository)}`,
    );
  }
  const refs = (["branch", "tag", "pullRequest"] as const).filter((k) => options[k] !== undefined);
  if (refs.length !== 1) {
    throw new OidcHarnessError(
      "InvalidArgument",
      `exactly one of \`branch\`, \`tag\` and \`pullRequest\` must be given; got ${refs.length === 0 ? "none" : refs.join(", ")}`,
    );
  }
  if (options.pullRequest !== undefined && !(Number.isInteger(options.pullRequest) && options.pullRequest > 0)) {
    throw new OidcHarnessError(
      "InvalidArgument",
      `\`pullRequest\` must be a positive whole number; got ${options.pullRequest}`,
    );
  }
  for (const key of ["branch", "tag", "environment"] as const) {
    const v = options[key];
    if (v !== undefined && (v === "" || /[\s:]/.test(v))) {
      throw new OidcHarnessError(
        "InvalidArgument",
        `\`${key}\` must be a name without spaces or colons; got ${JSON.stringify(v)}`,
      );
    }
  }
  const pr = options.pullRequest;
  const ref =
    options.branch !== undefined
      ? `refs/heads/${options.branch}`
      : options.tag !== undefined
        ? `refs/tags/${options.tag}`
        : `refs/pull/${pr}/merge`;
  const event = pr !== undefined ? "pull_request" : "push";
  const sub =
    options.environment !== undefined
      ? `repo:${options.repository}:environment:${options.environment}`
      : pr !== undefined
        ? `repo:${options.repository}:pull_request`
        : `repo:${options.repository}:ref:${ref}`;
  const workflowFile = options.workflowFile ?? "deploy.yml";
  const workflowRef = `${options.repository}/.github/workflows/${workflowFile}@${ref}`;
  const sha = randomBytes(20).toString("hex");
  const actor = options.actor ?? "octocat";
  return {
    aud: options.audience ?? "sts.amazonaws.com",
    sub,
    ref,
    ref_type: options.tag !== undefined ? "tag" : "branch",
    ref_protected: "false",
    sha,
    repository: options.repository,
    repository_id: idOf(options.repository),
    repository_owner: owner,
    repository_owner_id: idOf(owner),
    repository_visibility: "private",
    actor,
    actor_id: idOf(`actor:${actor}`),
    workflow: workflowFile.replace(/\.ya?ml$/, ""),
    workflow_ref: workflowRef,
    workflow_sha: sha,
    job_workflow_ref: workflowRef,
    job_workflow_sha: sha,
    event_name: event,
    head_ref: pr !== undefined ? `pr-${pr}` : "",
    base_ref: pr !== undefined ? "main" : "",
    run_id: String(randomBytes(4).readUInt32BE(0)),
    run_number: "1",
    run_attempt: "1",
    runner_environment: "github-hosted",
    ...(options.environment !== undefined ? { environment: options.environment } : {}),
  };
}
