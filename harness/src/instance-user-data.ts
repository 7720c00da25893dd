/**
 * The user data a deployed instance would run at first boot, read back from EC2 as the instance itself would get it.
 */
import { DescribeInstanceAttributeCommand, EC2Client } from "@aws-sdk/client-ec2";
import { localStackClientConfig } from "./localstack";

/**
 * Reads an instance's user data from the emulator (EC2 DescribeInstanceAttribute `userData`, which answers base64)
 * and decodes it as UTF-8: the script cloud-init would run, as the engine deployed it.
 *
 * @param instanceId - the instance, for example a stack's `instanceId` output
 * @returns the script text; `undefined` when the instance has no user data
 * @example
 * ```ts
 * const script = await instanceUserData(instanceId); // "#!/bin/bash\nset -euo pipefail\n…"
 * ```
 * @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceAttribute.html
 */
export async function instanceUserData(instanceId: string): Promise<string | undefined> {
  const ec2 = new EC2Client(localStackClientConfig());
  const got = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: "userData" }));
  const held = got.UserData?.Value;
  return held ? Buffer.from(held, "base64").toString("utf8") : undefined;
}
