import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { KeylessErrorCode, KeylessValidationError } from "../errors";
import { buildRole, type RolePermissionsArgs, validateRoleArgs } from "../iam/workload-role";
import { checked, isKnownNow } from "../private/inputs";
import { ownershipTags } from "../tags";
import { validateServiceAccount } from "./kubernetes-names";

/**
 * Arguments of `EksPodIdentityRole`: the cluster, the service account and the role's permissions.
 *
 * @example
 * ```ts
 * const args: EksPodIdentityRoleArgs = { clusterArn: cluster.arn, namespace: "payments", serviceAccount: "api" };
 * ```
 */
export interface EksPodIdentityRoleArgs extends RolePermissionsArgs {
  /** ARN of the EKS cluster, `arn:<partition>:eks:<region>:<account>:cluster/<name>` (`aws.eks.Cluster.arn`). */
  readonly clusterArn: pulumi.Input<string>;
  /** The service account's namespace. No wildcard. */
  readonly namespace: string;
  /** The service account's name. No wildcard. */
  readonly serviceAccount: string;
  /**
   * Register the `aws.eks.PodIdentityAssociation` that hands the role to the service account (with session tags on,
   * which the trust policy requires). Set false when the association is made elsewhere (an EKS add-on's
   * `podIdentityAssociations`, another stack); it must not disable session tags.
   * @default true
   */
  readonly createAssociation?: boolean;
}

/** The service principal of EKS Pod Identity. */
export const EKS_POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com";

const CLUSTER_ARN = /^arn:(aws[a-z-]*):eks:([a-z0-9-]+):(\d{12}):cluster\/([A-Za-z0-9][A-Za-z0-9_-]{0,99})$/;

function clusterParts(arn: unknown): { account: string; name: string } {
  const m = typeof arn === "string" ? CLUSTER_ARN.exec(arn) : null;
  if (m === null) {
    throw new KeylessValidationError(
      KeylessErrorCode.InvalidArgument,
      "clusterArn",
      `\`clusterArn\` must be an EKS cluster ARN, arn:<partition>:eks:<region>:<account>:cluster/<name>. Received ` +
        `${JSON.stringify(arn)}. Pass the cluster's \`arn\`.`,
    );
  }
  return { account: m[3] as string, name: m[4] as string };
}

/**
 * The trust policy of a Pod Identity role for one service account of one cluster: `pods.eks.amazonaws.com` may call
 * `sts:AssumeRole` and `sts:TagSession` when the session tags EKS sets name the cluster, namespace and service account,
 * and the request comes from the cluster's account.
 * @internal
 */
export function podIdentityTrustPolicy(clusterArn: string, namespace: string, serviceAccount: string): string {
  const { account } = clusterParts(clusterArn);
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: EKS_POD_IDENTITY_PRINCIPAL },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Condition: {
          StringEquals: {
            "aws:SourceAccount": account,
            "aws:RequestTag/eks-cluster-arn": clusterArn,
            "aws:RequestTag/kubernetes-namespace": namespace,
            "aws:RequestTag/kubernetes-service-account": serviceAccount,
          },
        },
      },
    ],
  });
}

/**
 * Validates the arguments of an `EksPodIdentityRole`.
 * @internal
 */
export function validateEksPodIdentityRoleArgs(args: EksPodIdentityRoleArgs): void {
  if (args === undefined || args === null || typeof args !== "object") {
    throw new KeylessValidationError(
      KeylessErrorCode.InvalidArgument,
      "args",
      "EksPodIdentityRole needs arguments: `clusterArn`, `namespace` and `serviceAccount`.",
    );
  }
  if (args.clusterArn === undefined || isKnownNow(args.clusterArn)) clusterParts(args.clusterArn);
  validateServiceAccount(args.namespace, args.serviceAccount);
  if (args.createAssociation !== undefined && typeof args.createAssociation !== "boolean") {
    throw new KeylessValidationError(
      KeylessErrorCode.InvalidArgument,
      "createAssociation",
      `\`createAssociation\` must be true or false. Received ${JSON.stringify(args.createAssociation)}.`,
    );
  }
  validateRoleArgs(args);
}

