import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { KeylessErrorCode, KeylessValidationError } from "../errors";
import { type RolePermissionsArgs, validateRoleArgs } from "../iam/workload-role";
import { buildFederatedRole, federatedTrustPolicy, validateProviderArnNow } from "./federated-role";
import { STS_AUDIENCE } from "./issuer-url";
import { validateServiceAccount } from "./kubernetes-names";
import type { ExpectedIssuer } from "./provider-arn";
import type { ClaimCondition } from "./web-identity-trust";

/**
 * Arguments of `EksServiceAccountRole`: the cluster's OIDC provider, the service account and the role's permissions.
 *
 * @example
 * ```ts
 * const args: EksServiceAccountRoleArgs = { providerArn: irsa.arn, namespace: "payments", serviceAccount: "api" };
 * ```
 */
export interface EksServiceAccountRoleArgs extends RolePermissionsArgs {
  /**
   * ARN of the IAM OIDC provider of the cluster's issuer: `OidcProvider.eksCluster(...).arn`
   * (`arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<ID>`).
   */
  readonly providerArn: pulumi.Input<string>;
  /** The service account's namespace. No wildcard. */
  readonly namespace: string;
  /** The service account's name. No wildcard. Annotate it with `eks.amazonaws.com/role-arn: <roleArn>`. */
  readonly serviceAccount: string;
}

const ISSUER: ExpectedIssuer = {
  kinds: ["eks"],
  name: "an EKS cluster (oidc.eks.<region>.amazonaws.com/id/<ID>)",
  fix: "the `arn` of `OidcProvider.eksCluster(...)` for the cluster",
};

/**
 * Validates the arguments of an `EksServiceAccountRole`.
 * @internal
 */
export function validateEksServiceAccountRoleArgs(args: EksServiceAccountRoleArgs): void {
  if (args === undefined || args === null || typeof args !== "object") {
    throw new KeylessValidationError(
      KeylessErrorCode.InvalidArgument,
      "args",
      "EksServiceAccountRole needs arguments: `providerArn`, `namespace` and `serviceAccount`.",
    );
  }
  validateProviderArnNow(args.providerArn, ISSUER);
  validateServiceAccount(args.namespace, args.serviceAccount);
  validateRoleArgs(args);
}

/**
 * An IAM role for the pods of one Kubernetes service account, through IAM roles for service accounts (IRSA): the
 * cluster's OIDC provider, `aud` = `sts.amazonaws.com` and `sub` = `system:serviceaccount:<namespace>:<name>`, both
 * with `StringEquals`: no other service account, in this namespace or another, gets the role.
 *
 * Children: `<name>-role`, `<name>-policy` (with `statements`), one attachment per managed policy. All arguments are
 * validated before any child is registered. Annotate the service account with `eks.amazonaws.com/role-arn`.
 *
 * @see https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
 * @example
 * ```ts
 * import { EksServiceAccountRole, OidcProvider } from "@keyless/aws";
 *
 * const irsa = OidcProvider.eksCluster("cluster-oidc", { issuerUrl: cluster.identities[0].oidcs[0].issuer });
 * const api = new EksServiceAccountRole("api", {
 *   providerArn: irsa.arn,
 *   namespace: "payments",
 *   serviceAccount: "api",
 *   statements: [{ actions: ["sqs:SendMessage"], resources: [queue.arn] }],
 * });
 * ```
 */
export class EksServiceAccountRole extends pulumi.ComponentResource {
  /** The IAM role. */
  public readonly role: aws.iam.Role;
  /** The inline policy holding `statements`, when there are any. */
  public readonly policy?: aws.iam.RolePolicy;
  /** One attachment per managed policy, in argument order. */
  public readonly policyAttachments: aws.iam.RolePolicyAttachment[];
  /** The role ARN, for the service account's `eks.amazonaws.com/role-arn` annotation. */
  public readonly roleArn: pulumi.Output<string>;
  /** The role name. */
  public readonly roleName: pulumi.Output<string>;
  /** The trust policy JSON the role was given. */
  public readonly trustPolicy: pulumi.Output<string>;

  /**
   * @param name - component name; children are named from it
   * @param args - the cluster's provider, the service account and the permissions
   * @param opts - component options
   */
  constructor(name: string, args: EksServiceAccountRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    validateEksServiceAccountRoleArgs(args);
    super("keyless:aws:EksServiceAccountRole", name, {}, opts);
    const conditions: ClaimCondition[] = [
      { claim: "aud", values: [STS_AUDIENCE] },
      { claim: "sub", values: [`system:serviceaccount:${args.namespace}:${args.serviceAccount}`] },
    ];
    this.trustPolicy = federatedTrustPolicy(args.providerArn, ISSUER, () => conditions);
    const built = buildFederatedRole(
      this,
      name,
      args,
      this.trustPolicy,
      `keyless role for service account ${args.namespace}/${args.serviceAccount}`,
    );
    this.role = built.role;
    if (built.policy !== undefined) this.policy = built.policy;
    this.policyAttachments = built.attachments;
    this.roleArn = built.role.arn;
    this.roleName = built.role.name;
    this.registerOutputs({
      role: this.role,
      roleArn: this.roleArn,
      roleName: this.roleName,
      trustPolicy: this.trustPolicy,
    });
  }
}
