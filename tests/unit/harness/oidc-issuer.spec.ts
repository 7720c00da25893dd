import assert from "node:assert/strict";
import {
  eksOidcIssuerUrl,
  eksServiceAccountClaims,
  GITHUB_ACTIONS_ISSUER,
  githubActionsClaims,
  OidcHarnessError,
  type OidcIssuer,
  startOidcIssuer,
} from "@keyless/testing";

/** Asserts that `fn` throws an InvalidArgument OidcHarnessError whose message matches `re`. */
async function rejectsArgument(fn: () => unknown, re: RegExp): Promise<void> {
  await assert.rejects(
    async () => fn(),
    (err: unknown) => {
      assert.ok(err instanceof OidcHarnessError, String(err));
      assert.equal(err.code, "InvalidArgument");
      assert.match(err.message, re);
      return true;
    },
  );
}

describe("harness: OIDC issuer on loopback and its claim shapes", () => {
  let github: OidcIssuer;
  before(async () => {
    github = await startOidcIssuer({ issuer: GITHUB_ACTIONS_ISSUER });
  });
  after(async () => github.stop());

  it("serves a discovery document naming the stood-in issuer and a JWKS on loopback, with no private key parts", async () => {
    // WHEN the discovery document and the JWKS are fetched
    const doc = (await (await fetch(github.discoveryUrl)).json()) as Record<string, unknown>;
    const jwks = (await (await fetch(github.jwksUri)).json()) as { keys: Array<Record<string, unknown>> };

    // THEN the issuer is the named one, the keys are on loopback
    assert.equal(doc["issuer"], GITHUB_ACTIONS_ISSUER);
    assert.equal(doc["jwks_uri"], github.jwksUri);
    assert.match(github.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(doc["id_token_signing_alg_values_supported"], ["RS256"]);
    // AND the one key is an RSA signing key with the issuer's kid, and only its public members
    assert.equal(jwks.keys.length, 1);
    const key = jwks.keys[0] as Record<string, unknown>;
    assert.deepEqual([key["kty"], key["alg"], key["use"], key["kid"]], ["RSA", "RS256", "sig", github.keyId]);
    for (const privatePart of ["d", "p", "q", "dp", "dq", "qi"]) assert.equal(key[privatePart], undefined, privatePart);
  });

  it("mints RS256 tokens that verify against the served JWKS, with iss, iat, nbf, a 5-minute exp and a fresh jti", async () => {
    const { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } = await import("jose");
    const keys = createRemoteJWKSet(new URL(github.jwksUri));
    // GIVEN two tokens minted from the same claims
    const claims = githubActionsClaims({ repository: "acme/payments", branch: "main" });
    const first = await github.mint(claims);
    const second = await github.mint(claims);

    // WHEN the first is verified against the served keys
    const { payload } = await jwtVerify(first, keys, { issuer: GITHUB_ACTIONS_ISSUER, audience: "sts.amazonaws.com" });

    // THEN it carries the claims and the issuer's times
    assert.deepEqual(decodeProtectedHeader(first), { alg: "RS256", typ: "JWT", kid: github.keyId });
    assert.equal(payload.sub, "repo:acme/payments:ref:refs/heads/main");
    assert.equal(payload.nbf, payload.iat);
    assert.equal((payload.exp as number) - (payload.iat as number), 300);
    assert.ok(Math.abs((payload.iat as number) - Date.now() / 1000) < 5);
    // AND each token has its own jti
    const { payload: p2 } = await jwtVerify(second, keys);
    assert.notEqual(payload.jti, p2.jti);
  });

  it("mints expired tokens when issued in the past, and refuses to let claims set the times or the issuer", async () => {
    const { createRemoteJWKSet, jwtVerify } = await import("jose");
    const claims = githubActionsClaims({ repository: "acme/payments", branch: "main" });
    const old = await github.mint(claims, { issuedAt: new Date(Date.now() - 3600_000), expiresInSeconds: 60 });
    await assert.rejects(jwtVerify(old, createRemoteJWKSet(new URL(github.jwksUri))), { code: "ERR_JWT_EXPIRED" });
    await rejectsArgument(() => github.mint({ ...claims, iss: "https://elsewhere.test" }), /must not set iss/);
    await rejectsArgument(() => github.mint({ ...claims, exp: 1 }), /must not set exp/);
    await rejectsArgument(() => github.mint(claims, { expiresInSeconds: 0 }), /`expiresInSeconds` must be a positive/);
    await rejectsArgument(() => startOidcIssuer({ issuer: "token.actions.githubusercontent.com" }), /`issuer` must be/);
  });

  it("stands on loopback as itself when no issuer is named, and stops serving when stopped", async () => {
    const own = await startOidcIssuer();
    assert.equal(own.issuer, own.url);
    assert.equal(((await (await fetch(own.discoveryUrl)).json()) as { issuer: string }).issuer, own.url);
    await own.stop();
    await own.stop(); // twice is fine
    await assert.rejects(fetch(own.jwksUri), /fetch failed/);
  });

  it("gives GitHub Actions' subjects: the environment first, then a pull request, then the ref", () => {
    const branch = githubActionsClaims({ repository: "acme/payments", branch: "main" });
    assert.equal(branch.sub, "repo:acme/payments:ref:refs/heads/main");
    assert.deepEqual(
      [branch["aud"], branch["ref"], branch["ref_type"], branch["event_name"], branch["repository_owner"]],
      ["sts.amazonaws.com", "refs/heads/main", "branch", "push", "acme"],
    );
    assert.equal(branch["job_workflow_ref"], "acme/payments/.github/workflows/deploy.yml@refs/heads/main");
    assert.match(branch["repository_id"] as string, /^\d+$/);
    assert.equal(branch["environment"], undefined);

    const tag = githubActionsClaims({ repository: "acme/payments", tag: "v1.2.0", workflowFile: "release.yml" });
    assert.equal(tag.sub, "repo:acme/payments:ref:refs/tags/v1.2.0");
    assert.equal(tag["ref_type"], "tag");
    assert.equal(tag["workflow_ref"], "acme/payments/.github/workflows/release.yml@refs/tags/v1.2.0");

    const pr = githubActionsClaims({ repository: "acme/payments", pullRequest: 42 });
    assert.equal(pr.sub, "repo:acme/payments:pull_request");
    assert.deepEqual([pr["ref"], pr["event_name"], pr["base_ref"]], ["refs/pull/42/merge", "pull_request", "main"]);

    const env = githubActionsClaims({ repository: "acme/payments", branch: "main", environment: "prod" });
    assert.equal(env.sub, "repo:acme/payments:environment:prod");
    assert.equal(env["environment"], "prod");
    assert.equal(env["ref"], "refs/heads/main");

    const aud = githubActionsClaims({
      repository: "acme/payments",
      branch: "main",
      audience: "https://github.com/acme",
    });
    assert.equal(aud["aud"], "https://github.com/acme");
  });

  it("names the argument of each GitHub claims mistake", async () => {
    await rejectsArgument(
      () => githubActionsClaims({ repository: "payments", branch: "main" }),
      /`repository` must be OWNER\/REPO/,
    );
    await rejectsArgument(() => githubActionsClaims({ repository: "acme/payments" }), /exactly one of .* got none/);
    await rejectsArgument(
      () => githubActionsClaims({ repository: "acme/payments", branch: "main", pullRequest: 3 }),
      /got branch, pullRequest/,
    );
    await rejectsArgument(() => githubActionsClaims({ repository: "acme/payments", pullRequest: 0 }), /`pullRequest`/);
    await rejectsArgument(() => githubActionsClaims({ repository: "acme/payments", branch: "a:b" }), /`branch`/);
  });

  it("gives EKS IRSA's claims and issuer URL, and names the argument of each mistake", async () => {
    const c = eksServiceAccountClaims({ namespace: "payments", serviceAccount: "api" });
    assert.equal(c.sub, "system:serviceaccount:payments:api");
    assert.deepEqual(c["aud"], ["sts.amazonaws.com"]);
    const k8s = c["kubernetes.io"] as { namespace: string; serviceaccount: { name: string; uid: string } };
    assert.equal(k8s.namespace, "payments");
    assert.equal(k8s.serviceaccount.name, "api");
    assert.match(k8s.serviceaccount.uid, /^[0-9a-f-]{36}$/);
    assert.match(eksOidcIssuerUrl("us-east-1"), /^https:\/\/oidc\.eks\.us-east-1\.amazonaws\.com\/id\/[0-9A-F]{32}$/);
    assert.equal(eksOidcIssuerUrl("eu-west-2", "ABC123"), "https://oidc.eks.eu-west-2.amazonaws.com/id/ABC123");
    await rejectsArgument(
      () => eksServiceAccountClaims({ namespace: "Payments", serviceAccount: "api" }),
      /`namespace`/,
    );
    await rejectsArgument(
      () => eksServiceAccountClaims({ namespace: "payments", serviceAccount: "" }),
      /`serviceAccount`/,
    );
    await rejectsArgument(() => eksOidcIssuerUrl("useast1"), /`region`/);
  });
});
