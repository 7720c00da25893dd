/**
 * The ECS agent's container credentials endpoint as the harness serves it, without an emulator: its answers over HTTP,
 * the token check, and the AWS SDK v3 `fromHttp` provider (the copy the default chain loads) reading it.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import path from "node:path";
import {
  agentExpiration,
  type ContainerCredentialsBody,
  type CredentialsEndpoint,
  startCredentialsEndpoint,
} from "../../../harness/src/container-credentials-endpoint";

const ID = "0f6a3c57-2a9e-4a57-9d3c-6f7c5b0e9d21";

type FromHttp = (init: {
  awsContainerCredentialsFullUri?: string;
  awsContainerAuthorizationToken?: string;
  maxRetries?: number;
}) => () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date }>;

/** The `fromHttp` the SDK's default chain (credential-provider-node, as client-sts resolves it) loads. */
function sdkFromHttp(): FromHttp {
  const sts = path.dirname(require.resolve("@aws-sdk/client-sts"));
  const node = path.dirname(require.resolve("@aws-sdk/credential-provider-node", { paths: [sts] }));
  return (require(require.resolve("@aws-sdk/credential-provider-http", { paths: [node] })) as { fromHttp: FromHttp })
    .fromHttp;
}

describe("harness: the ECS container credentials endpoint", () => {
  const token = randomBytes(32).toString("base64url");
  const body: ContainerCredentialsBody = {
    RoleArn: "arn:aws:iam::111122223333:role/app-task",
    AccessKeyId: `ASIA${randomBytes(8).toString("hex").toUpperCase()}`,
    SecretAccessKey: randomBytes(30).toString("base64"),
    Token: randomBytes(60).toString("base64"),
    Expiration: agentExpiration(new Date(Date.now() + 3_600_000)),
  };
  let endpoint: CredentialsEndpoint;
  const asked: string[] = [];

  before(async () => {
    endpoint = await startCredentialsEndpoint({
      authorizationToken: token,
      credentialsFor: async (id) => {
        asked.push(id);
        return id === ID ? body : undefined;
      },
    });
  });
  after(() => endpoint.close());
  beforeEach(() => {
    asked.length = 0;
  });

  async function get(p: string, authorization?: string): Promise<{ status: number; text: string }> {
    const res = await fetch(`${endpoint.origin}${p}`, {
      headers: authorization === undefined ? {} : { Authorization: authorization },
    });
    return { status: res.status, text: await res.text() };
  }

  it("answers the task's id with the agent's body: RoleArn, AccessKeyId, SecretAccessKey, Token, Expiration", async () => {
    const got = await get(`/v2/credentials/${ID}`, token);
    assert.equal(got.status, 200);
    assert.deepEqual(Object.keys(JSON.parse(got.text)).sort(), [
      "AccessKeyId",
      "Expiration",
      "RoleArn",
      "SecretAccessKey",
      "Token",
    ]);
    assert.deepEqual(JSON.parse(got.text), body);
    assert.match(body.Expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const record = endpoint.requests.at(-1);
    assert.equal(record?.status, 200);
    assert.match(record?.keyFingerprint ?? "", /^[0-9a-f]{12}$/);
    assert.ok(!JSON.stringify(endpoint.requests).includes(body.AccessKeyId), "the record must not hold the key id");
  });

  it("refuses a request without the token (401) or with another (403), before looking at the id", async () => {
    const none = await get(`/v2/credentials/${ID}`);
    const other = await get(`/v2/credentials/${ID}`, randomBytes(32).toString("base64url"));
    assert.equal(none.status, 401);
    assert.equal(other.status, 403);
    assert.equal(JSON.parse(none.text).code, "AccessDenied");
    assert.equal(JSON.parse(other.text).code, "AccessDenied");
    assert.deepEqual(asked, [], "no credentials may be looked up for a request with a wrong token");
    for (const answer of [none, other]) {
      assert.ok(!answer.text.includes(token), "an answer must never quote the token");
      assert.ok(!answer.text.includes(body.AccessKeyId), "a refused request must see no credential");
    }
  });

  it("answers an id it holds nothing for as the agent does: 400 InvalidIdInRequest; no id: 400 NoIdInRequest", async () => {
    const unknown = await get("/v2/credentials/5d1b0ad5-0000-4000-8000-000000000000", token);
    assert.equal(unknown.status, 400);
    assert.deepEqual(JSON.parse(unknown.text), {
      code: "InvalidIdInRequest",
      message: "CredentialsV2Request: Credentials not found",
      HTTPErrorCode: 400,
    });
    const empty = await get("/v2/credentials/", token);
    assert.equal(empty.status, 400);
    assert.equal(JSON.parse(empty.text).code, "NoIdInRequest");
    const v1 = await get(`/v1/credentials?id=${ID}`, token);
    assert.equal(v1.status, 200, "the agent's v1 path (`?id=`) serves the same id");
    assert.equal(JSON.parse(v1.text).AccessKeyId, body.AccessKeyId);
  });

  it("is read by the SDK's fromHttp on 127.0.0.1 with the token, and refused by it with another token", async () => {
    const fromHttp = sdkFromHttp();
    const creds = await fromHttp({
      awsContainerCredentialsFullUri: `${endpoint.origin}/v2/credentials/${ID}`,
      awsContainerAuthorizationToken: token,
      maxRetries: 0,
    })();
    assert.equal(creds.accessKeyId, body.AccessKeyId);
    assert.equal(creds.sessionToken, body.Token);
    assert.equal(creds.expiration?.toISOString(), body.Expiration.replace("Z", ".000Z"));

    const wrong = randomBytes(32).toString("base64url");
    await assert.rejects(
      fromHttp({
        awsContainerCredentialsFullUri: `${endpoint.origin}/v2/credentials/${ID}`,
        awsContainerAuthorizationToken: wrong,
        maxRetries: 0,
      })(),
      (err: Error) => /status: 403/.test(err.message) && !err.message.includes(wrong),
    );
  });

  it("is only reachable by plain HTTP on loopback: the SDK refuses another http host before any request", async () => {
    const fromHttp = sdkFromHttp();
    // fromHttp checks the URL when it is created: 192.0.2.10 (TEST-NET-1) is never contacted.
    await assert.rejects(
      async () =>
        fromHttp({ awsContainerCredentialsFullUri: `http://192.0.2.10/v2/credentials/${ID}`, maxRetries: 0 })(),
      /URL not accepted/,
    );
  });
});
