import type { FindingKind } from "./types";

/**
 * The compliance controls each keyless-aws policy covers, the one table the policy pack's metadata, its README and
 * `keyless-scan`'s SARIF rules read. It lives in the scanner because the scanner must not depend on the pack (the pack
 * depends on the scanner), and because the SARIF report is written where only the scanner's own files are installed
 * (the pre-commit hook installs the root package without @keyless/iam-rules).
 *
 * Every id was looked up in the framework's own source (not guessed):
 * - AWS Foundational Security Best Practices: Security Hub CSPM control ids (`EC2.8`, `IAM.1`, ...), as the Security
 *   Hub control reference and Prowler's `aws_foundational_security_best_practices_aws.json` list them.
 * - CIS Amazon Web Services Foundations Benchmark v5.0.0 (the newest version Security Hub CSPM runs): recommendation
 *   numbers, as Prowler's `cis_5.0_aws.json` lists them.
 * - Prowler: the check ids in `prowler/providers/aws/services/**`.
 * - Checkov: the check ids in `checkov/terraform/checks/**`.
 */
export interface PolicyControls {
  /** AWS Foundational Security Best Practices (Security Hub CSPM) control ids. */
  readonly awsFsbp: readonly string[];
  /** CIS AWS Foundations Benchmark v5.0.0 recommendation numbers. */
  readonly cisAws: readonly string[];
  /** Prowler check ids for the same check. */
  readonly prowler: readonly string[];
  /** Checkov check ids for the same check. */
  readonly checkov: readonly string[];
}

/** The CIS AWS Foundations Benchmark version the `cisAws` numbers are from. */
export const CIS_AWS_VERSION = "5.0.0";

/** The policies of the keyless-aws pack, in its reporting order. */
export const keylessPolicyNames = [
  "no-static-credentials-in-user-data",
  "no-static-credentials-in-environment",
  "no-iam-access-keys",
  "imdsv2-required",
  "instance-profile-required",
  "role-trust-matches-use",
  "web-identity-trust-scoped",
  "least-privilege",
  "exemptions-in-use",
] as const;

/** One of {@link keylessPolicyNames}. */
export type KeylessPolicyName = (typeof keylessPolicyNames)[number];

/**
 * The controls of each keyless-aws policy. An empty list means the framework has no control for that check (CIS and
 * the AWS standard have none for credentials in user data, for instance).
 *
 * @example
 * ```ts
 * policyControls["imdsv2-required"].awsFsbp; // ["EC2.8", "AutoScaling.3"]
 * ```
 */
export const policyControls: Readonly<Record<KeylessPolicyName, PolicyControls>> = {
  "no-static-credentials-in-user-data": {
    awsFsbp: [],
    cisAws: [],
    prowler: [
      "ec2_instance_secrets_user_data",
      "ec2_launch_template_no_secrets",
      "autoscaling_find_secrets_ec2_launch_configuration",
    ],
    checkov: ["CKV_AWS_46"],
  },
  "no-static-credentials-in-environment": {
    awsFsbp: ["ECS.8", "CodeBuild.2"],
    cisAws: [],
    prowler: [
      "awslambda_function_no_secrets_in_variables",
      "ecs_task_definitions_no_environment_secrets",
      "batch_job_definition_no_secrets",
      "codebuild_project_no_secrets_in_variables",
    ],
    checkov: ["CKV_AWS_45"],
  },
  "no-iam-access-keys": {
    awsFsbp: ["IAM.3"],
    cisAws: ["1.13"],
    prowler: ["iam_rotate_access_key_90_days", "iam_user_no_setup_initial_access_key"],
    checkov: [],
  },
  "imdsv2-required": {
    awsFsbp: ["EC2.8", "AutoScaling.3"],
    cisAws: ["5.7"],
    prowler: [
      "ec2_instance_imdsv2_enabled",
      "ec2_launch_template_imdsv2_required",
      "autoscaling_group_launch_configuration_requires_imdsv2",
    ],
    checkov: ["CKV_AWS_79", "CKV_AWS_341"],
  },
  "instance-profile-required": {
    awsFsbp: [],
    cisAws: ["1.17"],
    prowler: ["ec2_instance_profile_attached"],
    checkov: ["CKV2_AWS_41"],
  },
  "role-trust-matches-use": { awsFsbp: [], cisAws: [], prowler: [], checkov: [] },
  "web-identity-trust-scoped": { awsFsbp: [], cisAws: [], prowler: [], checkov: ["CKV_AWS_358", "CKV_AWS_393"] },
  "least-privilege": {
    awsFsbp: ["IAM.1", "IAM.21"],
    cisAws: ["1.15"],
    prowler: [
      "iam_aws_attached_policy_no_administrative_privileges",
      "iam_inline_policy_no_administrative_privileges",
      "iam_policy_allows_privilege_escalation",
      "iam_inline_policy_allows_privilege_escalation",
    ],
    checkov: ["CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_274", "CKV_AWS_286"],
  },
  // advisory: lists the exemptions in use; it checks nothing a framework names
  "exemptions-in-use": { awsFsbp: [], cisAws: [], prowler: [], checkov: [] },
};

/**
 * The controls as tags, `<framework>:<id>` (`aws-fsbp:EC2.8`, `cis-aws-5.0.0:5.7`, `prowler:…`, `checkov:…`): the
 * pack's policy `tags` and the SARIF rules' `properties.tags` carry these.
 */
export function controlTags(controls: PolicyControls): string[] {
  return [
    ...controls.awsFsbp.map((id) => `aws-fsbp:${id}`),
    ...controls.cisAws.map((id) => `cis-aws-${CIS_AWS_VERSION}:${id}`),
    ...controls.prowler.map((id) => `prowler:${id}`),
    ...controls.checkov.map((id) => `checkov:${id}`),
  ];
}

/** The union of several policies' controls, each id once, in order (a SARIF rule the check of several policies shares). */
export function mergeControls(controls: readonly PolicyControls[]): PolicyControls {
  const merged = (pick: (c: PolicyControls) => readonly string[]) => [...new Set(controls.flatMap(pick))];
  return {
    awsFsbp: merged((c) => c.awsFsbp),
    cisAws: merged((c) => c.cisAws),
    prowler: merged((c) => c.prowler),
    checkov: merged((c) => c.checkov),
  };
}

/**
 * The pack policies whose check each scanner finding kind is: a key in user data or in environment variables is what
 * the two credential policies refuse; an unscoped web-identity trust is `web-identity-trust-scoped`'s finding.
 */
export const findingKindPolicies: Readonly<Record<FindingKind, readonly KeylessPolicyName[]>> = {
  "aws-access-key-id": ["no-static-credentials-in-user-data", "no-static-credentials-in-environment"],
  "aws-secret-access-key": ["no-static-credentials-in-user-data", "no-static-credentials-in-environment"],
  "aws-session-token": ["no-static-credentials-in-user-data", "no-static-credentials-in-environment"],
  "undecodable-layer": [],
  "web-identity-trust-unscoped": ["web-identity-trust-scoped"],
  "oidc-provider-unused": [],
};

/** The controls of a SARIF rule (a finding kind): those of the pack policies that make the same check. */
export function findingKindControls(kind: FindingKind): PolicyControls {
  return mergeControls(findingKindPolicies[kind].map((p) => policyControls[p]));
}
