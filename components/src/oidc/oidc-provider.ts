import { issuerHostPath } from "@keyless/iam-rules";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { KeylessErrorCode, KeylessValidationError } from "../errors";
import { checked, isKnownNow } from "../private/inputs";
import { validateUserTags, withOwnershipTags } from "../tags";
import {
  GITHUB_ACTIONS_ISSUER,
  GITLAB_COM_ISSUER,
  PULUMI_CLOUD_ISSUER,
  STS_AUDIENCE,
  validateEksIssuerUrl,
  validateIssuerUrl,
} from "./issuer-url";
import { validateAudience } from "./subject-values";

/**
 * Arguments of `OidcProvider`: the issuer URL and the audiences its tokens carry.
 *
 * @example
 * ```ts
 * const args: OidcProviderArgs = { url: "https://gitlab.example.com", audiences: ["https://gitlab.example.com"] };
 * ```
 */
export interface OidcProviderArgs {
  /**
   * The issuer URL, exactly as the tokens' `iss` claim gives it: `https://`, a host and an optional path, with no
   * port, query, fragment or trailing `/`. For example `https://token.actions.githubusercontent.com`,
   * `https://gitlab.example.com`, `https://api.pulumi.com/oidc` or an EKS cluster's
   * `https://oidc.eks.eu-west-1.amazonaws.com/id/<ID>` (an Output is accepted and checked at deploy time).
   * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html
   */
  readonly url: pulumi.Input<string>;
  /**
   * The audiences (client IDs) the provider accepts: a token whose `aud` is not listed is refused before any role's
   * trust policy is read. With `existing`, the audiences the existing provider must already list (checked at deploy
   * time).
   * @default - Required when the provider is created; not checked when `existing`.
   */
  readonly audiences?: string[];
  /**
   * Look up the provider that already exists for `url` (`aws.iam.getOpenIdConnectProvider`) instead of creating it.
   * IAM allows one provider per URL in an account: when another stack or the console made it, set this.
   * @default false
   */
  readonly existing?: boolean;
  /**
   * Thumbprints of the issuer's certificate (40 hex characters each, at most 5). IAM verifies GitHub, GitLab.com and
   * other issuers with CAs it trusts and ignores them there; other issuers' are fetched by IAM when left out.
   * @default - No thumbprints: IAM uses its trusted CAs or fetches the top intermediate CA's thumbprint.
   */
  readonly thumbprints?: string[];
  /**
   * Tags for the provider (only when created).
   * @default - No tags.
   */
  readonly tags?: { [key: string]: pulumi.Input<string> };
}

/**
 * Options shared by the `OidcProvider` factories for well-known issuers.
 *
 * @example
 * ```ts
 * OidcProvider.gitHubActions("github", { existing: true });
 * ```
 */
export interface KnownIssuerProviderArgs {
  /**
   * The audiences the provider accepts.
   * @default - The issuer's usual audiences, see each factory.
   */
  readonly audiences?: string[];
  /**
   * Look up the existing provider instead of creating one.
   * @default false
   */
  readonly existing?: boolean;
  /**
   * Certificate thumbprints.
   * @default - None.
   */
  readonly thumbprints?: string[];
  /**
   * Tags (only when created).
   * @default - No tags.
   */
  readonly tags?: { [key: string]: pulumi.Input<string> };
}

/** Arguments of `OidcProvider.gitLab`. */
export interface GitLabProviderArgs extends KnownIssuerProviderArgs {
  /**
   * The GitLab instance: `https://gitlab.com` or a self-managed instance's URL (`https://gitlab.example.com`).
   * @default "https://gitlab.com"
   */
  readonly url?: string;
}

/** Arguments of `OidcProvider.pulumiCloud`. */
export interface PulumiCloudProviderArgs extends KnownIssuerProviderArgs {
  /** The Pulumi organization (lowercase, as in `app.pulumi.com/<org>`). */
  readonly organization: string;
}

