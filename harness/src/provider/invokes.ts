/** The invokes (data sources): getCallerIdentity, getRegion, getPartition, ec2 getAmi, iam getPolicyDocument. */
import { compact, str, strings } from "./properties";
import { ec2Sdk, stsSdk } from "./sdk";
import type { InvokeHandler, Props } from "./types";

const getCallerIdentity: InvokeHandler = {
  token: "aws:index/getCallerIdentity:getCallerIdentity",
  async invoke(ctx) {
    const me = await ctx.clients.sts.send(new stsSdk.GetCallerIdentityCommand({}));
    return { accountId: me.Account, arn: me.Arn, userId: me.UserId, id: me.Account };
  },
};

const getRegion: InvokeHandler = {
  token: "aws:index/getRegion:getRegion",
  async invoke(ctx, args) {
    const region = str(args, "region") ?? str(args, "name") ?? ctx.region;
    return {
      id: region,
      name: region,
      region,
      endpoint: `ec2.${region}.amazonaws.com`,
      description: region,
    };
  },
};

/** The partition of the configured region (the emulators only serve `aws` regions). */
const getPartition: InvokeHandler = {
  token: "aws:index/getPartition:getPartition",
  async invoke(ctx) {
    const china = ctx.region.startsWith("cn-");
    const gov = ctx.region.startsWith("us-gov-");
    const partition = china ? "aws-cn" : gov ? "aws-us-gov" : "aws";
    const dnsSuffix = china ? "amazonaws.com.cn" : "amazonaws.com";
    return {
      id: partition,
      partition,
      dnsSuffix,
      reverseDnsPrefix: china ? "cn.com.amazonaws" : "com.amazonaws",
    };
  },
};

const getAmi: InvokeHandler = {
  token: "aws:ec2/getAmi:getAmi",
  async invoke(ctx, args) {
    const filters = ((args["filters"] as Props[] | undefined) ?? []).map((f) => ({
      Name: str(f, "name"),
      Values: strings(f, "values"),
    }));
    const got = await ctx.clients.ec2.send(
      new ec2Sdk.DescribeImagesCommand({
        Owners: strings(args, "owners"),
        ExecutableUsers: strings(args, "executableUsers"),
        Filters: filters.length > 0 ? filters : undefined,
      }),
    );
    let images = got.Images ?? [];
    const nameRegex = str(args, "nameRegex");
    if (nameRegex) {
      const re = new RegExp(nameRegex);
      images = images.filter((i) => re.test(i.Name ?? ""));
    }
    if (images.length === 0)
      throw new Error("Your query returned no results. Please change your search criteria and try again.");
    if (images.length > 1 && args["mostRecent"] !== true) {
      throw new Error(
        "Your query returned more than one result. Please try a more specific search criteria, or set `most_recent` attribute to true.",
      );
    }
    const img = [...images].sort((a, b) => (b.CreationDate ?? "").localeCompare(a.CreationDate ?? ""))[0];
    if (!img) throw new Error("no image");
    return compact({
      id: img.ImageId,
      imageId: img.ImageId,
      arn: `arn:aws:ec2:${ctx.region}::image/${img.ImageId}`,
      name: img.Name,
      description: img.Description,
      architecture: img.Architecture,
      ownerId: img.OwnerId,
      imageOwnerAlias: img.ImageOwnerAlias,
      creationDate: img.CreationDate,
      rootDeviceName: img.RootDeviceName,
      rootDeviceType: img.RootDeviceType,
      virtualizationType: img.VirtualizationType,
      platform: img.Platform,
      platformDetails: img.PlatformDetails,
      state: img.State,
      public: img.Public,
      hypervisor: img.Hypervisor,
      imageType: img.ImageType,
      mostRecent: args["mostRecent"] === true,
      owners: strings(args, "owners"),
      filters: args["filters"],
      nameRegex,
      tags: Object.fromEntries((img.Tags ?? []).map((t) => [t.Key, t.Value])),
    });
  },
};

/** One value or a list, as the real provider renders `aws_iam_policy_document` (a single element stays a string). */
function oneOrMany(values: string[]): string | string[] {
  return values.length === 1 ? (values[0] as string) : values;
}

function principalBlock(list: Props[] | undefined): Record<string, string | string[]> | string | undefined {
  if (!list || list.length === 0) return undefined;
  const out: Record<string, string[]> = {};
  for (const p of list) {
    const type = str(p, "type") as string;
    if (type === "*" && (strings(p, "identifiers") ?? []).includes("*")) return "*";
    out[type] = [...(out[type] ?? []), ...(strings(p, "identifiers") ?? [])];
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, oneOrMany(v)]));
}

const getPolicyDocument: InvokeHandler = {
  token: "aws:iam/getPolicyDocument:getPolicyDocument",
  async invoke(_ctx, args) {
    for (const unsupported of ["sourcePolicyDocuments", "overridePolicyDocuments"]) {
      if (args[unsupported] !== undefined) {
        throw new Error(
          `aws:iam/getPolicyDocument: \`${unsupported}\` is not supported by the keyless LocalStack aws provider.`,
        );
      }
    }
    const statements = ((args["statements"] as Props[] | undefined) ?? []).map((s) => {
      const conditions = (s["conditions"] as Props[] | undefined) ?? [];
      const condition: Record<string, Record<string, string | string[]>> = {};
      for (const c of conditions) {
        const test = str(c, "test") as string;
        condition[test] = {
          ...(condition[test] ?? {}),
          [str(c, "variable") as string]: oneOrMany(strings(c, "values") ?? []),
        };
      }
      const list = (k: string) => {
        const v = strings(s, k);
        return v && v.length > 0 ? oneOrMany(v) : undefined;
      };
      return compact({
        Sid: str(s, "sid"),
        Effect: str(s, "effect") ?? "Allow",
        Action: list("actions"),
        NotAction: list("notActions"),
        Resource: list("resources"),
        NotResource: list("notResources"),
        Principal: principalBlock(s["principals"] as Props[] | undefined),
        NotPrincipal: principalBlock(s["notPrincipals"] as Props[] | undefined),
        Condition: conditions.length > 0 ? condition : undefined,
      });
    });
    const doc = compact({
      Version: str(args, "version") ?? "2012-10-17",
      Id: str(args, "policyId"),
      Statement: statements,
    });
    const json = JSON.stringify(doc, null, 2);
    return { ...args, id: String(hashCode(json)), json, minifiedJson: JSON.stringify(doc) };
  },
};

function hashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) >>> 0;
  return h;
}

export const invokeHandlers: readonly InvokeHandler[] = [
  getCallerIdentity,
  getRegion,
  getPartition,
  getAmi,
  getPolicyDocument,
];
