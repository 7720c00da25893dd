/**
 * Stable codes carried by {@link KeylessValidationError}. Tests and tooling match on the code, never on the prose.
 */
export const KeylessErrorCode = {
  /** An argument is missing, empty, malformed or out of its allowed range. */
  InvalidArgument: "InvalidArgument",
  /** Two arguments that cannot be used together were both given. */
  ConflictingArguments: "ConflictingArguments",
  /** A statement action is `*`. */
  WildcardAction: "WildcardAction",
  /** A statement action is `<service>:*`. */
  ServiceWildcardAction: "ServiceWildcardAction",
  /** An action is not of the form `service:Action`. */
  InvalidActionFormat: "InvalidActionFormat",
  /** An action is not in the IAM data set the components classify actions with. */
  UnknownAction: "UnknownAction",
  /** A write, tagging or permissions-management action is granted on `Resource: "*"`. */
  WriteOnAllResources: "WriteOnAllResources",
  /** A managed policy that grants administrator-level access (AdministratorAccess, PowerUserAccess, IAMFullAccess). */
  PrivilegedManagedPolicy: "PrivilegedManagedPolicy",
  /** A role given to an EC2 component does not trust `ec2.amazonaws.com`. */
  UntrustedRole: "UntrustedRole",
  /** A trust condition was asked for a service where AWS does not document it. */
  UnsupportedTrustCondition: "UnsupportedTrustCondition",
  /**
   * A wildcard (`*`, `?`) stands in a part of a web-identity subject that names who may assume the role: a GitHub
   * owner or repository, a GitLab group or project, a Pulumi organization or project, a Kubernetes namespace or
   * service account.
   */
  WildcardSubject: "WildcardSubject",
  /** A role is given the IAM OIDC provider of another issuer than the one whose tokens it trusts. */
  IssuerMismatch: "IssuerMismatch",
  /** An existing IAM OIDC provider does not list an audience (client ID) the tokens carry. */
  MissingAudience: "MissingAudience",
  /** A role that pull-request workflows may assume grants write access, without an opt-out and its reason. */
  WriteFromPullRequests: "WriteFromPullRequests",
  /** User data contains something the credential scanner reports. */
  UserDataContainsCredentials: "UserDataContainsCredentials",
  /** Environment variables (of a Lambda function) contain something the credential scanner reports. */
  EnvironmentContainsCredentials: "EnvironmentContainsCredentials",
  /** An `aws.iam.AccessKey` (a long-lived key) is registered under `hardenStack()` without an opt-out. */
  StaticAccessKey: "StaticAccessKey",
  /**
   * A role's trust lets a web identity it does not name assume it (an OIDC provider without a fixed audience and
   * subject, EKS Pod Identity without fixed session tags): `hardenStack()` on an `aws.iam.Role`.
   */
  UnscopedWebIdentityTrust: "UnscopedWebIdentityTrust",
} as const;

/** One of the {@link KeylessErrorCode} values. */
export type KeylessErrorCode = (typeof KeylessErrorCode)[keyof typeof KeylessErrorCode];

/**
 * The error every keyless component throws for bad input, before any child resource is registered (or, for a value
 * only known at deploy time, inside the apply that feeds the child's input, so that the child is never created).
 *
 * The message names the argument, the constraint, the value received (never a secret) and what to do instead.
 *
 * @example
 * ```ts
 * try {
 *   new WorkloadRole("app", { service: "ec2", statements: [{ actions: ["*"], resources: ["*"] }] });
 * } catch (err) {
 *   if (err instanceof KeylessValidationError && err.code === KeylessErrorCode.WildcardAction) {
 *     // name the actions instead
 *   }
 * }
 * ```
 */
export class KeylessValidationError extends Error {
  /** A stable code, see {@link KeylessErrorCode}. */
  public readonly code: KeylessErrorCode;
  /** The argument path that broke the rule, for example `statements[0].actions[1]`. */
  public readonly argument: string;

  /**
   * @param code - stable code of the rule that was broken
   * @param argument - path of the offending argument
   * @param message - the constraint, the value received and the fix
   */
  constructor(code: KeylessErrorCode, argument: string, message: string) {
    super(`${message} [${code}]`);
    this.name = "KeylessValidationError";
    this.code = code;
    this.argument = argument;
  }

  /**
   * Whether `err` is a {@link KeylessValidationError}, also across copies of this package loaded twice.
   *
   * @example
   * ```ts
   * if (KeylessValidationError.isInstance(err)) console.error(err.code);
   * ```
   */
  public static isInstance(err: unknown): err is KeylessValidationError {
    return (
      err instanceof Error &&
      err.name === "KeylessValidationError" &&
      typeof (err as { code?: unknown }).code === "string"
    );
  }
}