/** Arguments of `OidcProvider.eksCluster`. */
export interface EksClusterProviderArgs extends KnownIssuerProviderArgs {
  /** The cluster's OIDC issuer, `cluster.identities[0].oidcs[0].issuer` of an `aws.eks.Cluster`. */
  readonly issuerUrl: pulumi.Input<string>;
}

const THUMBPRINT = /^[0-9a-fA-F]{40}$/;

function fail(code: KeylessErrorCode, argument: string, message: string): never {
  throw new KeylessValidationError(code, argument, message);
}

/**
 * Validates the arguments of an `OidcProvider`.
 * @internal
 */
export function validateOidcProviderArgs(args: OidcProviderArgs): void {
  if (args === undefined || args === null || typeof args !== "object") {
    fail(KeylessErrorCode.InvalidArgument, "args", "OidcProvider needs arguments: at least `url`.");
  }
  if (args.url === undefined) {
    fail(KeylessErrorCode.InvalidArgument, "url", "`url` must be the issuer's https URL. Received nothing.");
  }
  if (isKnownNow(args.url)) validateIssuerUrl(args.url, "url");
  validateUserTags(args.tags, "tags");
  const existing = args.existing === true;
  if (existing) {
    for (const key of ["thumbprints", "tags"] as const) {
      if (args[key] !== undefined) {
        fail(
          KeylessErrorCode.ConflictingArguments,
          key,
          `\`${key}\` only applies when the provider is created; with \`existing: true\` it is looked up and left as ` +
            `it is. Remove \`${key}\`, or manage the provider here without \`existing\`.`,
        );
      }
    }
  } else if (args.audiences === undefined) {
    fail(
      KeylessErrorCode.InvalidArgument,
      "audiences",
      '`audiences` must list the audiences (`aud`) the tokens carry, for example "sts.amazonaws.com" for GitHub ' +
        "Actions and EKS. Received nothing. Or use a factory such as `OidcProvider.gitHubActions(...)`.",
    );
  }
  if (args.audiences !== undefined) {
    if (!Array.isArray(args.audiences) || args.audiences.length === 0 || args.audiences.length > 100) {
      fail(
        KeylessErrorCode.InvalidArgument,
        "audiences",
        `\`audiences\` must list 1 to 100 audiences. Received ${Array.isArray(args.audiences) ? args.audiences.length : typeof args.audiences}.`,
      );
    }
    args.audiences.forEach((a, i) => {
      validateAudience(a, `audiences[${i}]`);
    });
  }
  if (args.thumbprints !== undefined) {
    if (!Array.isArray(args.thumbprints) || args.thumbprints.length > 5) {
      fail(KeylessErrorCode.InvalidArgument, "thumbprints", "`thumbprints` must list at most 5 thumbprints.");
    }
    args.thumbprints.forEach((t, i) => {
      if (typeof t !== "string" || !THUMBPRINT.test(t)) {
        fail(
          KeylessErrorCode.InvalidArgument,
          `thumbprints[${i}]`,
          `\`thumbprints[${i}]\` must be the SHA-1 thumbprint of a certificate, 40 hex characters. Received ` +
            `${JSON.stringify(t)}.`,
        );
      }
    });
  }
}

/**
 * Checks a Pulumi organization name (lowercase, as tokens carry it).
 * @internal
 */
export function validatePulumiOrganization(organization: unknown, argument: string): string {
  if (typeof organization !== "string" || !/^[a-z0-9][a-z0-9_.-]{0,99}$/.test(organization)) {
    fail(
      KeylessErrorCode.InvalidArgument,
      argument,
      `\`${argument}\` must be the Pulumi organization's name as in app.pulumi.com/<org>: lowercase letters, digits, ` +
        `"-", "_" or ".". Received ${JSON.stringify(organization)}. Tokens carry it in \`aud\` and \`sub\`, and IAM ` +
        `compares them case-sensitively.`,
    );
  }
  return organization;
}

