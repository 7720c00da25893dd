import { KeylessErrorCode, KeylessValidationError } from "../errors";

/** The issuer of GitHub Actions' OIDC tokens on github.com. */
export const GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com";
/** The issuer of GitLab.com's CI/CD ID tokens. */
export const GITLAB_COM_ISSUER = "https://gitlab.com";
/** The issuer of Pulumi Cloud's tokens for ESC `aws-login` and Deployments. */
export const PULUMI_CLOUD_ISSUER = "https://api.pulumi.com/oidc";
/** The audience AWS's own clients ask for (aws-actions/configure-aws-credentials, the EKS pod identity webhook). */
export const STS_AUDIENCE = "sts.amazonaws.com";

const EKS_ISSUER = /^https:\/\/oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/id\/[A-Za-z0-9]+$/;

function fail(argument: string, message: string): never {
  throw new KeylessValidationError(KeylessErrorCode.InvalidArgument, argument, message);
}

/**
 * Checks an issuer URL as IAM and the token's `iss` claim write it: `https://`, a host, an optional path, nothing
 * else (no port, query, fragment, credentials or trailing `/`), at most 255 characters. Returns it unchanged.
 *
 * @see https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html
 * @internal
 */
export function validateIssuerUrl(url: unknown, argument: string): string {
  const example = "for example https://token.actions.githubusercontent.com or https://gitlab.example.com";
  if (typeof url !== "string" || url.length === 0) {
    fail(argument, `\`${argument}\` must be the issuer's https URL, ${example}. Received ${JSON.stringify(url)}.`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    fail(argument, `\`${argument}\` must be the issuer's https URL, ${example}. Received ${JSON.stringify(url)}.`);
  }
  const received = `Received ${JSON.stringify(url)}.`;
  if (parsed.protocol !== "https:" || !/^https:\/\//i.test(url)) {
    fail(argument, `\`${argument}\` must start with https:// (IAM only trusts issuers served over TLS). ${received}`);
  }
  if (parsed.username !== "" || parsed.password !== "" || parsed.port !== "") {
    fail(
      argument,
      `\`${argument}\` must not carry credentials or a port: it must equal the tokens' \`iss\` claim. ${received} ` +
        `Give https://<host>[/path] only.`,
    );
  }
  if (parsed.search !== "" || parsed.hash !== "" || /[?#]/.test(url)) {
    fail(argument, `\`${argument}\` must not have a query or fragment. ${received} Give https://<host>[/path] only.`);
  }
  if (/\/\.well-known(\/|$)/.test(parsed.pathname)) {
    fail(
      argument,
      `\`${argument}\` must be the issuer, not its discovery document. ${received} ` +
        `Remove "${parsed.pathname.slice(parsed.pathname.indexOf("/.well-known"))}".`,
    );
  }
  if (url.endsWith("/")) {
    fail(
      argument,
      `\`${argument}\` must not end with "/": the tokens' \`iss\` claim has none, and IAM compares them. ${received} ` +
        `Use ${JSON.stringify(url.replace(/\/+$/, ""))}.`,
    );
  }
  const normalised = `https://${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`;
  if (normalised !== url) {
    fail(
      argument,
      `\`${argument}\` must be written as the tokens' \`iss\` claim writes it (lowercase host, no "." or ".." path ` +
        `segments, no escapes). ${received} Use ${JSON.stringify(normalised)}.`,
    );
  }
  if (url.length > 255) {
    fail(argument, `\`${argument}\` must be at most 255 characters. Received ${url.length} characters.`);
  }
  return url;
}

/**
 * Checks an EKS cluster's OIDC issuer URL: `https://oidc.eks.<region>.amazonaws.com/id/<ID>`.
 * @internal
 */
export function validateEksIssuerUrl(url: unknown, argument: string): string {
  validateIssuerUrl(url, argument);
  if (!EKS_ISSUER.test(url as string)) {
    fail(
      argument,
      `\`${argument}\` must be an EKS cluster's OIDC issuer, https://oidc.eks.<region>.amazonaws.com/id/<ID>. ` +
        `Received ${JSON.stringify(url)}. Pass the cluster's \`identities[0].oidcs[0].issuer\`.`,
    );
  }
  return url as string;
}
