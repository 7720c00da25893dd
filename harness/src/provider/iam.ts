/** aws:iam resource types: Role, RolePolicy, RolePolicyAttachment, InstanceProfile, Policy, User, UserPolicy, AccessKey. */
import {
  compact,
  num,
  orNotFound,
  parseJsonDocument,
  prefixedName,
  readTags,
  retagging,
  str,
  tagList,
} from "./properties";
import { iamSdk } from "./sdk";
import type { HandlerContext, Props, ResourceHandler } from "./types";

const NAME = { replaces: true } as const;
const TAGS = {} as const;

function decodeDocument(doc: string | undefined): string | undefined {
  if (doc === undefined) return undefined;
  const parsed = parseJsonDocument(doc);
  // IAM hands documents back URL-encoded; state keeps them as JSON text, as the real provider does.
  return parsed === undefined ? doc : JSON.stringify(JSON.parse(safeDecode(doc)));
}

function safeDecode(s: string): string {
  try {
    JSON.parse(s);
    return s;
  } catch {
    return decodeURIComponent(s);
  }
}

/** Keeps the user's text when it means the same as what AWS returned, so no spurious diff appears. */
function keepText(userText: unknown, awsText: string | undefined): string | undefined {
  if (typeof userText === "string" && awsText !== undefined) {
    const a = parseJsonDocument(userText);
    const b = parseJsonDocument(awsText);
    if (a !== undefined && JSON.stringify(a) === JSON.stringify(b)) return userText;
  }
  return awsText;
}

// ---------------------------------------------------------------- Role

async function readRole(ctx: HandlerContext, id: string, state: Props): Promise<Props | undefined> {
  const got = await orNotFound(ctx.clients.iam.send(new iamSdk.GetRoleCommand({ RoleName: id })));
  const r = got?.Role;
  if (!r) return undefined;
  return compact({
    id: r.RoleName,
    name: r.RoleName,
    arn: r.Arn,
    uniqueId: r.RoleId,
    createDate: r.CreateDate?.toISOString(),
    path: r.Path,
    assumeRolePolicy: keepText(state["assumeRolePolicy"], decodeDocument(r.AssumeRolePolicyDocument)),
    description: r.Description,
    maxSessionDuration: r.MaxSessionDuration ?? 3600,
    permissionsBoundary: r.PermissionsBoundary?.PermissionsBoundaryArn,
    forceDetachPolicies: state["forceDetachPolicies"] ?? false,
    namePrefix: state["namePrefix"],
    ...readTags(r.Tags),
  });
}

