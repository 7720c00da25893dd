import * as assert from "node:assert/strict";
import { evaluateTrust, webIdentityRequest } from "@keyless/iam-rules";

const GITHUB = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
const GITLAB = "arn:aws:iam::111122223333:oidc-provider/gitlab.com";

/** Claims of a GitHub Actions token, as GitHub issues them (no signature needed: trust is evaluated on claims). */
const GITHUB_CLAIMS = {
  iss: "https://token.actions.githubusercontent.com",
  aud: "sts.amazonaws.com",
  sub: "repo:octo/app:environment:prod",
  repository: "octo/app",
  repository_owner: "octo",
  repository_id: 42,
  ref: "refs/heads/main",
  environment: "prod",
  job_workflow_ref: "octo/app/.github/workflows/deploy.yml@refs/heads/main",
  run_id: "9",
  exp: 1_900_000_000,
};

describe("iam-rules: webIdentityRequest", () => {
  it("maps a GitHub token: the provider as principal, AssumeRoleWithWebIdentity, aud/sub and GitHub's extra claims", () => {
    const request = webIdentityRequest(GITHUB, GITHUB_CLAIMS);
    assert.deepEqual(request.principal, { federated: GITHUB });
    assert.equal(request.action, "sts:AssumeRoleWithWebIdentity");
    assert.deepEqual(request.context, {
      "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
      "token.actions.githubusercontent.com:sub": "repo:octo/app:environment:prod",
      "token.actions.githubusercontent.com:environment": "prod",
      "token.actions.githubusercontent.com:job_workflow_ref": "octo/app/.github/workflows/deploy.yml@refs/heads/main",
      "token.actions.githubusercontent.com:ref": "refs/heads/main",
      "token.actions.githubusercontent.com:repository": "octo/app",
      "token.actions.githubusercontent.com:repository_id": "42",
      "token.actions.githubusercontent.com:repository_owner": "octo",
    });
  });

  it("maps another issuer's token to aud, sub and amr only: GitHub's extra claims are not in its context", () => {
    const request = webIdentityRequest(GITLAB, {
      ...GITHUB_CLAIMS,
      amr: ["authenticated", "mfa"],
      sub: "project_path:g/app:ref_type:branch:ref:main",
    });
    assert.deepEqual(request.context, {
      "gitlab.com:aud": "sts.amazonaws.com",
      "gitlab.com:sub": "project_path:g/app:ref_type:branch:ref:main",
      "gitlab.com:amr": ["authenticated", "mfa"],
    });
  });

  it("gives a host that merely starts with GitHub's name none of GitHub's extra claims", () => {
    const lookalike = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com.attacker.example";
    assert.deepEqual(Object.keys(webIdentityRequest(lookalike, GITHUB_CLAIMS).context ?? {}).sort(), [
      "token.actions.githubusercontent.com.attacker.example:aud",
      "token.actions.githubusercontent.com.attacker.example:sub",
    ]);
    // WHEN the issuer is GitHub Enterprise's form with a slug THEN it is GitHub's
    const enterprise = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com/octo-corp";
    assert.ok(
      "token.actions.githubusercontent.com/octo-corp:repository" in
        (webIdentityRequest(enterprise, GITHUB_CLAIMS).context ?? {}),
    );
  });

  it("drops claims that are no string, list of strings, number or boolean", () => {
    const request = webIdentityRequest(GITLAB, { aud: { nested: true }, sub: ["a", 1], amr: true });
    assert.deepEqual(request.context, { "gitlab.com:amr": "true" });
  });

  it("is what evaluateTrust reads: a pin on GitHub's repository claim holds for the token's repository", () => {
    const doc = JSON.stringify({
      Version: "2012-10-17",
      Statement: {
        Effect: "Allow",
        Principal: { Federated: GITHUB },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:repository": "octo/app",
          },
        },
      },
    });
    assert.equal(evaluateTrust(doc, webIdentityRequest(GITHUB, GITHUB_CLAIMS)).allowed, true);
    assert.equal(
      evaluateTrust(doc, webIdentityRequest(GITHUB, { ...GITHUB_CLAIMS, repository: "octo/other" })).allowed,
      false,
    );
  });
});
