/**
 * The STS front's decisions, through the real AWS SDK v3 STS client, without LocalStack: IAM is a directory given as
 * data, and the upstream STS is a loopback server that records what reaches it.
 */
import assert from "node:assert/strict";
import http from "node:http";
import type net from "node:net";
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import {
  eksOidcIssuerUrl,
  eksServiceAccountClaims,
  GITHUB_ACTIONS_ISSUER,
  githubActionsClaims,
  type IamOidcProvider,
  type OidcIssuer,
  type StsFront,
  serveStsFront,
  startOidcIssuer,
  type WebIdentityDirectory,
} from "@keyless/testing";

const ACCOUNT = "111122223333";
const GITHUB_PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
const DEPLOY_ROLE = `arn:aws:iam::${ACCOUNT}:role/deploy`;
const IRSA_ROLE = `arn:aws:iam::${ACCOUNT}:role/ci/payments-api`;

/** A role trusting one OIDC provider with StringEquals conditions on its claims. */
function trust(providerArn: string, equals: Record<string, string>): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: { StringEquals: equals },
      },
    ],
  });
}

/** What the upstream STS received. */
interface Received {
  readonly url: string;
  readonly body: string;
}

/** A loopback STS that answers every call with a well-formed success and records it. */
async function upstreamSts(): Promise<{ endpoint: string; received: Received[]; stop(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      received.push({ url: req.url ?? "", body });
      const action = new URLSearchParams(body).get("Action");
      const result =
        action === "AssumeRoleWithWebIdentity"
          ? "<Credentials><AccessKeyId>upstream-key-id</AccessKeyId><SecretAccessKey>upstream-secret</SecretAccessKey>" +
            "<SessionToken>upstream-session</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials>" +
            `<AssumedRoleUser><Arn>arn:aws:sts::${ACCOUNT}:assumed-role/deploy/run-1</Arn>` +
            "<AssumedRoleId>AROAUPSTREAM:run-1</AssumedRoleId></AssumedRoleUser>"
          : `<Arn>arn:aws:iam::${ACCOUNT}:user/upstream</Arn><UserId>AIDAUPSTREAM</UserId><Account>${ACCOUNT}</Account>`;
      res.writeHead(200, { "content-type": "text/xml" });
      res.end(
        `<${action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><${action}Result>${result}</${action}Result>` +
          `<ResponseMetadata><RequestId>upstream</RequestId></ResponseMetadata></${action}Response>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    received,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The SDK error of a refused call: its name, AWS code and HTTP status (the message is checked separately). */
async function refusal(
  work: Promise<unknown>,
): Promise<{ name: string; code: string; status: number; message: string }> {
  try {
    await work;
  } catch (err) {
    const e = err as { name: string; Code?: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, code: e.Code ?? e.name, status: e.$metadata?.httpStatusCode ?? 0, message: e.message };
  }
  assert.fail("STS admitted a token it must refuse");
}

describe("harness: the STS front decides AssumeRoleWithWebIdentity as AWS does", () => {
  let github: OidcIssuer;
  let eks: OidcIssuer;
  let impostor: OidcIssuer;
  let upstream: Awaited<ReturnType<typeof upstreamSts>>;
  let front: StsFront;
  let sts: STSClient;
  let eksProvider: string;

  before(async () => {
    github = await startOidcIssuer({ issuer: GITHUB_ACTIONS_ISSUER });
    eks = await startOidcIssuer({ issuer: eksOidcIssuerUrl("us-east-1") });
    // Same issuer name, its own key pair: a forger's tokens. STS is not told where its keys are.
    impostor = await startOidcIssuer({ issuer: GITHUB_ACTIONS_ISSUER });
    eksProvider = `arn:aws:iam::${ACCOUNT}:oidc-provider/${eks.issuer.replace("https://", "")}`;
    const providers: IamOidcProvider[] = [
      { arn: GITHUB_PROVIDER, url: "token.actions.githubusercontent.com", clientIds: ["sts.amazonaws.com"] },
      { arn: eksProvider, url: eks.issuer.replace("https://", ""), clientIds: ["sts.amazonaws.com"] },
    ];
    const roles: Record<string, string> = {
      [DEPLOY_ROLE]: trust(GITHUB_PROVIDER, {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:acme/payments:ref:refs/heads/main",
      }),
      [IRSA_ROLE]: trust(eksProvider, {
        [`${eks.issuer.replace("https://", "")}:sub`]: "system:serviceaccount:payments:api",
      }),
    };
    const directory: WebIdentityDirectory = {
      oidcProviders: async (account) => providers.filter((p) => p.arn.split(":")[4] === account),
      roleTrustPolicy: async (arn) => roles[arn],
    };
    upstream = await upstreamSts();
    front = await serveStsFront({ issuers: [github, eks], upstream: upstream.endpoint, directory });
    sts = new STSClient({
      endpoint: front.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
    });
  });
  after(async () => {
    sts?.destroy();
    await Promise.all([front?.stop(), upstream?.stop(), github?.stop(), eks?.stop(), impostor?.stop()]);
  });
  beforeEach(() => upstream.received.splice(0));

  const assume = (token: string, roleArn = DEPLOY_ROLE) =>
    sts.send(
      new AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: "run-1", WebIdentityToken: token }),
    );

  it("forwards an admitted request to the upstream STS unchanged, and answers what it answered", async () => {
    // GIVEN a token of the repository and branch the role trusts
    const token = await github.mint(githubActionsClaims({ repository: "acme/payments", branch: "main" }));
    // WHEN it is exchanged
    const got = await assume(token);
    // THEN the upstream's answer comes back, and the upstream saw the request as sent
    assert.equal(got.AssumedRoleUser?.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/run-1`);
    assert.equal(upstream.received.length, 1);
    const sent = new URLSearchParams(upstream.received[0]?.body);
    assert.deepEqual(
      [sent.get("Action"), sent.get("RoleArn"), sent.get("RoleSessionName")],
      ["AssumeRoleWithWebIdentity", DEPLOY_ROLE, "run-1"],
    );
    assert.ok(sent.get("WebIdentityToken") === token, "the upstream must receive the token unchanged");
    // AND the decision names the provider and the trust verdict
    const d = front.decisions.at(-1);
    assert.deepEqual([d?.admitted, d?.trust, d?.providerArn], [true, "Allow", GITHUB_PROVIDER]);
  });

  it("answers AccessDenied (403) when the trust policy does not admit the token, forwarding nothing", async () => {
    for (const claims of [
      githubActionsClaims({ repository: "acme/other", branch: "main" }),
      githubActionsClaims({ repository: "acme/payments", branch: "feature" }),
      githubActionsClaims({ repository: "acme/payments", pullRequest: 7 }),
      githubActionsClaims({ repository: "acme/payments", branch: "main", environment: "prod" }),
    ]) {
      const r = await refusal(assume(await github.mint(claims)));
      assert.deepEqual(
        [r.code, r.status, r.message],
        ["AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity"],
        claims.sub,
      );
      const d = front.decisions.at(-1);
      assert.deepEqual([d?.admitted, d?.trust, d?.subject], [false, "ImplicitDeny", claims.sub]);
    }
    // AND for a role that does not exist, the same answer (STS does not say which)
    const token = await github.mint(githubActionsClaims({ repository: "acme/payments", branch: "main" }));
    const missing = await refusal(assume(token, `arn:aws:iam::${ACCOUNT}:role/none`));
    assert.deepEqual([missing.code, missing.status], ["AccessDenied", 403]);
    assert.deepEqual(upstream.received, []);
  });

  it("evaluates an EKS service account token against a role with a path: only payments:api", async () => {
    const ok = await assume(
      await eks.mint(eksServiceAccountClaims({ namespace: "payments", serviceAccount: "api" })),
      IRSA_ROLE,
    );
    assert.ok(ok.Credentials?.AccessKeyId);
    for (const [namespace, serviceAccount] of [
      ["billing", "api"],
      ["payments", "worker"],
    ] as const) {
      const r = await refusal(
        assume(await eks.mint(eksServiceAccountClaims({ namespace, serviceAccount })), IRSA_ROLE),
      );
      assert.deepEqual([r.code, r.status], ["AccessDenied", 403], `${namespace}:${serviceAccount}`);
    }
    assert.equal(upstream.received.length, 1);
  });

  it("answers InvalidIdentityToken (400) with AWS's reasons for tokens it cannot validate", async () => {
    const claims = githubActionsClaims({ repository: "acme/payments", branch: "main" });
    const genuine = await github.mint(githubActionsClaims({ repository: "acme/payments", branch: "feature" }));
    // A payload rewritten to the trusted branch after signing: the signature no longer matches.
    const [header, , signature] = genuine.split(".");
    const rewritten = Buffer.from(JSON.stringify({ ...claims, iss: GITHUB_ACTIONS_ISSUER, exp: 4102444800 })).toString(
      "base64url",
    );
    const cases: Array<[string, string, string]> = [
      [
        "tampered",
        `${header}.${rewritten}.${signature}`,
        "The web identity token that was passed could not be validated by Amazon Web Services. Get a new identity " +
          "token from the identity provider and then retry the request.",
      ],
      [
        "signed by another key",
        await impostor.mint(claims),
        "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity " +
          "documentation for requirements",
      ],
      ["wrong audience", await github.mint({ ...claims, aud: "https://github.com/acme" }), "Incorrect token audience"],
      [
        "not a JWT",
        "not-a-token",
        "The web identity token that was passed could not be validated by Amazon Web Services. Get a new identity " +
          "token from the identity provider and then retry the request.",
      ],
    ];
    for (const [label, token, message] of cases) {
      const r = await refusal(assume(token));
      assert.deepEqual(
        [r.name, r.code, r.status],
        ["InvalidIdentityTokenException", "InvalidIdentityToken", 400],
        label,
      );
      assert.equal(r.message, message, label);
    }
    assert.deepEqual(upstream.received, []);
  });

  it("answers for an issuer the account has no OIDC provider for, and for an expired token, as AWS does", async () => {
    const gitlab = await startOidcIssuer({ issuer: "https://gitlab.com" });
    try {
      const r = await refusal(
        assume(
          await gitlab.mint({ sub: "project_path:acme/payments:ref_type:branch:ref:main", aud: "sts.amazonaws.com" }),
        ),
      );
      assert.deepEqual([r.code, r.status], ["InvalidIdentityToken", 400]);
      assert.equal(r.message, "No OpenIDConnect provider found in your account for https://gitlab.com");
    } finally {
      await gitlab.stop();
    }
    // An expired token: ExpiredTokenException (STS's model and its answers), not InvalidIdentityToken
    const issuedAt = new Date(Date.now() - 3600_000);
    const expired = await github.mint(githubActionsClaims({ repository: "acme/payments", branch: "main" }), {
      issuedAt,
    });
    const exp = Math.floor(issuedAt.getTime() / 1000) + 300;
    const r = await refusal(assume(expired));
    assert.deepEqual([r.name, r.status], ["ExpiredTokenException", 400]);
    assert.match(
      r.message,
      new RegExp(`^Token expired: current date/time \\d+ must be before the expiration date/time ${exp}$`),
    );
    assert.deepEqual(upstream.received, []);
  });

  it("forwards every other call unchanged, and keeps tokens out of its decisions", async () => {
    const who = await sts.send(new GetCallerIdentityCommand({}));
    assert.equal(who.Account, ACCOUNT);
    assert.equal(new URLSearchParams(upstream.received[0]?.body).get("Action"), "GetCallerIdentity");
    const token = await github.mint(githubActionsClaims({ repository: "acme/other", branch: "main" }));
    await refusal(assume(token));
    assert.ok(!JSON.stringify(front.decisions).includes(token), "no decision may hold a token");
    assert.ok(!JSON.stringify(front.decisions).includes(token.split(".")[2] as string), "nor a token's signature");
  });
});