const role: ResourceHandler = {
  token: "aws:iam/role:Role",
  service: "iam",
  properties: {
    name: NAME,
    namePrefix: NAME,
    path: { replaces: true, default: "/" },
    assumeRolePolicy: { json: true },
    description: {},
    maxSessionDuration: { default: 3600 },
    permissionsBoundary: {},
    forceDetachPolicies: { default: false },
    tags: TAGS,
  },
  autoName: { property: "name", maxLength: 64 },
  validate(inputs) {
    return inputs["assumeRolePolicy"] === undefined
      ? [{ property: "assumeRolePolicy", reason: "aws:iam/role:Role requires `assumeRolePolicy`." }]
      : [];
  },
  async create(ctx, inputs) {
    const name = str(inputs, "name") as string;
    await ctx.clients.iam.send(
      new iamSdk.CreateRoleCommand({
        RoleName: name,
        Path: str(inputs, "path"),
        AssumeRolePolicyDocument: str(inputs, "assumeRolePolicy"),
        Description: str(inputs, "description"),
        MaxSessionDuration: num(inputs, "maxSessionDuration"),
        PermissionsBoundary: str(inputs, "permissionsBoundary"),
        Tags: tagList(inputs["tags"]),
      }),
    );
    return { id: name, outs: (await readRole(ctx, name, inputs)) ?? {} };
  },
  read: readRole,
  async update(ctx, id, olds, news, changed) {
    const iam = ctx.clients.iam;
    if (changed.includes("assumeRolePolicy")) {
      await iam.send(
        new iamSdk.UpdateAssumeRolePolicyCommand({ RoleName: id, PolicyDocument: str(news, "assumeRolePolicy") }),
      );
    }
    if (changed.includes("description") || changed.includes("maxSessionDuration")) {
      await iam.send(
        new iamSdk.UpdateRoleCommand({
          RoleName: id,
          Description: str(news, "description") ?? "",
          MaxSessionDuration: num(news, "maxSessionDuration"),
        }),
      );
    }
    if (changed.includes("permissionsBoundary")) {
      const pb = str(news, "permissionsBoundary");
      if (pb) await iam.send(new iamSdk.PutRolePermissionsBoundaryCommand({ RoleName: id, PermissionsBoundary: pb }));
      else await iam.send(new iamSdk.DeleteRolePermissionsBoundaryCommand({ RoleName: id }));
    }
    if (changed.includes("tags")) {
      await retagging(
        olds,
        news,
        (Tags) => iam.send(new iamSdk.TagRoleCommand({ RoleName: id, Tags })),
        (TagKeys) => iam.send(new iamSdk.UntagRoleCommand({ RoleName: id, TagKeys })),
      );
    }
    return (await readRole(ctx, id, news)) ?? {};
  },
  async delete(ctx, id, state) {
    const iam = ctx.clients.iam;
    // As the real provider: the role leaves its instance profiles first; policies only with forceDetachPolicies.
    const profiles = await orNotFound(iam.send(new iamSdk.ListInstanceProfilesForRoleCommand({ RoleName: id })));
    for (const p of profiles?.InstanceProfiles ?? []) {
      await orNotFound(
        iam.send(
          new iamSdk.RemoveRoleFromInstanceProfileCommand({ RoleName: id, InstanceProfileName: p.InstanceProfileName }),
        ),
      );
    }
    if (state["forceDetachPolicies"] === true) {
      const attached = await iam.send(new iamSdk.ListAttachedRolePoliciesCommand({ RoleName: id }));
      for (const p of attached.AttachedPolicies ?? []) {
        await iam.send(new iamSdk.DetachRolePolicyCommand({ RoleName: id, PolicyArn: p.PolicyArn }));
      }
      const inline = await iam.send(new iamSdk.ListRolePoliciesCommand({ RoleName: id }));
      for (const PolicyName of inline.PolicyNames ?? []) {
        await iam.send(new iamSdk.DeleteRolePolicyCommand({ RoleName: id, PolicyName }));
      }
    }
    await orNotFound(iam.send(new iamSdk.DeleteRoleCommand({ RoleName: id })));
  },
};

// ---------------------------------------------------------------- RolePolicy

function splitOnce(id: string, sep: string): [string, string] {
  const i = id.indexOf(sep);
  return i < 0 ? [id, ""] : [id.slice(0, i), id.slice(i + sep.length)];
}

/** The IAM calls behind an inline policy of a role or of a user: the same resource shape, other API names. */
interface InlinePolicyApi {
  readonly token: string;
  /** The property naming the owner (`role` or `user`). */
  readonly owner: "role" | "user";
  get(ctx: HandlerContext, owner: string, name: string): Promise<{ PolicyDocument?: string } | undefined>;
  put(ctx: HandlerContext, owner: string, name: string, document: string): Promise<unknown>;
  delete(ctx: HandlerContext, owner: string, name: string): Promise<unknown>;
}

/** aws:iam RolePolicy or UserPolicy: id `<owner>:<name>`, the document compared by meaning, an in-place update. */
function inlinePolicy(api: InlinePolicyApi): ResourceHandler {
  const read = async (ctx: HandlerContext, id: string, state: Props): Promise<Props | undefined> => {
    const [owner, name] = splitOnce(id, ":");
    const got = await orNotFound(api.get(ctx, owner, name));
    if (!got?.PolicyDocument) return undefined;
    return compact({
      id,
      [api.owner]: owner,
      name,
      namePrefix: state["namePrefix"],
      policy: keepText(state["policy"], decodeDocument(got.PolicyDocument)),
    });
  };
  const put = (ctx: HandlerContext, p: Props) =>
    api.put(ctx, str(p, api.owner) as string, str(p, "name") as string, str(p, "policy") as string);
  return {
    token: api.token,
    service: "iam",
    properties: { [api.owner]: NAME, name: NAME, namePrefix: NAME, policy: { json: true } },
    autoName: { property: "name", maxLength: 128 },
    async create(ctx, inputs) {
      const id = `${str(inputs, api.owner)}:${str(inputs, "name")}`;
      await put(ctx, inputs);
      return { id, outs: (await read(ctx, id, inputs)) ?? {} };
    },
    read,
    async update(ctx, id, _olds, news) {
      await put(ctx, news);
      return (await read(ctx, id, news)) ?? {};
    },
    async delete(ctx, id) {
      const [owner, name] = splitOnce(id, ":");
      await orNotFound(api.delete(ctx, owner, name));
    },
  };
}

