/**
 * The IAM subtree of an instance's metadata service, written as EC2 writes it: `iam/info`, the
 * `iam/security-credentials/` listing and the `iam/security-credentials/<role>` document, on success and when EC2
 * cannot assume the role.
 *
 * What EC2 serves when the role's trust does not admit `ec2.amazonaws.com` (no AWS page shows all of it; from captures
 * on real instances):
 * - `iam/info` stays `"Code" : "Success"` with `InstanceProfileArn` and `InstanceProfileId`: it is about the instance
 *   profile, which is fine (a 2020 capture shows it so next to the failing credentials document).
 * - `iam/security-credentials/` still lists the role: botocore read the role name from it and then failed on the
 *   document with `KeyError: 'AccessKeyId'` (aws/aws-cli issue 2060).
 * - `iam/security-credentials/<role>` answers HTTP 200 with `Code`, `Message` and `LastUpdated` only, no key
 *   (aws/aws-cli issue 2060; IAM User Guide, "Troubleshoot Amazon EC2 and IAM": "The
 *   `iam/security-credentials/[role-name]` document indicates `"Code":"AssumeRoleUnauthorizedAccess"`").
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_iam-ec2.html#troubleshoot_iam-ec2_errors-info-doc
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-security-credentials.html
 */

/** The `Code` of `iam/security-credentials/<role>`: the credentials, or EC2 could not assume the role. */
export type IamCredentialsCode = "Success" | "AssumeRoleUnauthorizedAccess";

/**
 * EC2's `Message` when it cannot assume the role. Captures from 2016 to 2020 read "… Please see documentation at
 * http://docs.amazonwebservices.com/IAM/latest/UserGuide/RolesTroubleshooting.html."; recent SDK errors quote this
 * link instead. The two spaces between the sentences are as in every capture.
 */
export function assumeRoleUnauthorizedMessage(roleName: string): string {
  return (
    `EC2 cannot assume the role ${roleName}.  Please see documentation at ` +
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_iam-ec2.html#troubleshoot_iam-ec2_errors-info-doc."
  );
}

/** `iam/info`: the instance profile the instance holds. */
export function iamInfoDocument(profile: { arn: string; id: string }, lastUpdated: Date): string {
  return imdsJson([
    ["Code", "Success"],
    ["LastUpdated", imdsTime(lastUpdated)],
    ["InstanceProfileArn", profile.arn],
    ["InstanceProfileId", profile.id],
  ]);
}

/** `iam/security-credentials/<role>` with the role's credentials. Secret: never print it. */
export function credentialsDocument(
  c: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: Date },
  lastUpdated: Date,
): string {
  return imdsJson([
    ["Code", "Success"],
    ["LastUpdated", imdsTime(lastUpdated)],
    ["Type", "AWS-HMAC"],
    ["AccessKeyId", c.accessKeyId],
    ["SecretAccessKey", c.secretAccessKey],
    ["Token", c.sessionToken],
    ["Expiration", imdsTime(c.expiration)],
  ]);
}

/** `iam/security-credentials/<role>` when EC2 cannot assume the role: no key, a code and a message. */
export function assumeRoleUnauthorizedDocument(roleName: string, lastUpdated: Date): string {
  return imdsJson([
    ["Code", "AssumeRoleUnauthorizedAccess"],
    ["Message", assumeRoleUnauthorizedMessage(roleName)],
    ["LastUpdated", imdsTime(lastUpdated)],
  ]);
}

/** EC2's 404 page (the same in captures and in amazon-ec2-metadata-mock). */
export const IMDS_NOT_FOUND = `<?xml version="1.0" encoding="iso-8859-1"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
	"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
 <head>
  <title>404 - Not Found</title>
 </head>
 <body>
  <h1>404 - Not Found</h1>
 </body>
</html>`;

/** IMDS's time format: ISO 8601 in UTC without milliseconds. */
export function imdsTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** IMDS's JSON layout: two-space indent and `"Key" : "value"`, members in EC2's order. */
function imdsJson(members: ReadonlyArray<readonly [string, string]>): string {
  const lines = members.map(([k, v]) => `  ${JSON.stringify(k)} : ${JSON.stringify(v)}`);
  return `{\n${lines.join(",\n")}\n}`;
}
