/**
 * What moto does not decide about AssumeRole into a member account: moto hands out credentials for any role ARN, the
 * role there or not ("the role does not need to exist", moto's `assume_role`), and switches to the ARN's account. AWS
 * refuses AssumeRole into a role that does not exist with `AccessDenied` (403), as it refuses one whose trust does not
 * admit the caller. {@link memberRoleMustExist} gives a {@link startSigningRecorder} in front of moto that refusal;
 * the trust policy itself is not evaluated (moto evaluates it only inside the caller's own account).
 */
import { GetRoleCommand, IAMClient, NoSuchEntityException } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { LOCALSTACK_CREDENTIALS } from "./localstack";
import { parseRoleArn } from "./oidc/directory";
import { stsErrorResponse } from "./oidc/sts-errors";
import type { RecorderAnswer, SignedCall } from "./signing-recorder";

/** The role moto lets the harness assume in any account to read that account's IAM (moto needs no such role). */
const PROBE_ROLE = "keyless-harness-directory";

/**
 * An `answer` for {@link startSigningRecorder} in front of moto (`upstream`): `AssumeRole` into a role that does not
 * exist in its account is refused as AWS refuses it (`AccessDenied`, 403, STS's XML error); every other request goes
 * on to moto. The role is looked up in its own account: with credentials moto issues for that account.
 *
 * @example
 * ```ts
 * const front = await startSigningRecorder({ upstream: motoEndpoint(), answer: memberRoleMustExist(motoEndpoint()) });
 * ```
 */
export function memberRoleMustExist(
  upstream: string,
): (call: SignedCall, body: Buffer) => Promise<RecorderAnswer | undefined> {
  const region = "us-east-1";
  const sts = new STSClient({ endpoint: upstream, region, credentials: LOCALSTACK_CREDENTIALS });
  return async (call, body) => {
    if (call.service !== "sts" || call.operation !== "AssumeRole") return undefined;
    const roleArn = new URLSearchParams(body.toString("utf8")).get("RoleArn") ?? "";
    const role = parseRoleArn(roleArn);
    if (role === undefined) return undefined; // moto answers a malformed ARN itself
    const probe = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${role.account}:role/${PROBE_ROLE}`,
        RoleSessionName: "keyless-harness",
      }),
    );
    const c = probe.Credentials;
    const iam = new IAMClient({
      endpoint: upstream,
      region,
      credentials: {
        accessKeyId: c?.AccessKeyId ?? "",
        secretAccessKey: c?.SecretAccessKey ?? "",
        sessionToken: c?.SessionToken,
      },
    });
    try {
      await iam.send(new GetRoleCommand({ RoleName: role.name }));
      return undefined;
    } catch (err) {
      if (!(err instanceof NoSuchEntityException)) throw err;
      return stsErrorResponse({
        code: "AccessDenied",
        status: 403,
        message: `Not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      });
    } finally {
      iam.destroy();
    }
  };
}