const rolePolicy = inlinePolicy({
  token: "aws:iam/rolePolicy:RolePolicy",
  owner: "role",
  get: (ctx, RoleName, PolicyName) => ctx.clients.iam.send(new iamSdk.GetRolePolicyCommand({ RoleName, PolicyName })),
  put: (ctx, RoleName, PolicyName, PolicyDocument) =>
    ctx.clients.iam.send(new iamSdk.PutRolePolicyCommand({ RoleName, PolicyName, PolicyDocument })),
  delete: (ctx, RoleName, PolicyName) =>
    ctx.clients.iam.send(new iamSdk.DeleteRolePolicyCommand({ RoleName, PolicyName })),
});

const userPolicy = inlinePolicy({
  token: "aws:iam/userPolicy:UserPolicy",
  owner: "user",
  get: (ctx, UserName, PolicyName) => ctx.clients.iam.send(new iamSdk.GetUserPolicyCommand({ UserName, PolicyName })),
  put: (ctx, UserName, PolicyName, PolicyDocument) =>
    ctx.clients.iam.send(new iamSdk.PutUserPolicyCommand({ UserName, PolicyName, PolicyDocument })),
  delete: (ctx, UserName, PolicyName) =>
    ctx.clients.iam.send(new iamSdk.DeleteUserPolicyCommand({ UserName, PolicyName })),
});

// ---------------------------------------------------------------- RolePolicyAttachment

async function readAttachment(ctx: HandlerContext, id: string, state: Props): Promise<Props | undefined> {
  // Import ids are `role/policyArn`; created ids are `role-<unique>` with role and policyArn in the state.
  let roleName = str(state, "role");
  let policyArn = str(state, "policyArn");
  if (!roleName || !policyArn) [roleName, policyArn] = splitOnce(id, "/");
  const attached = await orNotFound(
    ctx.clients.iam.send(new iamSdk.ListAttachedRolePoliciesCommand({ RoleName: roleName })),
  );
  if (!attached?.AttachedPolicies?.some((p) => p.PolicyArn === policyArn)) return undefined;
  return { id, role: roleName, policyArn };
}

const rolePolicyAttachment: ResourceHandler = {
  token: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  service: "iam",
  properties: { role: NAME, policyArn: NAME },
  // pulumi-aws `DeleteBeforeReplace`: creating the replacement first and then deleting the old one would detach the
  // policy just attached when role and policy stay the same (the two are one attachment in IAM).
  deleteBeforeReplace: true,
  async create(ctx, inputs) {
    const RoleName = str(inputs, "role") as string;
    const PolicyArn = str(inputs, "policyArn");
    await ctx.clients.iam.send(new iamSdk.AttachRolePolicyCommand({ RoleName, PolicyArn }));
    return { id: prefixedName(`${RoleName}-`), outs: { role: RoleName, policyArn: PolicyArn } };
  },
  read: readAttachment,
  async delete(ctx, id, state) {
    const found = await readAttachment(ctx, id, state);
    if (!found) return;
    await orNotFound(
      ctx.clients.iam.send(
        new iamSdk.DetachRolePolicyCommand({ RoleName: str(found, "role"), PolicyArn: str(found, "policyArn") }),
      ),
    );
  },
};

// ---------------------------------------------------------------- InstanceProfile

