/**
 * What a destroyed stack left behind, found by listing the emulators page by page, never through the stand-in
 * provider's own read handlers: a bug in a handler's delete or read cannot hide its own leftover.
 */
import { paginateDescribeLogGroups } from "@aws-sdk/client-cloudwatch-logs";
import { paginateListTables } from "@aws-sdk/client-dynamodb";
import { paginateDescribeInstances, paginateDescribeLaunchTemplates } from "@aws-sdk/client-ec2";
import { paginateListTaskDefinitions } from "@aws-sdk/client-ecs";
import {
  ListInstanceProfileTagsCommand,
  ListOpenIDConnectProvidersCommand,
  ListOpenIDConnectProviderTagsCommand,
  ListRoleTagsCommand,
  paginateListAccessKeys,
  paginateListAttachedRolePolicies,
  paginateListInstanceProfiles,
  paginateListPolicies,
  paginateListRolePolicies,
  paginateListRoles,
  paginateListUserPolicies,
  paginateListUsers,
} from "@aws-sdk/client-iam";
import { paginateListFunctions } from "@aws-sdk/client-lambda";
import { paginateListHostedZones } from "@aws-sdk/client-route-53";
import { paginateListBuckets } from "@aws-sdk/client-s3";
import { KEYLESS_COMPONENT_TAG, KEYLESS_STACK_TAG } from "@keyless/iam-rules";
import { LocalStackAssertionError } from "./assertions";
import { localStackRegion } from "./localstack";
import { AwsClients, defaultEndpoints } from "./provider/clients";
import { isNotFound } from "./provider/properties";
import type { StateResource } from "./stack";

/** A resource of a destroyed stack that the emulator still holds. */
export interface Leftover {
  readonly type: string;
  readonly id: string;
  /** Its URN in the snapshot; empty for a resource no snapshot named, found by its `keyless:stack` tag. */
  readonly urn: string;
  /** The `keyless:component` tag of a resource found by tag. @default - None: found through the snapshot. */
  readonly component?: string;
}

/** Options of {@link findLeftovers}. */
export interface FindLeftoversOptions {
  /**
   * Items per page when listing; tests use a small one to prove every page is read.
   * @default - Each service's own page size.
   */
  readonly pageSize?: number;
  /**
   * The stack's `keyless:stack` tag value (`<organization>/<project>/<stack>`): every resource carrying it is also
   * reported, so a resource whose create was interrupted, which no state holds, is still found. See
   * {@link findTaggedResources} for the types listed.
   * @default - Only the snapshot's resources are looked for.
   */
  readonly stackTag?: string;
}

/**
 * The ids (as the provider gives them) of `resources`, all of one type, that the emulator still lists; a map where
 * what is held is better named otherwise (the ACTIVE revision of a task definition family).
 */
type Lister = (
  clients: AwsClients,
  resources: readonly StateResource[],
  pageSize?: number,
) => Promise<ReadonlySet<string> | ReadonlyMap<string, string>>;

async function collect<P>(pages: AsyncIterable<P>, ids: (page: P) => ReadonlyArray<string | undefined>) {
  const out = new Set<string>();
  for await (const page of pages) for (const id of ids(page)) if (id) out.add(id);
  return out;
}

/** The same, for a listing scoped to an owner (a role, a user) that may itself be gone: then it holds nothing. */
async function collectOwned<P>(pages: AsyncIterable<P>, ids: (page: P) => ReadonlyArray<string | undefined>) {
  try {
    return await collect(pages, ids);
  } catch (err) {
    if (isNotFound(err)) return new Set<string>();
    throw err;
  }
}

const output = (r: StateResource, key: string): string | undefined => {
  const v = r.outputs?.[key];
  return typeof v === "string" && v !== "" ? v : undefined;
};

/** `owner:name` ids (RolePolicy, UserPolicy): the owners the snapshot names. */
const owners = (rs: readonly StateResource[]) => [...new Set(rs.map((r) => String(r.id).split(":")[0] as string))];

/** Inline policies (RolePolicy, UserPolicy, id `owner:name`): listed by each owner the snapshot names. */
function inlinePolicies(
  list: (c: AwsClients, owner: string, pageSize?: number) => AsyncIterable<{ PolicyNames?: string[] }>,
): Lister {
  return async (c, rs, pageSize) => {
    const held = new Set<string>();
    for (const owner of owners(rs)) {
      const names = await collectOwned(list(c, owner, pageSize), (p) => p.PolicyNames ?? []);
      for (const n of names) held.add(`${owner}:${n}`);
    }
    return held;
  };
}

