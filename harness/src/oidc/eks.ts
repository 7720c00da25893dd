/**
 * The claims of an EKS service account token, as IAM Roles for Service Accounts (IRSA) projects it into a pod:
 * `sub` `system:serviceaccount:<namespace>:<name>`, `aud` `["sts.amazonaws.com"]`, and Kubernetes' own claims.
 * @see https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html
 */
import { randomBytes, randomUUID } from "node:crypto";
import { OidcHarnessError } from "./errors";
import type { TokenClaims } from "./issuer";

/** Options of {@link eksServiceAccountClaims}. */
export interface EksServiceAccountClaimsOptions {
  /** The pod's namespace. */
  readonly namespace: string;
  /** The pod's service account. */
  readonly serviceAccount: string;
  /**
   * The audience of the projected token, `aud` (a list, as Kubernetes writes it).
   * @default "sts.amazonaws.com" (the EKS Pod Identity Webhook's)
   */
  readonly audience?: string;
  /**
   * The pod's name, in `kubernetes.io.pod.name`.
   * @default - `<serviceAccount>-<random>`.
   */
  readonly podName?: string;
}

/** A Kubernetes name (RFC 1123 label for a namespace, subdomain for a service account). */
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * An EKS cluster's OIDC issuer URL, `https://oidc.eks.<region>.amazonaws.com/id/<id>`: the URL its IAM OIDC provider
 * is created for and the `iss` of its service account tokens.
 *
 * @param region - the cluster's region, such as us-east-1
 * @param id - the cluster's OIDC id (upper-case hex); a random 32-character one when left out
 * @see https://docs.aws.amazon.com/eks/latest/userguide/enable-iam-roles-for-service-accounts.html
 * @example
 * ```ts
 * const cluster = await startOidcIssuer({ issuer: eksOidcIssuerUrl("us-east-1") });
 * ```
 */
export function eksOidcIssuerUrl(region: string, id: string = randomBytes(16).toString("hex").toUpperCase()): string {
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    throw new OidcHarnessError(
      "InvalidArgument",
      `\`region\` must be an AWS region such as us-east-1; got ${JSON.stringify(region)}`,
    );
  }
  if (!/^[A-Z0-9]+$/.test(id)) {
    throw new OidcHarnessError(
      "InvalidArgument",
      `\`id\` must be upper-case letters and digits; got ${JSON.stringify(id)}`,
    );
  }
  return `https://oidc.eks.${region}.amazonaws.com/id/${id}`;
}

/**
 * The claims of a pod's projected service account token for IRSA (without `iss` and the times, which the issuer
 * sets): `aud`, `sub` and `kubernetes.io` (namespace, pod, service account, with uids).
 *
 * @see https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html
 * @example
 * ```ts
 * eksServiceAccountClaims({ namespace: "payments", serviceAccount: "api" }).sub; // "system:serviceaccount:payments:api"
 * ```
 */
export function eksServiceAccountClaims(options: EksServiceAccountClaimsOptions): TokenClaims & { sub: string } {
  if (!LABEL.test(options.namespace) || options.namespace.length > 63) {
    throw new OidcHarnessError(
      "InvalidArgument",
      `\`namespace\` must be a Kubernetes namespace name (lower-case letters, digits, '-'); got ${JSON.stringify(options.namespace)}`,
    );
  }
  if (!SUBDOMAIN.test(options.serviceAccount) || options.serviceAccount.length > 253) {
    throw new OidcHarnessError(
      "InvalidArgument",
      `\`serviceAccount\` must be a Kubernetes name (lower-case letters, digits, '-', '.'); got ${JSON.stringify(options.serviceAccount)}`,
    );
  }
  const pod = options.podName ?? `${options.serviceAccount}-${randomBytes(4).toString("hex")}`;
  return {
    aud: [options.audience ?? "sts.amazonaws.com"],
    sub: `system:serviceaccount:${options.namespace}:${options.serviceAccount}`,
    "kubernetes.io": {
      namespace: options.namespace,
      pod: { name: pod, uid: randomUUID() },
      serviceaccount: { name: options.serviceAccount, uid: randomUUID() },
    },
  };
}
