/**
 * aws:iam OpenIdConnectProvider and the getOpenIdConnectProvider invoke, with the real provider's semantics
 * (terraform-provider-aws `aws_iam_openid_connect_provider`): the id is the ARN, `url` replaces (a difference of the
 * `https://` scheme alone is no change: IAM keeps the URL without it), `clientIdLists` is a set updated in place,
 * `thumbprintLists` is optional and computed (updated in place when the program gives a non-empty list).
 */
import {
  AwsProviderError,
  awsCode,
  compact,
  containsUnknown,
  orNotFound,
  readTags,
  retagging,
  str,
  strings,
  tagList,
  tagMap,
} from "./properties";
import { iamSdk } from "./sdk";
import type { HandlerContext, InvokeHandler, Props, ResourceHandler } from "./types";

const TOKEN = "aws:iam/openIdConnectProvider:OpenIdConnectProvider";

/** The URL as IAM holds it: no scheme, no surrounding spaces (terraform-provider-aws `normalizeOpenIDURL`). */
export function openIdUrlHostPath(url: string): string {
  return url.trim().replace(/^https:\/\//i, "");
}

/** What IAM would refuse, or the real provider's validation (`validOpenIDURL`, list lengths), per property. */
function validate(inputs: Props): Array<{ property: string; reason: string }> {
  const failures: Array<{ property: string; reason: string }> = [];
  const url = inputs["url"];
  if (url === undefined) failures.push({ property: "url", reason: `${TOKEN} requires \`url\`.` });
  else if (typeof url === "string" && !containsUnknown(url)) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      failures.push({ property: "url", reason: `${TOKEN} \`url\` must be a URL; got ${JSON.stringify(url)}.` });
    }
    if (parsed && parsed.protocol !== "https:") {
      failures.push({ property: "url", reason: `${TOKEN} \`url\` must use the https scheme (begin with https://).` });
    }
    if (parsed && parsed.search !== "") {
      failures.push({ property: "url", reason: `${TOKEN} \`url\` must not contain query parameters (OIDC issuer).` });
    }
  }
  const ids = inputs["clientIdLists"];
  if (!Array.isArray(ids) || ids.length === 0) {
    if (!containsUnknown(ids)) {
      failures.push({ property: "clientIdLists", reason: `${TOKEN} requires \`clientIdLists\` with at least one id.` });
    }
  } else {
    ids.forEach((id, i) => {
      if (typeof id === "string" && !containsUnknown(id) && (id.length < 1 || id.length > 255)) {
        failures.push({ property: `clientIdLists[${i}]`, reason: "a client id must be 1 to 255 characters long." });
      }
    });
  }
  const thumbprints = inputs["thumbprintLists"];
  if (Array.isArray(thumbprints)) {
    thumbprints.forEach((t, i) => {
      if (typeof t === "string" && !containsUnknown(t) && t.length !== 40) {
        failures.push({
          property: `thumbprintLists[${i}]`,
          reason: `a thumbprint must be 40 characters long (a hex SHA-1); got ${t.length}.`,
        });
      }
    });
  }
  return failures;
}

const sameSet = (a: unknown, b: unknown): boolean =>
  Array.isArray(a) &&
  Array.isArray(b) &&
  new Set(a.map(String)).size === new Set(b.map(String)).size &&
  a.every((x) => b.map(String).includes(String(x)));

function drop(list: string[], key: string): void {
  const i = list.indexOf(key);
  if (i >= 0) list.splice(i, 1);
}

async function readProvider(ctx: HandlerContext, id: string): Promise<Props | undefined> {
  const got = await orNotFound(
    ctx.clients.iam.send(new iamSdk.GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: id })),
  );
  if (!got) return undefined;
  return compact({
    id,
    arn: id,
    url: got.Url,
    clientIdLists: got.ClientIDList ?? [],
    thumbprintLists: got.ThumbprintList ?? [],
    ...readTags(got.Tags),
  });
}

/** LocalStack 4.14 answers Add/RemoveClientIDToOpenIDConnectProvider with 501 "has not been implemented". */
function notImplemented(err: unknown): boolean {
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === 501 || (awsCode(err) === "InternalFailure" && /not been implemented/i.test(String(err)));
}

/**
 * The client id list changed: AddClientIDToOpenIDConnectProvider / RemoveClientIDFromOpenIDConnectProvider, as the
 * real provider does. LocalStack does not implement either; there the provider is created again at the same ARN (the
 * ARN is its URL) with the new list and the current thumbprints and tags, which the engine still sees as an update.
 */
