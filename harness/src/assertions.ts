/** Assertions over what the emulators (LocalStack, moto) hold, read back with AWS SDK v3. */

import {
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstancesCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { GetInstanceProfileCommand, GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import {
  parseTrustPolicy,
  principalIdentifiers,
  statementLabel,
  type TrustPolicy,
  TrustPolicyError,
  trustNames,
} from "@keyless/iam-rules";
import { localStackClientConfig } from "./localstack";

/** Thrown when what LocalStack holds differs from what the test expects. */
export class LocalStackAssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LocalStackAssertionError";
  }
}

function fail(message: string): never {
  throw new LocalStackAssertionError(message);
}

/**
 * The services a role's trust policy names for `sts:AssumeRole` (conditions aside: they depend on the request), read
 * back from IAM and judged by iam-rules' one trust evaluation.
 */
export async function trustedServices(roleName: string): Promise<string[]> {
  const iam = new IAMClient(localStackClientConfig());
  const got = await iam.send(new GetRoleCommand({ RoleName: roleName }));
  const policy = parseTrustPolicy(got.Role?.AssumeRolePolicyDocument ?? "{}");
  const named = policy.statements.flatMap((s) => principalIdentifiers(s.principal, "Service"));
  return [...new Set(named)].filter((service) => trustNames(policy, { service }, "sts:AssumeRole"));
}

/** What {@link assertRoleTrusts} expects of a role's trust besides the service it names. */
export interface ExpectedTrust {
  /**
   * The actions the service may call on the role, compared as a set (case-insensitively, as IAM reads actions).
   * @default ["sts:AssumeRole"]
   */
  readonly actions?: readonly string[];
  /**
   * The conditions each statement carries, as IAM's `Condition` block, for example
   * `{ StringEquals: { "aws:SourceAccount": "111122223333" } }`: compared as sets of operator, key and values.
   * @default - No condition.
   */
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** `Operator key=[values]`, values sorted: one condition as a comparable text. */
const conditionText = (c: { operator: string; key: string; values: readonly string[] }): string =>
  `${c.operator} ${c.key.toLowerCase()}=${JSON.stringify([...c.values].sort())}`;

/**
 * Where a trust policy differs from one that lets exactly `service` assume the role for `expected.actions` under
 * `expected.conditions`: one line per difference, never a condition's value. Read with iam-rules' trust module.
 */
function trustDifferences(document: string, service: string, expected: ExpectedTrust = {}): string[] {
  let policy: TrustPolicy;
  try {
    policy = parseTrustPolicy(document);
  } catch (err) {
    return [err instanceof TrustPolicyError ? err.message : "the trust policy could not be read"];
  }
  const out: string[] = policy.duplicates.map(
    (d) => `${d.path} writes \`${d.member}\` twice (IAM keeps only the last)`,
  );
  const actions = [...new Set((expected.actions ?? ["sts:AssumeRole"]).map((a) => a.toLowerCase()))].sort();
  const conditions = parseTrustPolicy({
    Statement: { Effect: "Allow", Principal: "*", Action: "*", Condition: expected.conditions ?? {} },
  }).statements[0]!.conditions.map(conditionText);
  for (const s of policy.statements) {
    const at = statementLabel(s);
    if (s.effect !== "Allow") out.push(`${at} is a Deny`);
    if (s.notPrincipal !== undefined) out.push(`${at} has a NotPrincipal (it names everyone it does not list)`);
    const block = s.principal ?? s.notPrincipal;
    if (block === "*") out.push(`${at} names every principal ("*")`);
    else if (block !== undefined) {
      for (const [type, ids] of Object.entries(block)) {
        for (const id of ids) {
          const wanted = type.toLowerCase() === "service" && id.toLowerCase() === service.toLowerCase();
          if (!wanted) out.push(`${at} names ${type} ${JSON.stringify(id)}`);
        }
      }
    }
    if (s.notActions !== undefined) out.push(`${at} has a NotAction (it allows every other action)`);
    const got = [...new Set((s.actions ?? []).map((a) => a.toLowerCase()))].sort();
    if (s.actions !== undefined && got.join() !== actions.join()) {
      out.push(`${at} allows [${got.join(", ")}], not [${actions.join(", ")}]`);
    }
    const have = s.conditions.map(conditionText);
    const extra = s.conditions.filter((c) => !conditions.includes(conditionText(c)));
    const missing = conditions.filter((c) => !have.includes(c)).map((c) => c.slice(0, c.indexOf("=")));
    if (extra.length > 0) {
      out.push(`${at} has conditions not expected: ${extra.map((c) => `${c.operator} ${c.key}`).join(", ")}`);
    }
    if (missing.length > 0) out.push(`${at} lacks the expected conditions ${missing.join(", ")}`);
  }
  // And by iam-rules' evaluation: the service is named for every expected action.
  for (const action of actions) {
    if (!trustNames(policy, { service }, action)) out.push(`no statement lets ${service} call ${action}`);
  }
  return out;
}

/**
 * Asserts that the role trusts exactly `service` (for example `ec2.amazonaws.com`): its whole trust policy, as IAM
 * holds it, is Allow statements whose only principal is that service, for exactly `expected.actions`, each with
 * exactly `expected.conditions`. Anything more fails: another principal of any kind (`{"AWS": "*"}`, an account, a
 * federated provider, another service, `"*"`), a `NotPrincipal` or `NotAction`, a Deny, a condition not expected, a
 * member written twice. The document is read and judged by iam-rules' trust module (`parseTrustPolicy`,
 * `trustNames`). The message lists every difference, naming statements by Sid or index; never a condition's value.
 *
 * @param roleName - the role's name
 * @param service - the service principal, for example `ec2.amazonaws.com`
 * @param expected - the actions and conditions the trust holds @default - `sts:AssumeRole`, no condition
 * @throws {@link LocalStackAssertionError} when the trust differs.
 * @example
 * ```ts
 * await assertRoleTrusts(roleName, "ec2.amazonaws.com");
 * await assertRoleTrusts(podRole, "pods.eks.amazonaws.com", { actions: ["sts:AssumeRole", "sts:TagSession"] });
 * await assertRoleTrusts(taskRole, "ecs-tasks.amazonaws.com", {
 *   conditions: { StringEquals: { "aws:SourceAccount": "000000000000" } },
 * });
 * ```
 */
export async function assertRoleTrusts(roleName: string, service: string, expected: ExpectedTrust = {}): Promise<void> {
  const iam = new IAMClient(localStackClientConfig());
  const got = await iam.send(new GetRoleCommand({ RoleName: roleName }));
  const differences = trustDifferences(got.Role?.AssumeRolePolicyDocument ?? "{}", service, expected);
  if (differences.length > 0) {
    fail(`role ${roleName} must trust exactly ${service}: ${differences.join("; ")}.`);
  }
}

/** Asserts that the instance profile holds exactly the role named. */
export async function assertProfileHoldsRole(profileName: string, roleName: string): Promise<void> {
  const iam = new IAMClient(localStackClientConfig());
  const got = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: profileName }));
  const roles = (got.InstanceProfile?.Roles ?? []).map((r) => r.RoleName);
  if (roles.length !== 1 || roles[0] !== roleName) {
    fail(`instance profile ${profileName} must hold exactly role ${roleName}; it holds [${roles.join(", ")}].`);
  }
}

