/**
 * A loopback DNS server that answers from the emulator's Route 53: each query is answered from the hosted zones'
 * record sets as they are at that moment (ListHostedZones, ListResourceRecordSets), so a record written through the
 * Route 53 API resolves at once and a deleted one stops resolving. LocalStack's own DNS server does not serve Route 53
 * zones; this one stands in for Route 53's name servers, for example as an ACME server's resolver (pebble's
 * `-dnsserver`) validating a DNS-01 challenge. The wire format is dns-packet's; UDP and TCP are served on one port.
 */
import dgram from "node:dgram";
import net from "node:net";
import {
  type HostedZone,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from "@aws-sdk/client-route-53";
import * as dnsPacket from "dns-packet";
import { localStackClientConfig } from "./localstack";

/** The record types answered; others get an empty answer (NOERROR) when the name exists. */
export const ROUTE53_DNS_TYPES = ["A", "AAAA", "CNAME", "TXT"] as const;
type AnsweredType = (typeof ROUTE53_DNS_TYPES)[number];

/** One query the server answered, in order: what was asked and what it answered (no record values). */
export interface Route53DnsQuery {
  /** The name asked, lower case, without the trailing dot. */
  readonly name: string;
  /** The type asked (`TXT`, `A`, …). */
  readonly type: string;
  /** `udp` or `tcp`. */
  readonly transport: "udp" | "tcp";
  /** `NOERROR`, `NXDOMAIN` (no such name in its zone), `REFUSED` (in no hosted zone) or `SERVFAIL` (Route 53 failed). */
  readonly rcode: "NOERROR" | "NXDOMAIN" | "REFUSED" | "SERVFAIL";
  /** How many records the answer section held. */
  readonly answers: number;
  /** The hosted zone id that answered, when one did. */
  readonly zoneId?: string;
}

/** Options of {@link serveRoute53Dns}. */
export interface Route53DnsOptions {
  /**
   * The Route 53 client the record sets are read with.
   * @default - A client on the LocalStack endpoint with its root credentials.
   */
  readonly client?: Route53Client;
  /**
   * The port, on 127.0.0.1, for both UDP and TCP.
   * @default - A free port.
   */
  readonly port?: number;
}

/** The running server. Stop it with {@link Route53DnsServer.stop}. */
export interface Route53DnsServer {
  /** `127.0.0.1:<port>`: for a resolver setting such as pebble's `-dnsserver`. */
  readonly address: string;
  /** The port, for UDP and TCP. */
  readonly port: number;
  /** Every query answered so far, in order. */
  readonly queries: readonly Route53DnsQuery[];
  /** Closes both sockets and any TCP connection still open. Safe twice. */
  stop(): Promise<void>;
}

/**
 * Serves the emulator's Route 53 hosted zones over DNS on loopback. A query is answered from the public hosted zone
 * whose name is the longest suffix of the name asked, read from Route 53 when the query arrives (no cache): the
 * record sets of that name and type (`A`, `AAAA`, `CNAME`, `TXT`; a `CNAME` at the name is answered for any type and
 * followed within the served zones), with each record set's TTL, authoritative. A name in no zone is `REFUSED` (the
 * server resolves nothing else), a name absent from its zone `NXDOMAIN`. Alias records and other types are not served.
 *
 * @example
 * ```ts
 * const dns = await serveRoute53Dns();
 * // pebble -dnsserver ${dns.address}
 * await dns.stop();
 * ```
 * @see https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html
 */
export async function serveRoute53Dns(options: Route53DnsOptions = {}): Promise<Route53DnsServer> {
  const client = options.client ?? new Route53Client(localStackClientConfig());
  const queries: Route53DnsQuery[] = [];
  const answer = async (request: Buffer, transport: "udp" | "tcp"): Promise<Buffer | undefined> => {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(request);
    } catch {
      return undefined; // not DNS: dropped, as a name server drops garbage
    }
    const question = query.questions?.[0];
    if (!question || query.type !== "query") return undefined;
    const name = normalize(question.name);
    let result: Resolution;
    try {
      result = await resolve(client, name, question.type, question.name.replace(/\.$/, ""));
    } catch {
      result = { rcode: "SERVFAIL", answers: [] };
    }
    queries.push({
      name,
      type: question.type,
      transport,
      rcode: result.rcode,
      answers: result.answers.length,
      ...(result.zoneId ? { zoneId: result.zoneId } : {}),
    });
    // Authoritative for its zones; the recursion-desired bit echoed, as RFC 1035 asks; the RCODE in the low 4 bits
    // (dns-packet encodes it from the flags only).
    const flags =
      (result.zoneId ? dnsPacket.AUTHORITATIVE_ANSWER : 0) |
      ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) |
      RCODES[result.rcode];
    return dnsPacket.encode({
      type: "response",
      id: query.id ?? 0,
      flags,
      questions: [question],
      answers: result.answers,
    } as dnsPacket.Packet);
  };

  const connections = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    connections.add(socket);
    socket.once("close", () => connections.delete(socket));
    serveTcp(socket, (request) => answer(request, "tcp"));
  });
  const { udp, port } = await listenBoth(tcp, options.port);
  udp.on("message", (message, peer) => {
    void answer(message, "udp").then((response) => {
      if (response) udp.send(response, peer.port, peer.address);
    });
  });
  let stopped = false;
  return {
    address: `127.0.0.1:${port}`,
    port,
    queries,
    async stop() {
      if (stopped) return;
      stopped = true;
      // A client may keep its connection open (DNS over TCP allows it): closed here, or close() would wait for it.
      for (const socket of connections) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}

interface Resolution {
  rcode: Route53DnsQuery["rcode"];
  answers: dnsPacket.Answer[];
  zoneId?: string;
}

/** RFC 1035 4.1.1 response codes. */
const RCODES: Record<Route53DnsQuery["rcode"], number> = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 };

