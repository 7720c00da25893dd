import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { DescribeInstanceAttributeCommand, EC2Client } from "@aws-sdk/client-ec2";
import { GetHostedZoneCommand, Route53Client } from "@aws-sdk/client-route-53";
import { scan } from "@keyless/scanner";
import { localStackClientConfig } from "@keyless/testing";
import { runCertbotWorkload } from "./certbot-workload";
import { assertInstanceOnRole, attachedPolicyArns, grants, inlineStatements, runExampleJourney } from "./support";

describe("examples/route53-certbot", function () {
  this.timeout(300_000);

  it("lets certbot's dns-route53 plugin answer for one zone, with no credentials configured", async () => {
    await runExampleJourney({
      example: "route53-certbot",
      services: ["iam", "sts", "ec2", "route53"],
      config: { domain: "certs.keyless-example.test" },
      async verify(out) {
        const zoneId = out["zoneId"] as string;
        const role = out["roleName"] as string;
        const profile = out["instanceProfile"] as string;
        const instanceId = out["instanceId"] as string;

        const zone = await new Route53Client(localStackClientConfig()).send(new GetHostedZoneCommand({ Id: zoneId }));
        assert.equal(zone.HostedZone?.Name, "certs.keyless-example.test.");

        await assertInstanceOnRole(instanceId, profile, role);

        // Exactly what the plugin calls, and ChangeResourceRecordSets only on this zone's challenge TXT record.
        const bareZoneId = zoneId.replace(/^\/hostedzone\//, "");
        assert.deepEqual(grants(await inlineStatements(role)), [
          `route53:ChangeResourceRecordSets arn:aws:route53:::hostedzone/${bareZoneId} when ` +
            'ForAllValues:StringEquals route53:ChangeResourceRecordSetsNormalizedRecordNames ["_acme-challenge.certs.keyless-example.test"] and ' +
            'ForAllValues:StringEquals route53:ChangeResourceRecordSetsRecordTypes ["TXT"]',
          "route53:GetChange arn:aws:route53:::change/*",
          "route53:ListHostedZones *",
        ]);
        assert.deepEqual(await attachedPolicyArns(role), []);

        // The instance's user data installs and runs certbot, and configures no credentials.
        const ec2 = new EC2Client(localStackClientConfig());
        const attr = await ec2.send(
          new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: "userData" }),
        );
        let userData = Buffer.from(attr.UserData?.Value ?? "", "base64").toString("utf8");
        // moto stores user data base64-encoded and DescribeInstanceAttribute encodes it once more.
        if (!userData.startsWith("#!")) userData = Buffer.from(userData, "base64").toString("utf8");
        assert.match(userData, /pip install --quiet certbot certbot-dns-route53/);
        assert.match(userData, /certbot certonly --dns-route53 .* -d certs\.keyless-example\.test/);
        assert.doesNotMatch(userData, /aws_access_key_id|AWS_ACCESS_KEY_ID|aws configure/i);
        assert.equal(scan(userData).length, 0, "the keyless scanner must find no credential in the user data");

        // The workload: certbot, as the user data runs it, through the instance role from IMDSv2, on Route 53.
        await assertCertbotObtainsCertificate(instanceId, zoneId, "certs.keyless-example.test");
      },
    });
  });
});

/**
 * certbot obtains a certificate for `domain` from pebble, having written the DNS-01 challenge into the zone through
 * Route 53 (pebble read it over DNS from the zone's record sets) and removed it afterwards, with no key in its
 * environment or files: boto3 can only have signed its Route 53 calls with the credentials IMDS served.
 */