async function readProfile(ctx: HandlerContext, id: string, state: Props): Promise<Props | undefined> {
  const got = await orNotFound(ctx.clients.iam.send(new iamSdk.GetInstanceProfileCommand({ InstanceProfileName: id })));
  const p = got?.InstanceProfile;
  if (!p) return undefined;
  return compact({
    id: p.InstanceProfileName,
    name: p.InstanceProfileName,
    arn: p.Arn,
    uniqueId: p.InstanceProfileId,
    createDate: p.CreateDate?.toISOString(),
    path: p.Path,
    role: p.Roles?.[0]?.RoleName,
    namePrefix: state["namePrefix"],
    ...readTags(p.Tags),
  });
}

const instanceProfile: ResourceHandler = {
  token: "aws:iam/instanceProfile:InstanceProfile",
  service: "iam",
  properties: { name: NAME, namePrefix: NAME, path: { replaces: true, default: "/" }, role: {}, tags: TAGS },
  autoName: { property: "name", maxLength: 128 },
  async create(ctx, inputs) {
    const name = str(inputs, "name") as string;
    const iam = ctx.clients.iam;
    await iam.send(
      new iamSdk.CreateInstanceProfileCommand({
        InstanceProfileName: name,
        Path: str(inputs, "path"),
        Tags: tagList(inputs["tags"]),
      }),
    );
    const roleName = str(inputs, "role");
    if (roleName)
      await iam.send(new iamSdk.AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: roleName }));
    return { id: name, outs: (await readProfile(ctx, name, inputs)) ?? {} };
  },
  read: readProfile,
  async update(ctx, id, olds, news, changed) {
    const iam = ctx.clients.iam;
    if (changed.includes("role")) {
      // In place, as the real provider: remove the old role, add the new one.
      const current = await readProfile(ctx, id, olds);
      const oldRole = current ? str(current, "role") : undefined;
      if (oldRole)
        await iam.send(new iamSdk.RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: id, RoleName: oldRole }));
      const newRole = str(news, "role");
      if (newRole)
        await iam.send(new iamSdk.AddRoleToInstanceProfileCommand({ InstanceProfileName: id, RoleName: newRole }));
    }
    if (changed.includes("tags")) {
      await retagging(
        olds,
        news,
        (Tags) => iam.send(new iamSdk.TagInstanceProfileCommand({ InstanceProfileName: id, Tags })),
        (TagKeys) => iam.send(new iamSdk.UntagInstanceProfileCommand({ InstanceProfileName: id, TagKeys })),
      );
    }
    return (await readProfile(ctx, id, news)) ?? {};
  },
  async delete(ctx, id) {
    const iam = ctx.clients.iam;
    const got = await orNotFound(iam.send(new iamSdk.GetInstanceProfileCommand({ InstanceProfileName: id })));
    if (!got) return;
    for (const r of got.InstanceProfile?.Roles ?? []) {
      await orNotFound(
        iam.send(new iamSdk.RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: id, RoleName: r.RoleName })),
      );
    }
    await orNotFound(iam.send(new iamSdk.DeleteInstanceProfileCommand({ InstanceProfileName: id })));
  },
};

// ---------------------------------------------------------------- Policy

async function readPolicy(ctx: HandlerContext, id: string, state: Props): Promise<Props | undefined> {
  const iam = ctx.clients.iam;
  const got = await orNotFound(iam.send(new iamSdk.GetPolicyCommand({ PolicyArn: id })));
  const p = got?.Policy;
  if (!p) return undefined;
  const version = await iam.send(new iamSdk.GetPolicyVersionCommand({ PolicyArn: id, VersionId: p.DefaultVersionId }));
  return compact({
    id: p.Arn,
    arn: p.Arn,
    name: p.PolicyName,
    path: p.Path,
    description: p.Description,
    policyId: p.PolicyId,
    attachmentCount: p.AttachmentCount ?? 0,
    policy: keepText(state["policy"], decodeDocument(version.PolicyVersion?.Document)),
    namePrefix: state["namePrefix"],
    ...readTags(p.Tags),
  });
}