/** How many CNAMEs are followed before the answer stops (a loop in the zone data ends here). */
const MAX_CNAME_CHAIN = 8;

/** `asked` is the name as the question spelled it: the answer's owner name echoes its case, as name servers do. */
async function resolve(client: Route53Client, name: string, type: string, asked: string): Promise<Resolution> {
  const zones = await publicZones(client);
  const answers: dnsPacket.Answer[] = [];
  let current = name;
  let firstZone: string | undefined;
  for (let hop = 0; hop <= MAX_CNAME_CHAIN; hop++) {
    const zone = zoneFor(zones, current);
    if (!zone) return hop === 0 ? { rcode: "REFUSED", answers } : { rcode: "NOERROR", answers, zoneId: firstZone };
    firstZone ??= zone.Id;
    const sets = (await recordSets(client, zone.Id as string)).filter((s) => normalize(s.Name ?? "") === current);
    if (sets.length === 0) {
      return { rcode: hop === 0 ? "NXDOMAIN" : "NOERROR", answers, zoneId: firstZone };
    }
    const cname = sets.find((s) => s.Type === "CNAME");
    if (cname && type !== "CNAME") {
      answers.push(...toAnswers(hop === 0 ? asked : current, cname));
      current = normalize(cname.ResourceRecords?.[0]?.Value ?? "");
      continue;
    }
    for (const set of sets) if (set.Type === type) answers.push(...toAnswers(hop === 0 ? asked : current, set));
    return { rcode: "NOERROR", answers, zoneId: firstZone };
  }
  return { rcode: "NOERROR", answers, zoneId: firstZone };
}

async function publicZones(client: Route53Client): Promise<HostedZone[]> {
  const zones: HostedZone[] = [];
  let marker: string | undefined;
  do {
    const page = await client.send(new ListHostedZonesCommand(marker ? { Marker: marker } : {}));
    zones.push(...(page.HostedZones ?? []).filter((z) => !z.Config?.PrivateZone));
    marker = page.IsTruncated ? page.NextMarker : undefined;
  } while (marker);
  return zones;
}

/** The zone whose name is the longest suffix of `name` (at a label boundary). */
function zoneFor(zones: readonly HostedZone[], name: string): HostedZone | undefined {
  let best: HostedZone | undefined;
  for (const zone of zones) {
    const zoneName = normalize(zone.Name ?? "");
    if (name !== zoneName && !name.endsWith(`.${zoneName}`)) continue;
    if (!best || zoneName.length > normalize(best.Name ?? "").length) best = zone;
  }
  return best;
}

