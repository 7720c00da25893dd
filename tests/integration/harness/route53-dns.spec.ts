/**
 * The harness's DNS server that answers from LocalStack's Route 53: what a resolver (pebble's) sees over UDP and TCP,
 * read live from the zone's record sets.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import net from "node:net";
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  type ResourceRecordSet,
  Route53Client,
} from "@aws-sdk/client-route-53";
import {
  localStackClientConfig,
  type Route53DnsServer,
  requireLocalStack,
  serveRoute53Dns,
  txtStrings,
} from "@keyless/testing";
import * as dnsPacket from "dns-packet";

const ZONE = `dns-${Date.now().toString(36)}.keyless-example.test`;

async function ask(server: Route53DnsServer, name: string, type: string, transport: "udp" | "tcp") {
  const packet: dnsPacket.Packet = {
    type: "query",
    id: 4242,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as "TXT" }],
  };
  const query = dnsPacket.encode(packet);
  const raw =
    transport === "udp"
      ? await new Promise<Buffer>((resolve, reject) => {
          const socket = dgram.createSocket("udp4");
          socket.once("message", (message) => {
            socket.close();
            resolve(message);
          });
          socket.once("error", reject);
          socket.send(query, server.port, "127.0.0.1");
        })
      : await new Promise<Buffer>((resolve, reject) => {
          const socket = net.connect(server.port, "127.0.0.1");
          let got = Buffer.alloc(0);
          socket.on("data", (chunk) => {
            got = Buffer.concat([got, chunk]);
            if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
              socket.end();
              resolve(got.subarray(2, 2 + got.readUInt16BE(0)));
            }
          });
          socket.once("error", reject);
          socket.write(dnsPacket.streamEncode(packet));
        });
  const answer = dnsPacket.decode(raw);
  assert.equal(answer.id, 4242);
  return answer;
}

/** dns-packet decodes the RCODE, which its types do not declare. */
const rcode = (packet: dnsPacket.Packet) => (packet as { rcode?: string }).rcode;

const summary = (packet: dnsPacket.Packet) => ({
  rcode: rcode(packet),
  answers: (packet.answers ?? []).map((a) => {
    const data = "data" in a ? a.data : undefined;
    const text = Array.isArray(data) ? data.map((d) => d.toString()) : data?.toString();
    return `${a.name} ${a.type} ${"ttl" in a ? a.ttl : ""} ${JSON.stringify(text)}`;
  }),
});

describe("harness: serveRoute53Dns", function () {
  this.timeout(60_000);
  const route53 = new Route53Client(localStackClientConfig());
  let zoneId = "";
  let server: Route53DnsServer;

  const change = (action: "UPSERT" | "DELETE", set: ResourceRecordSet) =>
    route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: { Changes: [{ Action: action, ResourceRecordSet: set }] },
      }),
    );
  const txt: ResourceRecordSet = {
    Name: `_acme-challenge.${ZONE}`,
    Type: "TXT",
    TTL: 10,
    ResourceRecords: [{ Value: '"first" "say \\"hi\\""' }, { Value: '"second"' }],
  };

  before(async () => {
    await requireLocalStack(["route53"]);
    const zone = await route53.send(new CreateHostedZoneCommand({ Name: ZONE, CallerReference: ZONE }));
    zoneId = zone.HostedZone?.Id ?? "";
    await change("UPSERT", { Name: `www.${ZONE}`, Type: "A", TTL: 60, ResourceRecords: [{ Value: "192.0.2.7" }] });
    await change("UPSERT", {
      Name: `alias.${ZONE}`,
      Type: "CNAME",
      TTL: 60,
      ResourceRecords: [{ Value: `www.${ZONE}` }],
    });
    server = await serveRoute53Dns();
  });

  after(async () => {
    await server?.stop();
    const www: ResourceRecordSet = {
      Name: `www.${ZONE}`,
      Type: "A",
      TTL: 60,
      ResourceRecords: [{ Value: "192.0.2.7" }],
    };
    const alias: ResourceRecordSet = {
      Name: `alias.${ZONE}`,
      Type: "CNAME",
      TTL: 60,
      ResourceRecords: [{ Value: `www.${ZONE}` }],
    };
    // The TXT record is already gone unless a test failed half way.
    for (const set of [www, alias, txt]) await change("DELETE", set).catch(() => undefined);
    await route53.send(new DeleteHostedZoneCommand({ Id: zoneId }));
  });

  it("answers a TXT record written through Route 53 at once, over UDP and TCP, and stops once it is deleted", async () => {
    const name = `_acme-challenge.${ZONE}`;
    assert.equal(rcode(await ask(server, name, "TXT", "tcp")), "NXDOMAIN");
    await change("UPSERT", txt);
    const expected = {
      rcode: "NOERROR",
      answers: [`${name} TXT 10 ["first","say \\"hi\\""]`, `${name} TXT 10 ["second"]`],
    };
    for (const transport of ["udp", "tcp"] as const) {
      const answer = await ask(server, name.toUpperCase(), "TXT", transport);
      assert.deepEqual(summary({ ...answer, answers: answer.answers }), {
        ...expected,
        answers: expected.answers.map((a) => a.replace(name, name.toUpperCase())),
      });
      assert.ok((answer.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER, "authoritative for its zone");
    }
    await change("DELETE", txt);
    assert.equal(rcode(await ask(server, name, "TXT", "udp")), "NXDOMAIN");
    assert.deepEqual(
      server.queries.filter((q) => q.name === name).map((q) => `${q.transport} ${q.rcode} ${q.answers}`),
      ["tcp NXDOMAIN 0", "udp NOERROR 2", "tcp NOERROR 2", "udp NXDOMAIN 0"],
    );
  });

  it("follows a CNAME within the zones, answers an existing name's other types empty, refuses other names", async () => {
    assert.deepEqual(summary(await ask(server, `alias.${ZONE}`, "A", "udp")), {
      rcode: "NOERROR",
      answers: [`alias.${ZONE} CNAME 60 "www.${ZONE}"`, `www.${ZONE} A 60 "192.0.2.7"`],
    });
    assert.deepEqual(summary(await ask(server, `www.${ZONE}`, "TXT", "udp")), { rcode: "NOERROR", answers: [] });
    assert.deepEqual(summary(await ask(server, "example.org", "A", "tcp")), { rcode: "REFUSED", answers: [] });
  });

  it("reads Route 53's TXT presentation format into character-strings", () => {
    assert.deepEqual(txtStrings('"a" "b c"'), ["a", "b c"]);
    assert.deepEqual(txtStrings('"say \\"hi\\" \\\\ \\101"'), ['say "hi" \\ A']);
    assert.deepEqual(txtStrings("unquoted"), ["unquoted"]);
  });
});