/**
 * The IAM OpenID Connect provider of one issuer, created or looked up by URL. Roles that trust web identities
 * (`GitHubActionsRole`, `GitLabCiRole`, `PulumiCloudRole`, `EksServiceAccountRole`) take its `arn`.
 *
 * Child: `<name>-provider` (`aws.iam.OpenIdConnectProvider`) when created; nothing when `existing` (the lookup is an
 * invoke). The URL is validated before anything is registered (an Output URL at deploy time). The factories
 * `OidcProvider.gitHubActions`, `OidcProvider.gitLab`, `OidcProvider.pulumiCloud` and `OidcProvider.eksCluster` fill
 * in the issuer and its usual audiences.
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html
 * @example
 * ```ts
 * import { OidcProvider } from "@keyless/aws";
 *
 * const github = OidcProvider.gitHubActions("github");
 * const gitlab = new OidcProvider("gitlab", { url: "https://gitlab.example.com", audiences: ["https://gitlab.example.com"] });
 * export const providerArn = github.arn;
 * ```
 */
export class OidcProvider extends pulumi.ComponentResource {
  /** The provider, when this component created it. */
  public readonly provider?: aws.iam.OpenIdConnectProvider;
  /** The provider ARN, for a role's `providerArn`. */
  public readonly arn: pulumi.Output<string>;
  /** The issuer URL, for example `https://token.actions.githubusercontent.com`. */
  public readonly url: pulumi.Output<string>;
  /**
   * The issuer's host and path as IAM condition keys name it, for example `token.actions.githubusercontent.com`
   * (conditions are `<issuer>:sub`, `<issuer>:aud`).
   */
  public readonly issuer: pulumi.Output<string>;
  /** The audiences (client IDs) the provider accepts. */
  public readonly audiences: pulumi.Output<string[]>;

  /**
   * @param name - component name; the provider is named from it
   * @param args - the issuer URL and its audiences
   * @param opts - component options
   */
  constructor(name: string, args: OidcProviderArgs, opts?: pulumi.ComponentResourceOptions) {
    validateOidcProviderArgs(args);
    super("keyless:aws:OidcProvider", name, {}, opts);
    const url = pulumi.output(checked(args.url, (u) => validateIssuerUrl(u, "url")));
    if (args.existing === true) {
      const wanted = args.audiences ?? [];
      const found = aws.iam.getOpenIdConnectProviderOutput({ url }, { parent: this });
      this.arn = pulumi.all([found, url]).apply(([f, u]) => {
        const missing = wanted.filter((a) => !(f.clientIdLists ?? []).includes(a));
        if (missing.length > 0) {
          fail(
            KeylessErrorCode.MissingAudience,
            "audiences",
            `\`audiences\` must all be listed by the existing provider of ${u}, or IAM refuses the tokens before any ` +
              `role is read. It lists ${JSON.stringify(f.clientIdLists ?? [])}; missing ${JSON.stringify(missing)}. ` +
              `Add them (aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${f.arn} ` +
              `--client-id <audience>) or wherever the provider is managed.`,
          );
        }
        return f.arn;
      });
      this.audiences = found.clientIdLists;
    } else {
      this.provider = new aws.iam.OpenIdConnectProvider(
        `${name}-provider`,
        {
          url,
          clientIdLists: args.audiences ?? [],
          thumbprintLists: args.thumbprints,
          tags: withOwnershipTags(this, args.tags),
        },
        { parent: this },
      );
      this.arn = this.provider.arn;
      this.audiences = this.provider.clientIdLists;
    }
    this.url = url;
    this.issuer = url.apply(issuerHostPath);
    this.registerOutputs({ arn: this.arn, url: this.url, issuer: this.issuer, audiences: this.audiences });
  }