async function updateClientIds(ctx: HandlerContext, arn: string, before: string[], after: string[]): Promise<void> {
  const iam = ctx.clients.iam;
  try {
    for (const ClientID of after.filter((c) => !before.includes(c))) {
      await iam.send(new iamSdk.AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID }));
    }
    for (const ClientID of before.filter((c) => !after.includes(c))) {
      await iam.send(
        new iamSdk.RemoveClientIDFromOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID }),
      );
    }
  } catch (err) {
    if (!notImplemented(err)) throw err;
    const held = await iam.send(new iamSdk.GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    await iam.send(new iamSdk.DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    await iam.send(
      new iamSdk.CreateOpenIDConnectProviderCommand({
        Url: `https://${held.Url}`,
        ClientIDList: after,
        ThumbprintList: held.ThumbprintList && held.ThumbprintList.length > 0 ? held.ThumbprintList : undefined,
        Tags: held.Tags && held.Tags.length > 0 ? held.Tags : undefined,
      }),
    );
  }
}

const openIdConnectProvider: ResourceHandler = {
  token: TOKEN,
  service: "iam",
  properties: {
    url: { replaces: true },
    clientIdLists: {},
    thumbprintLists: { computed: true },
    tags: {},
  },
  validate,
  adjustDiff(olds, news, changes, replaces) {
    // `https://x` in the program and `x` as IAM holds it are one URL (terraform-provider-aws `suppressOpenIDURL`).
    const a = olds["url"];
    const b = news["url"];
    if (typeof a === "string" && typeof b === "string" && openIdUrlHostPath(a) === openIdUrlHostPath(b)) {
      drop(changes, "url");
      drop(replaces, "url");
    }
    // A set: order and repeats are no change.
    if (sameSet(olds["clientIdLists"], news["clientIdLists"])) drop(changes, "clientIdLists");
  },
  async create(ctx, inputs) {
    const thumbprints = strings(inputs, "thumbprintLists") ?? [];
    const got = await ctx.clients.iam.send(
      new iamSdk.CreateOpenIDConnectProviderCommand({
        Url: str(inputs, "url"),
        ClientIDList: [...new Set(strings(inputs, "clientIdLists") ?? [])],
        ThumbprintList: thumbprints.length > 0 ? thumbprints : undefined,
        Tags: tagList(inputs["tags"]),
      }),
    );
    const arn = got.OpenIDConnectProviderArn as string;
    return { id: arn, outs: (await readProvider(ctx, arn)) ?? {} };
  },
  read: readProvider,
  async update(ctx, id, olds, news, changed) {
    const iam = ctx.clients.iam;
    const thumbprints = strings(news, "thumbprintLists") ?? [];
    // As the real provider: an emptied list is not sent (IAM needs at least one thumbprint on update).
    if (changed.includes("thumbprintLists") && thumbprints.length > 0) {
      await iam.send(
        new iamSdk.UpdateOpenIDConnectProviderThumbprintCommand({
          OpenIDConnectProviderArn: id,
          ThumbprintList: thumbprints,
        }),
      );
    }
    if (changed.includes("clientIdLists")) {
      const held = await readProvider(ctx, id);
      await updateClientIds(ctx, id, strings(held ?? olds, "clientIdLists") ?? [], [
        ...new Set(strings(news, "clientIdLists") ?? []),
      ]);
    }
    if (changed.includes("tags")) {
      await retagging(
        olds,
        news,
        (Tags) => iam.send(new iamSdk.TagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: id, Tags })),
        (TagKeys) => iam.send(new iamSdk.UntagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: id, TagKeys })),
      );
    }
    return (await readProvider(ctx, id)) ?? {};
  },
  async delete(ctx, id) {
    await orNotFound(
      ctx.clients.iam.send(new iamSdk.DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: id })),
    );
  },
};

/** The ARN of the account's provider for `url`, by listing (terraform-provider-aws `findOpenIDConnectProviderByURL`). */
async function arnByUrl(ctx: HandlerContext, url: string): Promise<string | undefined> {
  const listed = await ctx.clients.iam.send(new iamSdk.ListOpenIDConnectProvidersCommand({}));
  const wanted = openIdUrlHostPath(url);
  return (listed.OpenIDConnectProviderList ?? [])
    .map((p) => p.Arn)
    .find((arn) => arn !== undefined && arn.split("/").slice(1).join("/") === wanted);
}

const GET_TOKEN = "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider";

const getOpenIdConnectProvider: InvokeHandler = {
  token: GET_TOKEN,
  async invoke(ctx, args) {
    const byArn = str(args, "arn");
    const byUrl = str(args, "url");
    if ((byArn === undefined) === (byUrl === undefined)) {
      throw new Error(
        `${GET_TOKEN}: exactly one of \`arn\` and \`url\` must be given` +
          (byArn ? `; got both (arn ${byArn}, url ${byUrl})` : "; got neither"),
      );
    }
    const arn = byArn ?? (await arnByUrl(ctx, byUrl as string));
    if (arn === undefined) {
      throw new AwsProviderError(
        "invoke",
        GET_TOKEN,
        "NotFound",
        `reading IAM OIDC Provider (${byUrl}): no IAM OIDC provider has that URL`,
      );
    }
    const got = await ctx.clients.iam.send(
      new iamSdk.GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }),
    );
    return {
      id: arn,
      arn,
      url: got.Url,
      clientIdLists: got.ClientIDList ?? [],
      thumbprintLists: got.ThumbprintList ?? [],
      tags: tagMap(got.Tags),
    };
  },
};

export const oidcProviderHandlers: readonly ResourceHandler[] = [openIdConnectProvider];
export const oidcProviderInvokes: readonly InvokeHandler[] = [getOpenIdConnectProvider];