const policy: ResourceHandler = {
  token: "aws:iam/policy:Policy",
  service: "iam",
  properties: {
    name: NAME,
    namePrefix: NAME,
    path: { replaces: true, default: "/" },
    description: { replaces: true },
    policy: { json: true },
    tags: TAGS,
  },
  autoName: { property: "name", maxLength: 128 },
  async create(ctx, inputs) {
    const got = await ctx.clients.iam.send(
      new iamSdk.CreatePolicyCommand({
        PolicyName: str(inputs, "name"),
        Path: str(inputs, "path"),
        Description: str(inputs, "description"),
        PolicyDocument: str(inputs, "policy"),
        Tags: tagList(inputs["tags"]),
      }),
    );
    const arn = got.Policy?.Arn as string;
    return { id: arn, outs: (await readPolicy(ctx, arn, inputs)) ?? {} };
  },
  read: readPolicy,
  async update(ctx, id, olds, news, changed) {
    const iam = ctx.clients.iam;
    if (changed.includes("policy")) {
      // As the real provider: at most 5 versions, so the oldest non-default one goes first.
      const versions = (await iam.send(new iamSdk.ListPolicyVersionsCommand({ PolicyArn: id }))).Versions ?? [];
      if (versions.length >= 5) {
        const oldest = versions
          .filter((v) => !v.IsDefaultVersion)
          .sort((a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0))[0];
        if (oldest)
          await iam.send(new iamSdk.DeletePolicyVersionCommand({ PolicyArn: id, VersionId: oldest.VersionId }));
      }
      await iam.send(
        new iamSdk.CreatePolicyVersionCommand({
          PolicyArn: id,
          PolicyDocument: str(news, "policy"),
          SetAsDefault: true,
        }),
      );
    }
    if (changed.includes("tags")) {
      await retagging(
        olds,
        news,
        (Tags) => iam.send(new iamSdk.TagPolicyCommand({ PolicyArn: id, Tags })),
        (TagKeys) => iam.send(new iamSdk.UntagPolicyCommand({ PolicyArn: id, TagKeys })),
      );
    }
    return (await readPolicy(ctx, id, news)) ?? {};
  },
  async delete(ctx, id) {
    const iam = ctx.clients.iam;
    const versions = await orNotFound(iam.send(new iamSdk.ListPolicyVersionsCommand({ PolicyArn: id })));
    if (!versions) return;
    for (const v of versions.Versions ?? []) {
      if (!v.IsDefaultVersion)
        await iam.send(new iamSdk.DeletePolicyVersionCommand({ PolicyArn: id, VersionId: v.VersionId }));
    }
    await orNotFound(iam.send(new iamSdk.DeletePolicyCommand({ PolicyArn: id })));
  },
};

// ---------------------------------------------------------------- User

async function readUser(ctx: HandlerContext, id: string, state: Props): Promise<Props | undefined> {
  const got = await orNotFound(ctx.clients.iam.send(new iamSdk.GetUserCommand({ UserName: id })));
  const u = got?.User;
  if (!u) return undefined;
  return compact({
    id: u.UserName,
    name: u.UserName,
    arn: u.Arn,
    uniqueId: u.UserId,
    path: u.Path,
    permissionsBoundary: u.PermissionsBoundary?.PermissionsBoundaryArn,
    forceDestroy: state["forceDestroy"] ?? false,
    ...readTags(u.Tags),
  });
}

