import { issuerHostPath, type OidcIssuerKind, oidcIssuerKind } from "@keyless/iam-rules";
import { KeylessErrorCode, KeylessValidationError } from "../errors";

const PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/[^\s/][^\s]*$/;

const ISSUER_NAMES: Readonly<Record<OidcIssuerKind, string>> = {
  github: "GitHub Actions (token.actions.githubusercontent.com)",
  gitlab: "GitLab",
  pulumi: "Pulumi Cloud (api.pulumi.com/oidc)",
  eks: "an EKS cluster (oidc.eks.<region>.amazonaws.com/id/<ID>)",
  generic: "another issuer",
};

/** Which issuers a role accepts the provider of, and how to say so. */
export interface ExpectedIssuer {
  /** The issuer kinds accepted. */
  readonly kinds: readonly OidcIssuerKind[];
  /** The issuer named in the message, for example "GitHub Actions (token.actions.githubusercontent.com)". */
  readonly name: string;
  /** How to get the right ARN, for example "OidcProvider.gitHubActions(...).arn". */
  readonly fix: string;
}

/**
 * Checks an IAM OIDC provider ARN and that its issuer is one the role trusts. Returns the ARN.
 * @internal
 */
export function validateProviderArn(arn: unknown, argument: string, expected: ExpectedIssuer): string {
  if (typeof arn !== "string" || !PROVIDER_ARN.test(arn)) {
    throw new KeylessValidationError(
      KeylessErrorCode.InvalidArgument,
      argument,
      `\`${argument}\` must be the ARN of an IAM OIDC provider, arn:<partition>:iam::<account>:oidc-provider/<issuer>. ` +
        `Received ${JSON.stringify(arn)}. Pass ${expected.fix}.`,
    );
  }
  const kind = oidcIssuerKind(arn);
  if (!expected.kinds.includes(kind)) {
    throw new KeylessValidationError(
      KeylessErrorCode.IssuerMismatch,
      argument,
      `\`${argument}\` must be the IAM OIDC provider of ${expected.name}: the role's conditions are written for its ` +
        `tokens. Received the provider of ${ISSUER_NAMES[kind]}, ${JSON.stringify(issuerHostPath(arn))}. ` +
        `Pass ${expected.fix}.`,
    );
  }
  return arn;
}