const bare = (zoneId: string | undefined) => zoneId?.replace(/^\/hostedzone\//, "");

async function assertCertbotObtainsCertificate(instanceId: string, zoneId: string, domain: string): Promise<void> {
  const run = await runCertbotWorkload(instanceId, zoneId, domain);
  console.log(`      certbot obtained its certificate in ${run.durationMs} ms`);
  assert.equal(run.exitCode, 0, `certbot must succeed:\n${run.output}`);

  // The certificate: for the name, issued by pebble's intermediate, which its root signed.
  assert.ok(run.certificatePem && run.chainPem, "certbot must write live/<domain>/cert.pem and chain.pem");
  const cert = new X509Certificate(run.certificatePem);
  const intermediate = new X509Certificate(run.issuer.intermediate);
  const root = new X509Certificate(run.issuer.root);
  assert.equal(cert.subjectAltName, `DNS:${domain}`);
  assert.ok(cert.checkIssued(intermediate) && cert.verify(intermediate.publicKey), "issued by pebble's intermediate");
  assert.ok(intermediate.verify(root.publicKey), "pebble's intermediate is signed by its root");
  assert.equal(new X509Certificate(run.chainPem).fingerprint256, intermediate.fingerprint256);
  assert.ok(Date.parse(cert.validTo) > Date.now(), "the certificate is valid now");

  // The challenge record went into the zone through Route 53, pebble read it from there, and certbot removed it.
  const challenge = `_acme-challenge.${domain}`;
  assert.ok(run.challengeRecordSeen, `${challenge} TXT must appear in the zone while certbot runs`);
  assert.equal(run.challengeRecordAtEnd, false, `${challenge} TXT must be removed from the zone`);
  const asked = run.dnsQueries.filter((q) => q.name === challenge && q.type === "TXT");
  assert.ok(asked.length > 0, "pebble must validate by asking DNS for the challenge record");
  assert.ok(
    asked.every((q) => q.rcode === "NOERROR" && q.answers === 1 && bare(q.zoneId) === bare(zoneId)),
    `the DNS server must answer the challenge from the zone's record set: ${JSON.stringify(asked)}`,
  );

  // Every AWS call certbot made was to Route 53, signed by the key IMDS delivered and by no other: the plugin's calls,
  // the challenge written (UPSERT) and deleted, each change followed until INSYNC.
  assert.ok(run.servedKeyFingerprint, "IMDS must serve credentials");
  assert.deepEqual(
    run.calls.map((c) => `${c.service} ${c.keyFingerprint === run.servedKeyFingerprint ? "served key" : "OTHER KEY"}`),
    run.calls.map(() => "route53 served key"),
  );
  const operations = run.calls.map((c) =>
    c.operation
      .replace(/\/hostedzone\/[^/]+\/rrset\/?$/, "/hostedzone/<zone>/rrset")
      .replace(/\/change\/.*$/, "/change/<id>"),
  );
  assert.deepEqual([...new Set(operations)].sort(), [
    "GET /2013-04-01/change/<id>",
    "GET /2013-04-01/hostedzone",
    "POST /2013-04-01/hostedzone/<zone>/rrset",
  ]);
  assert.equal(operations.filter((o) => o.startsWith("POST")).length, 2, "the challenge written, then deleted");

  // No key anywhere: no credential variable; no key in certbot's account, certificate or renewal files; the secret
  // that signs in no file at all. certbot writes a DEBUG log whatever its flags, and botocore logs each request's
  // headers there: the log holds the role session's temporary key id (ASIA) and session token, useless without the
  // secret, in a directory only its owner reads.
  assert.deepEqual(
    Object.keys(run.env).filter((k) => /^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE)$/.test(k)),
    [],
  );
  assert.deepEqual(
    scan(
      Object.entries(run.env)
        .map(([k, v]) => `${k}=${v}`)
        .join("\n"),
    ),
    [],
  );
  const notLogs = run.files.filter(([name]) => !name.startsWith("logs/"));
  assert.ok(
    notLogs.some(([name]) => name === `config/live/${domain}/cert.pem`),
    "certbot's files are read back",
  );
  const flagged = notLogs.filter(([, text]) => scan(text).some((f) => f.kind.startsWith("aws-")));
  assert.deepEqual(
    flagged.map(([name]) => name),
    [],
    "the keyless scanner must find no AWS key in certbot's files",
  );
  assert.deepEqual(run.filesHoldingServedSecret, [], "no file of certbot's may hold the secret IMDS served");
  assert.deepEqual(run.filesHoldingServedKeyId, ["logs/letsencrypt.log"]);
  const logged = run.files
    .filter(([name]) => name.startsWith("logs/"))
    .flatMap(([, text]) => scan(text).map((f) => (f.kind === "aws-access-key-id" ? `${f.kind} ${f.preview}` : f.kind)));
  // botocore logs each request's headers at DEBUG: the key id only inside the Authorization header's credential scope
  // (the public half of a signed request, not a finding), the session token also on its own (a finding).
  assert.deepEqual([...new Set(logged)].sort(), ["aws-session-token"]);
  assert.equal(run.logsDirMode, 0o700, "certbot's logs directory is readable by its owner only");
}
