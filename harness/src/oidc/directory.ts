/**
 * What STS reads from IAM to decide `AssumeRoleWithWebIdentity`: the account's OIDC providers (URL, client ids) and
 * the role's trust policy. The STS front asks LocalStack's IAM by default.
 */
import {
  GetOpenIDConnectProviderCommand,
  GetRoleCommand,
  IAMClient,
  ListOpenIDConnectProvidersCommand,
} from "@aws-sdk/client-iam";
import { localStackClientConfig, localStackEndpoint } from "../localstack";
import { isNotFound } from "../provider/properties";

/** An IAM OIDC identity provider. */
export interface IamOidcProvider {
  /** `arn:aws:iam::<account>:oidc-provider/<host/path>`. */
  readonly arn: string;
  /** The issuer URL as IAM holds it: host and path, no scheme (`token.actions.githubusercontent.com`). */
  readonly url: string;
  /** The audiences it accepts (`ClientIDList`). */
  readonly clientIds: readonly string[];
}

/** The IAM facts an `AssumeRoleWithWebIdentity` decision reads. */
export interface WebIdentityDirectory {
  /** The OIDC providers of an account. */
  oidcProviders(account: string): Promise<readonly IamOidcProvider[]>;
  /** The trust policy (JSON text, possibly URL-encoded as IAM returns it) of the role, or undefined if it does not exist. */
  roleTrustPolicy(roleArn: string): Promise<string | undefined>;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]+)$/;

/** The account and name of a role ARN (the name is its last path segment), or undefined when it is not one. */
export function parseRoleArn(arn: string): { account: string; name: string } | undefined {
  const m = ROLE_ARN.exec(arn);
  return m ? { account: m[1] as string, name: m[2] as string } : undefined;
}

/**
 * The directory of an IAM endpoint (LocalStack's by default): ListOpenIDConnectProviders and
 * GetOpenIDConnectProvider for the providers, GetRole for the trust policy (a role whose ARN differs, by its path,
 * does not exist).
 *
 * @default endpoint - `KEYLESS_LOCALSTACK_ENDPOINT`, else http://127.0.0.1:4566.
 * @example
 * ```ts
 * const front = await serveStsFront({ issuers: [github], directory: iamDirectory() });
 * ```
 */
export function iamDirectory(endpoint: string = localStackEndpoint()): WebIdentityDirectory {
  const iam = new IAMClient(localStackClientConfig(endpoint));
  return {
    async oidcProviders(account) {
      const listed = await iam.send(new ListOpenIDConnectProvidersCommand({}));
      const arns = (listed.OpenIDConnectProviderList ?? [])
        .map((p) => p.Arn)
        .filter((arn): arn is string => arn !== undefined && arn.split(":")[4] === account);
      const out: IamOidcProvider[] = [];
      for (const arn of arns) {
        try {
          const got = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
          out.push({ arn, url: got.Url ?? arn.split("/").slice(1).join("/"), clientIds: got.ClientIDList ?? [] });
        } catch (err) {
          if (!isNotFound(err)) throw err; // deleted between the listing and the read
        }
      }
      return out;
    },
    async roleTrustPolicy(roleArn) {
      const parsed = parseRoleArn(roleArn);
      if (!parsed) return undefined;
      try {
        const got = await iam.send(new GetRoleCommand({ RoleName: parsed.name }));
        return got.Role?.Arn === roleArn ? got.Role.AssumeRolePolicyDocument : undefined;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
  };
}
