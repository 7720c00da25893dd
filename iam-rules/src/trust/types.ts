// The vocabulary of trust evaluation: what a trust policy says, who asks, and what IAM answers.

/** A value in the request context: one string, several (a multivalued key such as `amr`), or a boolean. */
export type ContextValue = string | boolean | readonly string[];

/**
 * The principal that asks STS for the role, as IAM sees it.
 * - `service`: an AWS service principal (`ec2.amazonaws.com`, `pods.eks.amazonaws.com`).
 * - `aws`: an IAM role, user or assumed-role session ARN (`arn:aws:iam::111122223333:role/ci`), or an account's root.
 * - `federated`: a web identity or SAML provider: the IAM OIDC provider ARN
 *   (`arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com`) or `cognito-identity.amazonaws.com`.
 */
export type TrustPrincipal = { readonly service: string } | { readonly aws: string } | { readonly federated: string };

/**
 * One request to assume a role: the principal, the STS action and the request context IAM evaluates conditions on.
 *
 * @example
 * ```ts
 * const request: AssumeRoleRequest = {
 *   principal: { service: "ec2.amazonaws.com" },
 *   context: { "aws:SourceAccount": "111122223333" },
 * };
 * ```
 */
export interface AssumeRoleRequest {
  readonly principal: TrustPrincipal;
  /**
   * The STS action.
   * @default - `sts:AssumeRoleWithWebIdentity` for an OIDC provider, `sts:AssumeRoleWithSAML` for a SAML provider,
   * `sts:AssumeRole` otherwise.
   */
  readonly action?: string;
  /**
   * Condition keys of the request (`aws:SourceAccount`, `token.actions.githubusercontent.com:sub`,
   * `aws:RequestTag/kubernetes-namespace`, ...). Key names compare case-insensitively, as IAM's do.
   * @default - No condition keys: every condition that needs one is not met.
   */
  readonly context?: Readonly<Record<string, ContextValue>>;
}

/** IAM's answer for one request. */
export interface TrustDecision {
  /** Whether the role may be assumed: some statement allows and none denies. */
  readonly allowed: boolean;
  /** `ExplicitDeny` wins over any Allow; `ImplicitDeny` when nothing allows. */
  readonly decision: "Allow" | "ExplicitDeny" | "ImplicitDeny";
  /** Indexes (in document order) of the statements that matched with the decisive effect. */
  readonly statements: readonly number[];
  /** One line saying why, naming statements by Sid or index; never a context value. */
  readonly reason: string;
}

/** A condition as written: `Operator: { key: values }`, with the operator's prefix and suffix split off. */
export interface TrustCondition {
  /** The operator as written, for example `ForAnyValue:StringLikeIfExists`. */
  readonly operator: string;
  /** The base operator without set prefix or `IfExists`, for example `StringLike`. */
  readonly base: string;
  readonly set?: "ForAnyValue" | "ForAllValues";
  readonly ifExists: boolean;
  /** The condition key as written (compare case-insensitively). */
  readonly key: string;
  /** The values as written, in order; booleans and numbers as their JSON text. */
  readonly values: readonly string[];
}

/** A statement of a trust policy, normalised: single values become lists. */
export interface TrustStatement {
  readonly index: number;
  readonly sid?: string;
  readonly effect: "Allow" | "Deny";
  /** `"*"` for `Principal: "*"`; otherwise each principal type and its identifiers. */
  readonly principal?: "*" | Readonly<Record<string, readonly string[]>>;
  readonly notPrincipal?: "*" | Readonly<Record<string, readonly string[]>>;
  readonly actions?: readonly string[];
  readonly notActions?: readonly string[];
  readonly conditions: readonly TrustCondition[];
}

/**
 * A place where the JSON text names the same member twice in one object. `JSON.parse`, like IAM, keeps only the last
 * one, so a reviewer reading the text sees a condition that is not evaluated.
 */
export interface DuplicateMember {
  /** Path of the object holding the duplicate, for example `Statement[0].Condition.StringEquals`. */
  readonly path: string;
  readonly member: string;
}

/** A trust policy read from its JSON text. */
export interface TrustPolicy {
  /**
   * The policy language version (`Version`). Policy variables are substituted only under `2012-10-17`.
   * @default - None written: IAM reads the policy as version `2008-10-17`, where `${...}` is literal text.
   */
  readonly version?: string;
  readonly statements: readonly TrustStatement[];
  /** Members written twice in one object; only the last of each counts. */
  readonly duplicates: readonly DuplicateMember[];
}
