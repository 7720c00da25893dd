/** Assertions over what the emulators (LocalStack, moto) hold, read back with AWS SDK v3. */

import {
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstancesCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { GetInstanceProfileCommand, GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { parseTrustPolicy, principalIdentifiers, trustNames } from "@keyless/iam-rules";
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

/** Asserts that the role trusts exactly `service` (for example `ec2.amazonaws.com`). */
export async function assertRoleTrusts(roleName: string, service: string): Promise<void> {
  const services = await trustedServices(roleName);
  if (services.length !== 1 || services[0] !== service) {
    fail(`role ${roleName} must trust exactly ${service}; it trusts [${services.join(", ")}].`);
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