/** The profile name currently associated with an instance, or undefined. */
export async function associatedProfile(instanceId: string): Promise<string | undefined> {
  const ec2 = new EC2Client(localStackClientConfig());
  const got = await ec2.send(
    new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: "instance-id", Values: [instanceId] }] }),
  );
  const a = got.IamInstanceProfileAssociations?.find((x) => x.State === "associated");
  return a?.IamInstanceProfile?.Arn?.split("/").pop();
}

/** Asserts that the instance is associated with the profile named. */
export async function assertInstanceProfileAssociation(instanceId: string, profileName: string): Promise<void> {
  const actual = await associatedProfile(instanceId);
  if (actual !== profileName) {
    fail(`instance ${instanceId} must be associated with instance profile ${profileName}; it has ${actual ?? "none"}.`);
  }
}

/** Asserts the instance's metadata options (IMDS): at least the fields given must match. */
export async function assertMetadataOptions(
  instanceId: string,
  expected: {
    httpTokens?: string;
    httpEndpoint?: string;
    httpPutResponseHopLimit?: number;
    instanceMetadataTags?: string;
  },
): Promise<void> {
  const ec2 = new EC2Client(localStackClientConfig());
  const got = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const m = got.Reservations?.[0]?.Instances?.[0]?.MetadataOptions;
  const actual: Record<string, unknown> = {
    httpTokens: m?.HttpTokens,
    httpEndpoint: m?.HttpEndpoint,
    httpPutResponseHopLimit: m?.HttpPutResponseHopLimit,
    instanceMetadataTags: m?.InstanceMetadataTags,
  };
  const wrong = Object.entries(expected).filter(([k, v]) => v !== undefined && actual[k] !== v);
  if (wrong.length > 0) {
    fail(
      `instance ${instanceId} metadata options: ${wrong.map(([k, v]) => `${k} must be ${v}, is ${actual[k]}`).join("; ")}.`,
    );
  }
}
