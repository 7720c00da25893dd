/** Assertions over what the emulators (LocalStack, moto) hold, read back with AWS SDK v3. */

import { paginateDescribeLogGroups } from "@aws-sdk/client-cloudwatch-logs";
import { paginateListTables } from "@aws-sdk/client-dynamodb";
import {
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstancesCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { ListTaskDefinitionsCommand } from "@aws-sdk/client-ecs";
import {
  GetInstanceProfileCommand,
  GetRoleCommand,
  IAMClient,
  ListInstanceProfilesCommand,
  ListRolesCommand,
} from "@aws-sdk/client-iam";
import { paginateListFunctions } from "@aws-sdk/client-lambda";
import { paginateListHostedZones } from "@aws-sdk/client-route-53";
import { paginateListBuckets } from "@aws-sdk/client-s3";
import { localStackClientConfig, localStackRegion } from "./localstack";
import { AwsClients, defaultEndpoints } from "./provider/clients";
import { RESOURCE_HANDLERS } from "./provider/provider";
import type { StateResource } from "./stack";

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

/** The services a role's trust policy lets call sts:AssumeRole. */
export async function trustedServices(roleName: string): Promise<string[]> {
  const iam = new IAMClient(localStackClientConfig());
  const got = await iam.send(new GetRoleCommand({ RoleName: roleName }));
  const doc = JSON.parse(decodeURIComponent(got.Role?.AssumeRolePolicyDocument ?? "{}")) as {
    Statement?: Array<{ Effect?: string; Action?: string | string[]; Principal?: { Service?: string | string[] } }>;
  };
  const out: string[] = [];
  for (const s of doc.Statement ?? []) {
    const actions = ([] as string[]).concat(s.Action ?? []);
    if (s.Effect === "Allow" && actions.some((a) => a === "sts:AssumeRole" || a === "sts:*")) {
      out.push(...([] as string[]).concat(s.Principal?.Service ?? []));
    }
  }
  return out;
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

/** A resource of a destroyed stack that the emulator still holds. */
export interface Leftover {
  readonly type: string;
  readonly id: string;
  readonly urn: string;
}

/** What one listing of an emulator yields: the ids it holds of one resource type. */
type Lister = (clients: AwsClients, pageSize: number | undefined) => Promise<Set<string>>;

async function collect<P>(pages: AsyncIterable<P>, ids: (page: P) => ReadonlyArray<string | undefined>) {
  const out = new Set<string>();
  for await (const page of pages) for (const id of ids(page)) if (id) out.add(id);
  return out;
}

/**
 * Types found only by listing their emulator, every page of it, by the id the provider gives them: never through
 * the provider's own read handlers, so a handler bug cannot hide a leftover.
 */
const LISTED_ONLY: Readonly<Record<string, Lister>> = {
  "aws:lambda/function:Function": (c, pageSize) =>
    collect(paginateListFunctions({ client: c.lambda, pageSize }, {}), (p) =>
      (p.Functions ?? []).map((f) => f.FunctionName),
    ),
  "aws:dynamodb/table:Table": (c, pageSize) =>
    collect(paginateListTables({ client: c.dynamodb, pageSize }, {}), (p) => p.TableNames ?? []),
  "aws:s3/bucket:Bucket": (c, pageSize) =>
    collect(paginateListBuckets({ client: c.s3, pageSize }, {}), (p) => (p.Buckets ?? []).map((b) => b.Name)),
  "aws:route53/zone:Zone": (c, pageSize) =>
    collect(paginateListHostedZones({ client: c.route53, pageSize }, {}), (p) =>
      (p.HostedZones ?? []).map((z) => z.Id?.replace(/^\/hostedzone\//, "")),
    ),
  "aws:cloudwatch/logGroup:LogGroup": (c, pageSize) =>
    collect(paginateDescribeLogGroups({ client: c.logs, pageSize }, {}), (p) =>
      (p.logGroups ?? []).map((g) => g.logGroupName),
    ),
};

/** Options of {@link findLeftovers}. */
export interface FindLeftoversOptions {
  /**
   * Items per page when listing Lambda functions, DynamoDB tables, S3 buckets, Route 53 zones and log groups; tests use a small
   * one to prove every page is read.
   * @default - Each service's own page size.
   */
  readonly pageSize?: number;
}

/**
 * The resources of `snapshot` (taken with `TestStack.resources()` before destroy) that the emulators still hold.
 * Lambda functions, DynamoDB tables, S3 buckets, Route 53 zones and CloudWatch log groups are found by listing their
 * emulator (every page);
 * other types are read back through their type's handler, and IAM roles, instance profiles and EC2 instances are also
 * found by listing (ECS task definitions too: any ACTIVE revision of a family the stack held). Types in `except` are
 * skipped.
 */
export async function findLeftovers(
  snapshot: readonly StateResource[],
  except: readonly string[] = [],
  options: FindLeftoversOptions = {},
): Promise<Leftover[]> {
  const clients = new AwsClients(localStackRegion(), defaultEndpoints());
  const ctx = { clients, region: localStackRegion(), warn: async () => undefined };
  const custom = snapshot.filter((r) => r.custom && r.id && !r.type.startsWith("pulumi:") && !except.includes(r.type));
  const found: Leftover[] = [];
  for (const [type, list] of Object.entries(LISTED_ONLY)) {
    const ofType = custom.filter((r) => r.type === type);
    if (ofType.length === 0) continue;
    const held = await list(clients, options.pageSize);
    for (const r of ofType) if (held.has(r.id as string)) found.push({ type, id: r.id as string, urn: r.urn });
  }
  for (const r of custom) {
    if (r.type in LISTED_ONLY) continue;
    const h = RESOURCE_HANDLERS.get(r.type);
    if (!h) continue;
    const still = await h.read(ctx, r.id as string, { ...(r.outputs ?? {}) });
    if (still) found.push({ type: r.type, id: r.id as string, urn: r.urn });
  }
  // Listing, independent of the handlers' reads.
  const ids = new Set(custom.map((r) => r.id));
  const iam = clients.iam;
  const roles = (await iam.send(new ListRolesCommand({ MaxItems: 1000 }))).Roles ?? [];
  const profiles = (await iam.send(new ListInstanceProfilesCommand({ MaxItems: 1000 }))).InstanceProfiles ?? [];
  const instances =
    (await clients.ec2.send(new DescribeInstancesCommand({}))).Reservations?.flatMap((x) => x.Instances ?? []) ?? [];
  const listed = [
    ...roles.filter((x) => ids.has(x.RoleName)).map((x) => ({ type: "aws:iam/role:Role", id: x.RoleName as string })),
    ...profiles
      .filter((x) => ids.has(x.InstanceProfileName))
      .map((x) => ({ type: "aws:iam/instanceProfile:InstanceProfile", id: x.InstanceProfileName as string })),
    ...instances
      .filter((x) => ids.has(x.InstanceId) && x.State?.Name !== "terminated")
      .map((x) => ({ type: "aws:ec2/instance:Instance", id: x.InstanceId as string })),
  ];
  const families = [
    ...new Set(
      custom
        .filter((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition")
        .map((r) => (r.outputs?.["family"] as string | undefined) ?? (r.id as string)),
    ),
  ];
  for (const familyPrefix of families) {
    const listedArns = await clients.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix, status: "ACTIVE" }));
    for (const arn of listedArns.taskDefinitionArns ?? []) {
      // familyPrefix matches by prefix: keep only this exact family's revisions.
      const ofFamily = arn.replace(/:\d+$/, "").endsWith(`/${familyPrefix}`);
      if (ofFamily && !found.some((f) => f.id === familyPrefix)) {
        listed.push({ type: "aws:ecs/taskDefinition:TaskDefinition", id: arn });
      }
    }
  }
  for (const l of listed) {
    if (!found.some((f) => f.id === l.id)) found.push({ ...l, urn: custom.find((c) => c.id === l.id)?.urn ?? "" });
  }
  return found;
}

/** Asserts that LocalStack holds none of the snapshot's resources. */
export async function assertNoLeftovers(
  snapshot: readonly StateResource[],
  except: readonly string[] = [],
): Promise<void> {
  const left = await findLeftovers(snapshot, except);
  if (left.length > 0) {
    fail(
      `the emulators still hold ${left.length} resource(s) of the destroyed stack: ${left.map((l) => `${l.type} ${l.id}`).join(", ")}`,
    );
  }
}
