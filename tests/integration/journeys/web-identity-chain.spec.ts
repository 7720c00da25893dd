/**
 * The keyless path for CI and Kubernetes: a GitHub Actions job and an EKS pod get a role's credentials from their OIDC
 * token, with no keys anywhere, and only the repository, branch, namespace and service account the trust policy names.
 * The IAM OIDC providers and roles are deployed by the real engine to LocalStack; tokens come from loopback issuers
 * standing in for GitHub's and the cluster's; the AWS SDK v3 default chain runs in a child process whose environment
 * holds the token file and the role ARN only. LocalStack 4.14 admits any token (issue 11838), so STS is the harness's
 * front, which decides as AWS does with @keyless/iam-rules' evaluateTrust and forwards only what it admits.
 */
import assert from "node:assert/strict";
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import {
  assertNoLeftovers,
  callerIdentityThroughWebIdentity,
  eksOidcIssuerUrl,
  eksServiceAccountClaims,
  GITHUB_ACTIONS_ISSUER,
  githubActionsClaims,
  localStackClientConfig,
  localStackRegion,
  OidcHarnessError,
  type OidcIssuer,
  requireLocalStack,
  type StateResource,
  type StsFront,
  serveStsFront,
  startOidcIssuer,
  TestStack,
} from "@keyless/testing";
import * as aws from "@pulumi/aws";

const ACCOUNT = "000000000000";
// GitHub Enterprise Cloud's issuer form (`…/<enterprise slug>`): IAM holds one provider per URL per account, and the
// github-actions-oidc example creates the plain one in the same LocalStack while this spec runs beside it.
const GITHUB_ISSUER = `${GITHUB_ACTIONS_ISSUER}/keyless-journey`;
const GITHUB_HOST = GITHUB_ISSUER.replace("https://", "");

/** A hand-written trust policy: the OIDC provider may assume the role under `conditions`. */
function webIdentityTrust(providerArn: string, conditions: Record<string, Record<string, string>>): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: conditions,
      },
    ],
  });
}

/** Asserts that STS refused with `awsCode` (and, when given, AWS's message). */
function refusedWith(awsCode: string, status: number, message?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof OidcHarnessError, String(err));
    assert.equal(err.code, "StsRefused", err.message);
    assert.equal(err.awsCode, awsCode, err.message);
    assert.equal(err.httpStatusCode, status, err.message);
    if (message) assert.match(err.message, message);
    return true;
  };
}