  /**
   * The provider of GitHub Actions on github.com, `https://token.actions.githubusercontent.com`, with audience
   * `sts.amazonaws.com` (what aws-actions/configure-aws-credentials asks for).
   *
   * @see https://docs.github.com/en/actions/how-tos/secure-your-work/security-harden-deployments/oidc-in-aws
   * @example
   * ```ts
   * const github = OidcProvider.gitHubActions("github");
   * const shared = OidcProvider.gitHubActions("github", { existing: true }); // made elsewhere in the account
   * ```
   */
  public static gitHubActions(
    name: string,
    args: KnownIssuerProviderArgs = {},
    opts?: pulumi.ComponentResourceOptions,
  ): OidcProvider {
    return new OidcProvider(
      name,
      { ...args, url: GITHUB_ACTIONS_ISSUER, audiences: args.audiences ?? [STS_AUDIENCE] },
      opts,
    );
  }

  /**
   * The provider of a GitLab instance: gitlab.com or a self-managed one. The audience defaults to the instance URL,
   * the `aud` GitLab's AWS guide sets in the jobs' `id_tokens`; pass the ones your jobs ask for.
   *
   * @see https://docs.gitlab.com/ci/cloud_services/aws/
   * @example
   * ```ts
   * const gitlab = OidcProvider.gitLab("gitlab", { url: "https://gitlab.example.com" });
   * ```
   */
  public static gitLab(
    name: string,
    args: GitLabProviderArgs = {},
    opts?: pulumi.ComponentResourceOptions,
  ): OidcProvider {
    const { url = GITLAB_COM_ISSUER, ...rest } = args;
    validateIssuerUrl(url, "url");
    return new OidcProvider(name, { ...rest, url, audiences: rest.audiences ?? [url] }, opts);
  }

  /**
   * The provider of Pulumi Cloud, `https://api.pulumi.com/oidc`. Its audiences default to both of the organization's:
   * `aws:<org>` (ESC `aws-login`) and `<org>` (Deployments OIDC); IAM allows one provider per URL in an account, so one
   * provider serves both.
   *
   * @see https://www.pulumi.com/docs/esc/guides/configuring-oidc/aws/
   * @see https://www.pulumi.com/docs/deployments/guides/oidc/aws/
   * @example
   * ```ts
   * const pulumiCloud = OidcProvider.pulumiCloud("pulumi", { organization: "acme" });
   * ```
   */
  public static pulumiCloud(
    name: string,
    args: PulumiCloudProviderArgs,
    opts?: pulumi.ComponentResourceOptions,
  ): OidcProvider {
    const { organization, ...rest } = args ?? ({} as PulumiCloudProviderArgs);
    validatePulumiOrganization(organization, "organization");
    return new OidcProvider(
      name,
      { ...rest, url: PULUMI_CLOUD_ISSUER, audiences: rest.audiences ?? [`aws:${organization}`, organization] },
      opts,
    );
  }

  /**
   * The provider of an EKS cluster's service account tokens (IRSA), audience `sts.amazonaws.com`.
   *
   * @see https://docs.aws.amazon.com/eks/latest/userguide/enable-iam-roles-for-service-accounts.html
   * @example
   * ```ts
   * const irsa = OidcProvider.eksCluster("cluster-oidc", { issuerUrl: cluster.identities[0].oidcs[0].issuer });
   * ```
   */
  public static eksCluster(
    name: string,
    args: EksClusterProviderArgs,
    opts?: pulumi.ComponentResourceOptions,
  ): OidcProvider {
    const { issuerUrl, ...rest } = args ?? ({} as EksClusterProviderArgs);
    if (issuerUrl === undefined) validateEksIssuerUrl(issuerUrl, "issuerUrl");
    const url = checked(issuerUrl, (u) => validateEksIssuerUrl(u, "issuerUrl"));
    return new OidcProvider(name, { ...rest, url, audiences: rest.audiences ?? [STS_AUDIENCE] }, opts);
  }
}
