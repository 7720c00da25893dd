/**
 * aws:route53 Zone (public hosted zones), on LocalStack. As in the real provider: the name replaces the zone (compared
 * without the trailing dot and case), the comment and tags change in place, the id is the zone id without its
 * `/hostedzone/` prefix, and delete with `forceDestroy` first deletes every record but the zone's own NS and SOA.
 */

import { randomUUID } from "node:crypto";
import type { Change, ResourceRecordSet, Route53Client } from "@aws-sdk/client-route-53";
import { compact, orNotFound, readTags, str, tagChanges } from "./properties";
import { route53Sdk } from "./sdk";
import type { HandlerContext, Props, ResourceHandler } from "./types";

const TOKEN = "aws:route53/zone:Zone";

/** How long a change may stay PENDING before the operation fails (the real provider waits for INSYNC too). */
export const ZONE_CHANGE_TIMEOUT_MS = 120_000;

/** `Example.COM.` and `example.com` are the same zone name. */
export function normalizeZoneName(name: string): string {
  return name.replace(/\.$/, "").toLowerCase();
}

function bareId(id: string): string {
  return id.replace(/^\/hostedzone\//, "");
}

async function waitInSync(r53: Route53Client, changeId: string | undefined): Promise<void> {
  if (!changeId) return;
  const deadline = Date.now() + ZONE_CHANGE_TIMEOUT_MS;
  for (let i = 0; ; i++) {
    const got = await r53.send(new route53Sdk.GetChangeCommand({ Id: changeId }));
    if (got.ChangeInfo?.Status === "INSYNC") return;
    if (Date.now() >= deadline) {
      throw new Error(`Route 53 change ${changeId} was not INSYNC after ${ZONE_CHANGE_TIMEOUT_MS / 1000} s.`);
    }
    await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** i)));
  }
}

/** Every record set of the zone, following Route 53's name/type/identifier pagination. */
async function recordSets(r53: Route53Client, zoneId: string): Promise<ResourceRecordSet[]> {
  const out: ResourceRecordSet[] = [];
  let next: { StartRecordName?: string; StartRecordType?: never; StartRecordIdentifier?: string } = {};
  for (;;) {
    const page = await r53.send(new route53Sdk.ListResourceRecordSetsCommand({ HostedZoneId: zoneId, ...next }));
    out.push(...(page.ResourceRecordSets ?? []));
    if (!page.IsTruncated) return out;
    next = {
      StartRecordName: page.NextRecordName,
      StartRecordType: page.NextRecordType as never,
      StartRecordIdentifier: page.NextRecordIdentifier,
    };
  }
}

async function readZone(ctx: HandlerContext, id: string, state: Props): Promise<Props | undefined> {
  const r53 = ctx.clients.route53;
  const zoneId = bareId(id);
  const got = await orNotFound(r53.send(new route53Sdk.GetHostedZoneCommand({ Id: zoneId })));
  if (!got?.HostedZone) return undefined;
  const name = normalizeZoneName(got.HostedZone.Name ?? "");
  const tags = await r53.send(
    new route53Sdk.ListTagsForResourceCommand({ ResourceType: "hostedzone", ResourceId: zoneId }),
  );
  const soa = (await recordSets(r53, zoneId)).find((r) => r.Type === "SOA");
  const userName = str(state, "name");
  return compact({
    id: zoneId,
    zoneId,
    // The program's spelling stays when it names the same zone (trailing dot, case).
    name: userName !== undefined && normalizeZoneName(userName) === name ? userName : name,
    arn: `arn:aws:route53:::hostedzone/${zoneId}`,
    comment: got.HostedZone.Config?.Comment ?? "",
    nameServers: [...(got.DelegationSet?.NameServers ?? [])].sort(),
    // The SOA record's first field is the primary name server.
    primaryNameServer: soa?.ResourceRecords?.[0]?.Value?.split(" ")[0],
    forceDestroy: state["forceDestroy"] ?? false,
    ...readTags(tags.ResourceTagSet?.Tags),
  });
}