/** Every resource type the stand-in provider implements, and how its emulator lists it. */
const LISTERS: Readonly<Record<string, Lister>> = {
  "aws:iam/role:Role": (c, _rs, pageSize) =>
    collect(paginateListRoles({ client: c.iam, pageSize }, {}), (p) => (p.Roles ?? []).map((x) => x.RoleName)),
  "aws:iam/instanceProfile:InstanceProfile": (c, _rs, pageSize) =>
    collect(paginateListInstanceProfiles({ client: c.iam, pageSize }, {}), (p) =>
      (p.InstanceProfiles ?? []).map((x) => x.InstanceProfileName),
    ),
  "aws:iam/policy:Policy": (c, _rs, pageSize) =>
    collect(paginateListPolicies({ client: c.iam, pageSize }, { Scope: "Local" }), (p) =>
      (p.Policies ?? []).map((x) => x.Arn),
    ),
  // IAM does not page this listing: one call returns every provider of the account.
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider": async (c) =>
    new Set(
      ((await c.iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ?? []).flatMap((p) =>
        p.Arn ? [p.Arn] : [],
      ),
    ),
  "aws:iam/user:User": (c, _rs, pageSize) =>
    collect(paginateListUsers({ client: c.iam, pageSize }, {}), (p) => (p.Users ?? []).map((x) => x.UserName)),
  "aws:iam/accessKey:AccessKey": async (c, rs, pageSize) => {
    const held = new Set<string>();
    for (const UserName of new Set(rs.map((r) => output(r, "user")).filter((u) => u !== undefined))) {
      const keys = await collectOwned(paginateListAccessKeys({ client: c.iam, pageSize }, { UserName }), (p) =>
        (p.AccessKeyMetadata ?? []).map((k) => k.AccessKeyId),
      );
      for (const k of keys) held.add(k);
    }
    return held;
  },
  "aws:iam/rolePolicy:RolePolicy": inlinePolicies((c, RoleName, pageSize) =>
    paginateListRolePolicies({ client: c.iam, pageSize }, { RoleName }),
  ),
  "aws:iam/userPolicy:UserPolicy": inlinePolicies((c, UserName, pageSize) =>
    paginateListUserPolicies({ client: c.iam, pageSize }, { UserName }),
  ),
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": async (c, rs, pageSize) => {
    // The id is generated; an attachment is held while its role still lists its policy.
    const held = new Set<string>();
    const byRole = new Map<string, StateResource[]>();
    for (const r of rs) {
      const role = output(r, "role");
      if (role) byRole.set(role, [...(byRole.get(role) ?? []), r]);
    }
    for (const [RoleName, attachments] of byRole) {
      const arns = await collectOwned(
        paginateListAttachedRolePolicies({ client: c.iam, pageSize }, { RoleName }),
        (p) => (p.AttachedPolicies ?? []).map((x) => x.PolicyArn),
      );
      for (const a of attachments) if (arns.has(output(a, "policyArn") ?? "")) held.add(String(a.id));
    }
    return held;
  },
  "aws:ec2/instance:Instance": (c, _rs, pageSize) =>
    collect(paginateDescribeInstances({ client: c.ec2, pageSize: pageSize && Math.max(pageSize, 5) }, {}), (p) =>
      (p.Reservations ?? [])
        .flatMap((x) => x.Instances ?? [])
        .filter((i) => i.State?.Name !== "terminated")
        .map((i) => i.InstanceId),
    ),
  "aws:ec2/launchTemplate:LaunchTemplate": (c, _rs, pageSize) =>
    collect(paginateDescribeLaunchTemplates({ client: c.ec2, pageSize: pageSize && Math.max(pageSize, 5) }, {}), (p) =>
      (p.LaunchTemplates ?? []).map((t) => t.LaunchTemplateId),
    ),
  "aws:ecs/taskDefinition:TaskDefinition": async (c, rs, pageSize) => {
    // A family is held while any revision of exactly that family is ACTIVE (the prefix filter matches more).
    const held = new Map<string, string>();
    for (const r of rs) {
      const family = output(r, "family") ?? String(r.id);
      const arns = await collect(
        paginateListTaskDefinitions({ client: c.ecs, pageSize }, { familyPrefix: family, status: "ACTIVE" }),
        (p) => p.taskDefinitionArns ?? [],
      );
      const active = [...arns].find((arn) => arn.replace(/:\d+$/, "").endsWith(`/${family}`));
      if (active) held.set(String(r.id), active);
    }
    return held;
  },
  "aws:lambda/function:Function": (c, _rs, pageSize) =>
    collect(paginateListFunctions({ client: c.lambda, pageSize }, {}), (p) =>
      (p.Functions ?? []).map((f) => f.FunctionName),
    ),
  "aws:dynamodb/table:Table": (c, _rs, pageSize) =>
    collect(paginateListTables({ client: c.dynamodb, pageSize }, {}), (p) => p.TableNames ?? []),
  "aws:s3/bucket:Bucket": (c, _rs, pageSize) =>
    collect(paginateListBuckets({ client: c.s3, pageSize }, {}), (p) => (p.Buckets ?? []).map((b) => b.Name)),
  "aws:route53/zone:Zone": (c, _rs, pageSize) =>
    collect(paginateListHostedZones({ client: c.route53, pageSize }, {}), (p) =>
      (p.HostedZones ?? []).map((z) => z.Id?.replace(/^\/hostedzone\//, "")),
    ),
  "aws:cloudwatch/logGroup:LogGroup": (c, _rs, pageSize) =>
    collect(paginateDescribeLogGroups({ client: c.logs, pageSize }, {}), (p) =>
      (p.logGroups ?? []).map((g) => g.logGroupName),
    ),
};

/** One resource found by its ownership tags. */
export interface TaggedResource {
  readonly type: string;
  /** The id the provider gives it (role and profile name, OIDC provider ARN, instance and launch template id). */
  readonly id: string;
  /** Its `keyless:component` tag. */
  readonly component: string;
}

type TagPairs = ReadonlyArray<{ Key?: string; Value?: string }> | undefined;

function tagged(tags: TagPairs, stackTag: string): string | undefined {
  if (!(tags ?? []).some((t) => t.Key === KEYLESS_STACK_TAG && t.Value === stackTag)) return undefined;
  return (tags ?? []).find((t) => t.Key === KEYLESS_COMPONENT_TAG)?.Value ?? "";
}

/** IAM lists roles, profiles and OIDC providers without their tags: one tag read each, gone ones skipped. */
async function iamTagged(
  type: string,
  names: Iterable<string>,
  tagsOf: (name: string) => Promise<TagPairs>,
  stackTag: string,
): Promise<TaggedResource[]> {
  const out: TaggedResource[] = [];
  for (const id of names) {
    let tags: TagPairs;
    try {
      tags = await tagsOf(id);
    } catch (err) {
      if (isNotFound(err)) continue;
      throw err;
    }
    const component = tagged(tags, stackTag);
    if (component !== undefined) out.push({ type, id, component });
  }
  return out;
}

/**
 * Every resource in the emulators tagged `keyless:stack` = `stackTag`, whatever any state says: IAM roles, instance
 * profiles and OIDC providers (each listed, then its tags read), EC2 instances not terminated and launch templates
 * (filtered by tag server-side). The resource types keyless components tag that the emulators serve. Inline
 * policies carry no tags: they go with their role.
 *
 * @example
 * const orphans = await findTaggedResources("organization/keyless-test/dev");
 */
export async function findTaggedResources(
  stackTag: string,
  options: Pick<FindLeftoversOptions, "pageSize"> = {},
): Promise<TaggedResource[]> {
  const c = new AwsClients(localStackRegion(), defaultEndpoints());
  const { pageSize } = options;
  const roles = await collect(paginateListRoles({ client: c.iam, pageSize }, {}), (p) =>
    (p.Roles ?? []).map((x) => x.RoleName),
  );
  const profiles = await collect(paginateListInstanceProfiles({ client: c.iam, pageSize }, {}), (p) =>
    (p.InstanceProfiles ?? []).map((x) => x.InstanceProfileName),
  );
  const oidc = ((await c.iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ?? []).flatMap(
    (p) => (p.Arn ? [p.Arn] : []),
  );
  const filter = { Filters: [{ Name: `tag:${KEYLESS_STACK_TAG}`, Values: [stackTag] }] };
  const ec2Page = pageSize && Math.max(pageSize, 5);
  const instances: TaggedResource[] = [];
  for await (const page of paginateDescribeInstances({ client: c.ec2, pageSize: ec2Page }, filter)) {
    for (const i of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
      const component = tagged(i.Tags, stackTag);
      if (i.InstanceId && i.State?.Name !== "terminated" && component !== undefined) {
        instances.push({ type: "aws:ec2/instance:Instance", id: i.InstanceId, component });
      }
    }
  }
  const templates: TaggedResource[] = [];
  for await (const page of paginateDescribeLaunchTemplates({ client: c.ec2, pageSize: ec2Page }, filter)) {
    for (const t of page.LaunchTemplates ?? []) {
      const component = tagged(t.Tags, stackTag);
      if (t.LaunchTemplateId && component !== undefined) {
        templates.push({ type: "aws:ec2/launchTemplate:LaunchTemplate", id: t.LaunchTemplateId, component });
      }
    }
  }
  return [
    ...(await iamTagged(
      "aws:iam/role:Role",
      roles,
      async (RoleName) => (await c.iam.send(new ListRoleTagsCommand({ RoleName }))).Tags,
      stackTag,
    )),
    ...(await iamTagged(
      "aws:iam/instanceProfile:InstanceProfile",
      profiles,
      async (InstanceProfileName) =>
        (
          await c.iam.send(new ListInstanceProfileTagsCommand({ InstanceProfileName }))
        ).Tags,
      stackTag,
    )),
    ...(await iamTagged(
      "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
      oidc,
      async (OpenIDConnectProviderArn) =>
        (
          await c.iam.send(new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn }))
        ).Tags,
      stackTag,
    )),
    ...instances,
    ...templates,
  ];
}

/** The resource types {@link findLeftovers} can list. */
export const LISTED_TYPES: readonly string[] = Object.keys(LISTERS);

/**
 * The resources of `snapshot` (taken with `TestStack.resources()` before destroy) that the emulators still hold,
 * found by listing each type's emulator, every page of it, and, with `options.stackTag`, every resource tagged as the
 * stack's that the snapshot does not name (found by {@link findTaggedResources}; `urn` empty). Types in `except` are
 * skipped; a type it cannot list is an error, so nothing is silently left unchecked.
 *
 * @example
 * const held = await t.resources();
 * await t.destroy();
 * assert.deepEqual(await findLeftovers(held), []);
 */
export async function findLeftovers(
  snapshot: readonly StateResource[],
  except: readonly string[] = [],
  options: FindLeftoversOptions = {},
): Promise<Leftover[]> {
  const clients = new AwsClients(localStackRegion(), defaultEndpoints());
  const custom = snapshot.filter((r) => r.custom && r.id && !r.type.startsWith("pulumi:") && !except.includes(r.type));
  const byType = new Map<string, StateResource[]>();
  for (const r of custom) byType.set(r.type, [...(byType.get(r.type) ?? []), r]);
  const found: Leftover[] = [];
  for (const [type, resources] of byType) {
    const list = LISTERS[type];
    if (!list) {
      throw new LocalStackAssertionError(
        `findLeftovers cannot list ${type} in the emulators; pass it in \`except\` or add a lister (harness/src/leftovers.ts).`,
      );
    }
    const held = await list(clients, resources, options.pageSize);
    for (const r of resources) {
      const id = String(r.id);
      if (!held.has(id) || found.some((f) => f.type === type && f.urn === r.urn)) continue;
      found.push({ type, id: held instanceof Map ? (held.get(id) as string) : id, urn: r.urn });
    }
  }
  if (options.stackTag !== undefined) {
    for (const t of await findTaggedResources(options.stackTag, options)) {
      if (except.includes(t.type) || found.some((f) => f.type === t.type && f.id === t.id)) continue;
      found.push({ type: t.type, id: t.id, urn: "", component: t.component });
    }
  }
  return found;
}

/**
 * Asserts that the emulators hold none of the snapshot's resources.
 *
 * @example
 * await assertNoLeftovers(held); // after t.destroy()
 */
export async function assertNoLeftovers(
  snapshot: readonly StateResource[],
  except: readonly string[] = [],
  options: FindLeftoversOptions = {},
): Promise<void> {
  const left = await findLeftovers(snapshot, except, options);
  if (left.length > 0) {
    throw new LocalStackAssertionError(
      `the emulators still hold ${left.length} resource(s) of the destroyed stack: ${left.map((l) => `${l.type} ${l.id}`).join(", ")}`,
    );
  }
}