/**
 * An IAM role for the pods of one Kubernetes service account through EKS Pod Identity. The trust policy lets
 * `pods.eks.amazonaws.com` assume the role (`sts:AssumeRole`, `sts:TagSession`) only when the session tags EKS sets
 * match: `aws:RequestTag/eks-cluster-arn`, `aws:RequestTag/kubernetes-namespace` and
 * `aws:RequestTag/kubernetes-service-account` (`StringEquals`), and `aws:SourceAccount` is the cluster's account. The
 * association is registered too, unless `createAssociation` is false.
 *
 * Children: `<name>-role`, `<name>-policy` (with `statements`), one attachment per managed policy, and
 * `<name>-association` (`aws.eks.PodIdentityAssociation`). All arguments are validated before any child is
 * registered; a `clusterArn` Output is checked when it resolves. The cluster needs the EKS Pod Identity Agent add-on.
 *
 * @see https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
 * @example
 * ```ts
 * import { EksPodIdentityRole } from "@keyless/aws";
 *
 * const api = new EksPodIdentityRole("api", {
 *   clusterArn: cluster.arn,
 *   namespace: "payments",
 *   serviceAccount: "api",
 *   statements: [{ actions: ["sqs:SendMessage"], resources: [queue.arn] }],
 * });
 * ```
 */
export class EksPodIdentityRole extends pulumi.ComponentResource {
  /** The IAM role. */
  public readonly role: aws.iam.Role;
  /** The inline policy holding `statements`, when there are any. */
  public readonly policy?: aws.iam.RolePolicy;
  /** One attachment per managed policy, in argument order. */
  public readonly policyAttachments: aws.iam.RolePolicyAttachment[];
  /**
   * The ARN of the Pod Identity association (`<name>-association`), unless `createAssociation` is false. An ARN, not
   * the resource: a component package's schema then needs no EKS type from the aws package.
   */
  public readonly associationArn?: pulumi.Output<string>;
  /** The role ARN. */
  public readonly roleArn: pulumi.Output<string>;
  /** The role name. */
  public readonly roleName: pulumi.Output<string>;
  /** The trust policy JSON the role was given. */
  public readonly trustPolicy: pulumi.Output<string>;

  /**
   * @param name - component name; children are named from it
   * @param args - the cluster, the service account and the permissions
   * @param opts - component options
   */
  constructor(name: string, args: EksPodIdentityRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    validateEksPodIdentityRoleArgs(args);
    super("keyless:aws:EksPodIdentityRole", name, {}, opts);
    const clusterArn = pulumi.output(checked(args.clusterArn, clusterParts));
    this.trustPolicy = clusterArn.apply((arn) => podIdentityTrustPolicy(arn, args.namespace, args.serviceAccount));
    const built = buildRole(this, name, args, {
      assumeRolePolicy: this.trustPolicy,
      defaultDescription: `keyless EKS Pod Identity role for ${args.namespace}/${args.serviceAccount}`,
    });
    this.role = built.role;
    if (built.policy !== undefined) this.policy = built.policy;
    this.policyAttachments = built.attachments;
    this.roleArn = built.role.arn;
    this.roleName = built.role.name;
    if (args.createAssociation ?? true) {
      const association = new aws.eks.PodIdentityAssociation(
        `${name}-association`,
        {
          clusterName: clusterArn.apply((arn) => clusterParts(arn).name),
          namespace: args.namespace,
          serviceAccount: args.serviceAccount,
          roleArn: built.role.arn,
          tags: ownershipTags(this),
        },
        { parent: this },
      );
      this.associationArn = association.associationArn;
    }
    this.registerOutputs({
      role: this.role,
      roleArn: this.roleArn,
      roleName: this.roleName,
      trustPolicy: this.trustPolicy,
      associationArn: this.associationArn,
    });
  }
}