async function retag(r53: Route53Client, zoneId: string, olds: Props, news: Props): Promise<void> {
  // One call carries both halves here, so the changes are read, not applied through `retagging`.
  const { removed, changed: added } = tagChanges(olds, news);
  if (removed.length === 0 && added.length === 0) return;
  await r53.send(
    new route53Sdk.ChangeTagsForResourceCommand({
      ResourceType: "hostedzone",
      ResourceId: zoneId,
      AddTags: added.length > 0 ? added : undefined,
      RemoveTagKeys: removed.length > 0 ? removed : undefined,
    }),
  );
}

/** Deletes every record but the apex NS and SOA, which go with the zone. */
async function deleteRecords(r53: Route53Client, zoneId: string, zoneName: string): Promise<void> {
  const apex = `${normalizeZoneName(zoneName)}.`;
  const doomed = (await recordSets(r53, zoneId)).filter(
    (r) => !((r.Type === "NS" || r.Type === "SOA") && r.Name?.toLowerCase() === apex),
  );
  // ChangeResourceRecordSets takes at most 1,000 changes per batch.
  for (let i = 0; i < doomed.length; i += 1000) {
    const changes: Change[] = doomed.slice(i, i + 1000).map((r) => ({ Action: "DELETE", ResourceRecordSet: r }));
    const out = await r53.send(
      new route53Sdk.ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: changes } }),
    );
    await waitInSync(r53, out.ChangeInfo?.Id);
  }
}

const zone: ResourceHandler = {
  token: TOKEN,
  service: "route53",
  properties: {
    name: { replaces: true },
    comment: { default: "Managed by Pulumi" },
    forceDestroy: { default: false },
    tags: {},
  },
  autoName: { property: "name", maxLength: 255 },
  adjustDiff(olds, news, changes, replaces) {
    // The real provider suppresses a name diff that is only a trailing dot or case.
    const a = olds["name"];
    const b = news["name"];
    if (typeof a === "string" && typeof b === "string" && normalizeZoneName(a) === normalizeZoneName(b)) {
      for (const list of [changes, replaces]) {
        const i = list.indexOf("name");
        if (i >= 0) list.splice(i, 1);
      }
    }
  },
  async create(ctx, inputs) {
    const r53 = ctx.clients.route53;
    const created = await r53.send(
      new route53Sdk.CreateHostedZoneCommand({
        Name: str(inputs, "name"),
        CallerReference: randomUUID(),
        HostedZoneConfig: { Comment: typeof inputs["comment"] === "string" ? inputs["comment"] : undefined },
      }),
    );
    const zoneId = bareId(created.HostedZone?.Id ?? "");
    await waitInSync(r53, created.ChangeInfo?.Id);
    await retag(r53, zoneId, {}, inputs);
    return { id: zoneId, outs: (await readZone(ctx, zoneId, inputs)) ?? {} };
  },
  read: readZone,
  async update(ctx, id, olds, news, changed) {
    const r53 = ctx.clients.route53;
    if (changed.includes("comment")) {
      const comment = typeof news["comment"] === "string" ? news["comment"] : "";
      await r53.send(new route53Sdk.UpdateHostedZoneCommentCommand({ Id: id, Comment: comment }));
    }
    if (changed.includes("tags")) await retag(r53, id, olds, news);
    return (await readZone(ctx, id, news)) ?? {};
  },
  async delete(ctx, id, state) {
    const r53 = ctx.clients.route53;
    if (state["forceDestroy"] === true) {
      const got = await orNotFound(r53.send(new route53Sdk.GetHostedZoneCommand({ Id: id })));
      if (!got?.HostedZone) return;
      await deleteRecords(r53, id, got.HostedZone.Name ?? "");
    }
    await orNotFound(r53.send(new route53Sdk.DeleteHostedZoneCommand({ Id: id })));
  },
};

export const route53Handlers: readonly ResourceHandler[] = [zone];
