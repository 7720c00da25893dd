import assert from "node:assert/strict";
import { DescribeInstanceAttributeCommand, EC2Client } from "@aws-sdk/client-ec2";
import { GetHostedZoneCommand, Route53Client } from "@aws-sdk/client-route-53";
import { scan } from "@keyless/scanner";
import { localStackClientConfig } from "@keyless/testing";
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
        const statements = await inlineStatements(role);
        const bareZoneId = zoneId.replace(/^\/hostedzone\//, "");
        assert.deepEqual(grants(statements), [
          "route53:ChangeResourceRecordSets arn:aws:route53:::hostedzone/" + bareZoneId,
          "route53:GetChange arn:aws:route53:::change/*",
          "route53:ListHostedZones *",
        ]);
        const change = statements.find((s) => s.Action.includes("route53:ChangeResourceRecordSets"));
        assert.deepEqual(change?.Condition, {
          "ForAllValues:StringEquals": {
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["_acme-challenge.certs.keyless-example.test"],
            "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"],
          },
        });
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
      },
    });
  });
});
