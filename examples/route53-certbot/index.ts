// certbot's dns-route53 plugin proves control of a domain by writing a TXT record. Its role may list zones, follow the
// change it made, and change record sets in one zone: nothing else, and no key anywhere. certbot uses boto3, which
// finds the instance role through IMDSv2 by itself.
import { SecureInstance } from "@keyless/aws";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const domain = config.get("domain") ?? "keyless-example.test";
const email = config.get("email") ?? `admin@${domain}`;
if (!/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(domain)) {
  throw new Error(`config \`domain\` must be a lower-case DNS name such as "example.com"; got "${domain}".`);
}
if (!/^[^@\s"'`$\\]+@[^@\s"'`$\\]+$/.test(email)) {
  throw new Error(`config \`email\` must be an email address; got "${email}".`);
}

// The zone certbot answers for. Delegate it from the registrar (its name servers are exported) for a real certificate.
const zone = new aws.route53.Zone("certbot", { name: domain, forceDestroy: true });

// Amazon Linux 2023, unless an AMI is configured (`pulumi config set ami ami-...`).
const al2023 = [{ name: "name", values: ["al2023-ami-2023.*-x86_64"] }];
const ami = config.get("ami") ?? aws.ec2.getAmiOutput({ owners: ["amazon"], mostRecent: true, filters: al2023 }).id;

const certbot = new SecureInstance("certbot", {
  ami,
  instanceType: config.get("instanceType") ?? "t3.micro",
  permissions: {
    statements: [
      // The plugin looks the zone up by name: ListHostedZones has no resource-level permissions.
      { sid: "FindZone", actions: ["route53:ListHostedZones"], resources: ["*"] },
      // It waits until its change is INSYNC.
      { sid: "FollowChange", actions: ["route53:GetChange"], resources: ["arn:aws:route53:::change/*"] },
      // It writes (and then deletes) the TXT record of the challenge, in this zone only, and only that record.
      {
        sid: "AnswerChallenge",
        actions: ["route53:ChangeResourceRecordSets"],
        resources: [zone.arn],
        conditions: {
          "ForAllValues:StringEquals": {
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": [`_acme-challenge.${domain}`],
            "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"],
          },
        },
      },
    ],
  },
  // No credentials are configured: certbot's boto3 reads the role from IMDSv2.
  userData: [
    "#!/bin/bash",
    "set -euo pipefail",
    "dnf install -y python3-pip",
    "python3 -m pip install --quiet certbot certbot-dns-route53",
    `certbot certonly --dns-route53 --non-interactive --agree-tos -m ${email} -d ${domain}`,
    "",
  ].join("\n"),
});

export const zoneId = zone.zoneId;
export const nameServers = zone.nameServers;
export const instanceId = certbot.instanceId;
export const instanceProfile = certbot.instanceProfileName;
export const roleName = certbot.role?.name;