describe("journey: the web-identity credential chain (GitHub Actions, EKS IRSA) through the engine", function () {
  this.timeout(300_000);
  const eksIssuer = eksOidcIssuerUrl(localStackRegion());
  const eksHost = eksIssuer.replace("https://", "");
  let github: OidcIssuer | undefined;
  let eks: OidcIssuer | undefined;
  let forger: OidcIssuer | undefined;
  let front: StsFront | undefined;
  let t: TestStack | undefined;
  const held: StateResource[] = [];
  const roles = { deploy: "", irsa: "", loose: "" };
  const arns = { deploy: "", irsa: "", loose: "" };

  before(async () => {
    await requireLocalStack(["iam", "sts"]);
    github = await startOidcIssuer({ issuer: GITHUB_ISSUER });
    eks = await startOidcIssuer({ issuer: eksIssuer });
    // The forger names GitHub's issuer but signs with its own key, which STS cannot find among GitHub's.
    forger = await startOidcIssuer({ issuer: GITHUB_ISSUER });
    front = await serveStsFront({ issuers: [github, eks] });
    t = await TestStack.create({
      program: async () => {
        // Plain resources and hand-written trust: what a team writes without keyless's OIDC components.
        const githubOidc = new aws.iam.OpenIdConnectProvider("github", {
          url: GITHUB_ISSUER,
          clientIdLists: ["sts.amazonaws.com"],
        });
        const eksOidc = new aws.iam.OpenIdConnectProvider("eks", {
          url: eksIssuer,
          clientIdLists: ["sts.amazonaws.com"],
        });
        const deploy = new aws.iam.Role("gha-deploy", {
          assumeRolePolicy: githubOidc.arn.apply((arn) =>
            webIdentityTrust(arn, {
              StringEquals: {
                [`${GITHUB_HOST}:aud`]: "sts.amazonaws.com",
                [`${GITHUB_HOST}:sub`]: "repo:acme/payments:ref:refs/heads/main",
              },
            }),
          ),
        });
        const irsa = new aws.iam.Role("payments-api", {
          assumeRolePolicy: eksOidc.arn.apply((arn) =>
            webIdentityTrust(arn, {
              StringEquals: {
                [`${eksHost}:aud`]: "sts.amazonaws.com",
                [`${eksHost}:sub`]: "system:serviceaccount:payments:api",
              },
            }),
          ),
        });
        // The trap the pack refuses at preview: any repository on GitHub may assume it.
        const loose = new aws.iam.Role("gha-unscoped", {
          assumeRolePolicy: githubOidc.arn.apply((arn) =>
            webIdentityTrust(arn, {
              StringEquals: { [`${GITHUB_HOST}:aud`]: "sts.amazonaws.com" },
              StringLike: { [`${GITHUB_HOST}:sub`]: "repo:*" },
            }),
          ),
        });
        return {
          deploy: deploy.name,
          deployArn: deploy.arn,
          irsa: irsa.name,
          irsaArn: irsa.arn,
          loose: loose.name,
          looseArn: loose.arn,
        };
      },
    });
    const up = await t.up();
    held.push(...(await t.resources()));
    const out = up.outputs as Record<string, string>;
    Object.assign(roles, { deploy: out["deploy"], irsa: out["irsa"], loose: out["loose"] });
    Object.assign(arns, { deploy: out["deployArn"], irsa: out["irsaArn"], loose: out["looseArn"] });
  });

  after(async () => {
    try {
      await Promise.all([front?.stop(), github?.stop(), eks?.stop(), forger?.stop()]);
    } finally {
      await t?.dispose(); // destroy, remove the stack, delete its backend
      // Whatever happened above, LocalStack must hold nothing the stack held (found by listing).
      await assertNoLeftovers(held);
    }
  });

  /** The chain, as the job or pod runs it, against the front. */
  const chain = async (
    issuer: OidcIssuer | undefined,
    claims: Record<string, unknown>,
    roleArn: string,
    session: string,
  ) =>
    callerIdentityThroughWebIdentity({
      token: await (issuer as OidcIssuer).mint(claims),
      roleArn,
      sessionName: session,
      stsEndpoint: (front as StsFront).endpoint,
    });

  it("a job of the trusted repository on main gets the deploy role's session, temporary, from the token file", async () => {
    // GIVEN a token of acme/payments on main WHEN the SDK's default chain runs with it
    const who = await chain(
      github,
      githubActionsClaims({ repository: "acme/payments", branch: "main" }),
      arns.deploy,
      "gha-run-1",
    );
    // THEN STS says it is the deploy role's session
    assert.equal(who.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${roles.deploy}/gha-run-1`);
    assert.equal(who.temporary, true, `web identity credentials must be temporary, got ${who.keyIdPrefix}…`);
    assert.equal(who.fromWebIdentity, true, "the chain's web identity link must have supplied them");
    // AND the front admitted it on the trust policy's word
    const decision = front?.decisions.at(-1);
    assert.deepEqual([decision?.admitted, decision?.trust], [true, "Allow"]);
  });

  it("another repository, branch, pull request or environment is refused with AccessDenied, which LocalStack alone would not do", async () => {
    for (const claims of [
      githubActionsClaims({ repository: "acme/other", branch: "main" }),
      githubActionsClaims({ repository: "evil/payments", branch: "main" }),
      githubActionsClaims({ repository: "acme/payments", branch: "feature" }),
      githubActionsClaims({ repository: "acme/payments", pullRequest: 7 }),
      githubActionsClaims({ repository: "acme/payments", branch: "main", environment: "prod" }),
    ]) {
      await assert.rejects(
        chain(github, claims, arns.deploy, "gha-run-2"),
        refusedWith("AccessDenied", 403, /Not authorized to perform sts:AssumeRoleWithWebIdentity/),
        claims.sub,
      );
      assert.equal(front?.decisions.at(-1)?.trust, "ImplicitDeny", claims.sub);
    }
    // AND LocalStack, asked directly with the other repository's token, issues credentials: the front decides
    const foreign = await (github as OidcIssuer).mint(
      githubActionsClaims({ repository: "acme/other", branch: "main" }),
    );
    const sts = new STSClient(localStackClientConfig());
    const issued = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: arns.deploy,
        RoleSessionName: "direct",
        WebIdentityToken: foreign,
      }),
    );
    assert.ok(issued.Credentials?.AccessKeyId, "LocalStack alone admits a token AWS refuses (LocalStack issue 11838)");
    assert.equal(issued.AssumedRoleUser?.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${roles.deploy}/direct`);
  });

  it("the pod's service account payments:api gets its role; another namespace or service account is refused", async () => {
    const who = await chain(
      eks,
      eksServiceAccountClaims({ namespace: "payments", serviceAccount: "api" }),
      arns.irsa,
      "api-pod",
    );
    assert.equal(who.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${roles.irsa}/api-pod`);
    assert.equal(who.temporary, true);
    for (const [namespace, serviceAccount] of [
      ["billing", "api"],
      ["payments", "worker"],
    ] as const) {
      await assert.rejects(
        chain(eks, eksServiceAccountClaims({ namespace, serviceAccount }), arns.irsa, "api-pod"),
        refusedWith("AccessDenied", 403),
        `${namespace}:${serviceAccount}`,
      );
    }
    // AND a GitHub token for the IRSA role: verified (GitHub's provider exists) but not trusted by that role
    await assert.rejects(
      chain(github, githubActionsClaims({ repository: "acme/payments", branch: "main" }), arns.irsa, "cross"),
      refusedWith("AccessDenied", 403),
    );
  });

  it("a tampered, forged, mis-addressed or expired token is refused as AWS refuses it", async () => {
    const trusted = githubActionsClaims({ repository: "acme/payments", branch: "main" });
    const run = (token: string) =>
      callerIdentityThroughWebIdentity({ token, roleArn: arns.deploy, stsEndpoint: (front as StsFront).endpoint });
    // A feature-branch token whose payload is rewritten to main after signing
    const genuine = await (github as OidcIssuer).mint(
      githubActionsClaims({ repository: "acme/payments", branch: "feature" }),
    );
    const [header, , signature] = genuine.split(".");
    const payload = Buffer.from(JSON.stringify({ ...trusted, iss: GITHUB_ISSUER, exp: 4102444800 })).toString(
      "base64url",
    );
    await assert.rejects(
      run(`${header}.${payload}.${signature}`),
      refusedWith("InvalidIdentityToken", 400, /could not be validated/),
    );
    // Signed by a key GitHub never published
    await assert.rejects(
      run(await (forger as OidcIssuer).mint(trusted)),
      refusedWith("InvalidIdentityToken", 400, /Couldn't retrieve verification key/),
    );
    // For another audience than the provider's client id
    await assert.rejects(
      run(await (github as OidcIssuer).mint({ ...trusted, aud: "https://github.com/acme" })),
      refusedWith("InvalidIdentityToken", 400, /Incorrect token audience/),
    );
    // Expired (AWS answers ExpiredTokenException here, per its STS model and its answers, not InvalidIdentityToken)
    await assert.rejects(
      run(await (github as OidcIssuer).mint(trusted, { issuedAt: new Date(Date.now() - 3600_000) })),
      refusedWith("ExpiredTokenException", 400, /Token expired: current date\/time \d+ must be before/),
    );
    // From an issuer the account has no IAM OIDC provider for
    const gitlab = await startOidcIssuer({ issuer: "https://gitlab.com" });
    try {
      await assert.rejects(
        run(
          await gitlab.mint({ sub: "project_path:acme/payments:ref_type:branch:ref:main", aud: "sts.amazonaws.com" }),
        ),
        refusedWith(
          "InvalidIdentityToken",
          400,
          /No OpenIDConnect provider found in your account for https:\/\/gitlab\.com/,
        ),
      );
    } finally {
      await gitlab.stop();
    }
  });

  it("a role trusting `repo:*` admits any repository on GitHub: why the pack must refuse it at preview", async () => {
    const who = await chain(
      github,
      githubActionsClaims({ repository: "stranger/anything", branch: "main" }),
      arns.loose,
      "foreign",
    );
    assert.equal(who.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${roles.loose}/foreign`);
  });
});