const user: ResourceHandler = {
  token: "aws:iam/user:User",
  service: "iam",
  // The real provider renames users in place (UpdateUser), unlike roles.
  properties: {
    name: {},
    path: { default: "/" },
    permissionsBoundary: {},
    forceDestroy: { default: false },
    tags: TAGS,
  },
  autoName: { property: "name", maxLength: 64 },
  async create(ctx, inputs) {
    const name = str(inputs, "name") as string;
    await ctx.clients.iam.send(
      new iamSdk.CreateUserCommand({
        UserName: name,
        Path: str(inputs, "path"),
        PermissionsBoundary: str(inputs, "permissionsBoundary"),
        Tags: tagList(inputs["tags"]),
      }),
    );
    return { id: name, outs: (await readUser(ctx, name, inputs)) ?? {} };
  },
  read: readUser,
  async update(ctx, id, olds, news, changed) {
    const iam = ctx.clients.iam;
    let name = id;
    if (changed.includes("name") || changed.includes("path")) {
      await iam.send(
        new iamSdk.UpdateUserCommand({ UserName: id, NewUserName: str(news, "name"), NewPath: str(news, "path") }),
      );
      name = str(news, "name") ?? id;
    }
    if (changed.includes("tags")) {
      await retagging(
        olds,
        news,
        (Tags) => iam.send(new iamSdk.TagUserCommand({ UserName: name, Tags })),
        (TagKeys) => iam.send(new iamSdk.UntagUserCommand({ UserName: name, TagKeys })),
      );
    }
    return (await readUser(ctx, name, news)) ?? {};
  },
  async delete(ctx, id, state) {
    const iam = ctx.clients.iam;
    if (state["forceDestroy"] === true) {
      const keys = await orNotFound(iam.send(new iamSdk.ListAccessKeysCommand({ UserName: id })));
      for (const k of keys?.AccessKeyMetadata ?? []) {
        await iam.send(new iamSdk.DeleteAccessKeyCommand({ UserName: id, AccessKeyId: k.AccessKeyId }));
      }
    }
    await orNotFound(iam.send(new iamSdk.DeleteUserCommand({ UserName: id })));
  },
};

// ---------------------------------------------------------------- AccessKey

async function readAccessKey(ctx: HandlerContext, id: string, state: Props): Promise<Props | undefined> {
  const userName = str(state, "user");
  if (!userName) {
    throw new Error(
      "aws:iam/accessKey:AccessKey cannot be imported (the real provider cannot either: the secret is only returned at creation).",
    );
  }
  const keys = await orNotFound(ctx.clients.iam.send(new iamSdk.ListAccessKeysCommand({ UserName: userName })));
  const k = keys?.AccessKeyMetadata?.find((m) => m.AccessKeyId === id);
  if (!k) return undefined;
  return compact({
    id,
    user: userName,
    status: k.Status,
    createDate: k.CreateDate?.toISOString(),
    // Returned by CreateAccessKey only: the real provider keeps it from creation, as here. `pgpKey` is refused.
    secret: state["secret"],
  });
}

const accessKey: ResourceHandler = {
  token: "aws:iam/accessKey:AccessKey",
  service: "iam",
  properties: { user: NAME, status: { default: "Active" }, pgpKey: NAME },
  validate(inputs) {
    return inputs["pgpKey"] !== undefined
      ? [
          {
            property: "pgpKey",
            reason: "aws:iam/accessKey:AccessKey `pgpKey` is not supported by the keyless LocalStack aws provider.",
          },
        ]
      : [];
  },
  async create(ctx, inputs) {
    const UserName = str(inputs, "user");
    const iam = ctx.clients.iam;
    const got = await iam.send(new iamSdk.CreateAccessKeyCommand({ UserName }));
    const k = got.AccessKey;
    const id = k?.AccessKeyId as string;
    if (str(inputs, "status") === "Inactive") {
      await iam.send(new iamSdk.UpdateAccessKeyCommand({ UserName, AccessKeyId: id, Status: "Inactive" }));
    }
    return {
      id,
      outs: compact({
        id,
        user: UserName,
        status: str(inputs, "status") ?? "Active",
        secret: k?.SecretAccessKey,
        createDate: k?.CreateDate?.toISOString(),
      }),
    };
  },
  read: readAccessKey,
  async update(ctx, id, olds, news) {
    await ctx.clients.iam.send(
      new iamSdk.UpdateAccessKeyCommand({
        UserName: str(news, "user"),
        AccessKeyId: id,
        Status: str(news, "status") as "Active" | "Inactive",
      }),
    );
    return { ...olds, status: str(news, "status") };
  },
  async delete(ctx, id, state) {
    await orNotFound(
      ctx.clients.iam.send(new iamSdk.DeleteAccessKeyCommand({ UserName: str(state, "user"), AccessKeyId: id })),
    );
  },
};

export const iamHandlers: readonly ResourceHandler[] = [
  role,
  rolePolicy,
  rolePolicyAttachment,
  instanceProfile,
  policy,
  user,
  userPolicy,
  accessKey,
];