async function recordSets(client: Route53Client, zoneId: string): Promise<ResourceRecordSet[]> {
  const sets: ResourceRecordSet[] = [];
  let start: { StartRecordName?: string; StartRecordType?: ResourceRecordSet["Type"] } = {};
  for (;;) {
    const page = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, ...start }));
    sets.push(...(page.ResourceRecordSets ?? []));
    if (!page.IsTruncated || !page.NextRecordName) return sets;
    start = { StartRecordName: page.NextRecordName, StartRecordType: page.NextRecordType };
  }
}

function toAnswers(name: string, set: ResourceRecordSet): dnsPacket.Answer[] {
  const type = set.Type as AnsweredType;
  if (!ROUTE53_DNS_TYPES.includes(type)) return [];
  const ttl = set.TTL ?? 300;
  return (set.ResourceRecords ?? []).map((record) => {
    const value = record.Value ?? "";
    if (type === "TXT") return { type, name, ttl, class: "IN", data: txtStrings(value) } as dnsPacket.Answer;
    if (type === "CNAME") return { type, name, ttl, class: "IN", data: normalize(value) } as dnsPacket.Answer;
    return { type, name, ttl, class: "IN", data: value } as dnsPacket.Answer;
  });
}

/**
 * The character-strings of a Route 53 TXT value: one or more double-quoted strings separated by spaces, with `\"` and
 * `\\` escaped and `\ooo` octal escapes; an unquoted value is one string.
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/ResourceRecordTypes.html#TXTFormat
 */
export function txtStrings(value: string): string[] {
  const trimmed = value.trim();
  if (!trimmed.startsWith('"')) return [trimmed];
  const strings: string[] = [];
  for (const m of trimmed.matchAll(/"((?:[^"\\]|\\.)*)"/g)) strings.push(decodeEscapes(m[1] ?? ""));
  return strings;
}

/** A name as compared: lower case, `\ooo` escapes decoded (Route 53 writes `*` as `\052`), no trailing dot. */
function normalize(name: string): string {
  return decodeEscapes(name).toLowerCase().replace(/\.$/, "");
}

function decodeEscapes(text: string): string {
  return text.replace(/\\([0-7]{3}|.)/g, (_, esc: string) =>
    esc.length === 3 ? String.fromCharCode(Number.parseInt(esc, 8)) : esc,
  );
}

/** Reads length-prefixed messages (RFC 1035 4.2.2) from one connection and answers each in turn. */
function serveTcp(socket: net.Socket, answer: (request: Buffer) => Promise<Buffer | undefined>): void {
  let pending = Buffer.alloc(0);
  let chain = Promise.resolve();
  socket.on("error", () => socket.destroy());
  socket.on("data", (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 2) {
      const length = pending.readUInt16BE(0);
      if (pending.length < 2 + length) break;
      const request = pending.subarray(2, 2 + length);
      pending = pending.subarray(2 + length);
      chain = chain.then(async () => {
        const response = await answer(request);
        if (!response || socket.destroyed) return;
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(response.length);
        socket.write(Buffer.concat([prefix, response]));
      });
    }
  });
}

/** Binds UDP and TCP on one loopback port: `port`, or a free one (tried again when TCP finds it taken). */
async function listenBoth(tcp: net.Server, port: number | undefined): Promise<{ udp: dgram.Socket; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const udp = dgram.createSocket("udp4");
    const bound = await new Promise<number>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(port ?? 0, "127.0.0.1", () => {
        udp.removeListener("error", reject);
        resolve(udp.address().port);
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once("error", reject);
        tcp.listen(bound, "127.0.0.1", () => {
          tcp.removeListener("error", reject);
          resolve();
        });
      });
      return { udp, port: bound };
    } catch (err) {
      if (port !== undefined || attempt >= 5) {
        udp.close();
        throw err;
      }
      // The free UDP port is taken for TCP: a new UDP socket on another port.
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    }
  }
}
