import * as assert from "node:assert/strict";
import { claimKey, issuerHostPath, oidcIssuerKind, pinningClaims, subjectScope } from "@keyless/iam-rules";

describe("iam-rules: OIDC issuers", () => {
  describe("oidcIssuerKind", () => {
    for (const [issuer, subjects, kind] of [
      ["https://token.actions.githubusercontent.com", [], "github"],
      ["token.actions.githubusercontent.com/octo-enterprise", [], "github"],
      ["arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com", [], "github"],
      ["https://TOKEN.actions.githubusercontent.com/", [], "github"],
      ["token.actions.githubusercontent.com.attacker.example", [], "generic"],
      ["https://gitlab.com", [], "gitlab"],
      ["gitlab.internal.example", ["project_path:group/app:ref_type:branch:ref:main"], "gitlab"],
      ["gitlab.internal.example", ["repo:octo/app:ref:refs/heads/main"], "generic"],
      ["https://api.pulumi.com/oidc", [], "pulumi"],
      ["api.pulumi.com/oidc/", [], "pulumi"],
      ["api.pulumi.com", [], "generic"],
      ["https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF", [], "eks"],
      ["oidc.eks.cn-north-1.amazonaws.com.cn/id/0123456789ABCDEF", [], "eks"],
      ["oidc.eks.eu-west-1.amazonaws.com/id/0123/extra", [], "generic"],
      ["accounts.google.com", [], "generic"],
    ] as const) {
      it(`${issuer}${subjects.length > 0 ? ` with ${subjects[0]}` : ""} is ${kind}`, () =>
        assert.equal(oidcIssuerKind(issuer, subjects), kind));
    }
  });

  it("issuerHostPath and claimKey name the issuer as IAM's condition keys do", () => {
    assert.equal(issuerHostPath("https://api.pulumi.com/oidc/"), "api.pulumi.com/oidc");
    assert.equal(issuerHostPath("arn:aws:iam::111122223333:oidc-provider/gitlab.com"), "gitlab.com");
    assert.equal(
      claimKey("https://token.actions.githubusercontent.com", "sub"),
      "token.actions.githubusercontent.com:sub",
    );
  });

  it("pinningClaims: sub or job_workflow_ref for GitHub, sub for the others", () => {
    assert.deepEqual(pinningClaims("github"), ["sub", "job_workflow_ref"]);
    for (const kind of ["gitlab", "pulumi", "eks", "generic"] as const) assert.deepEqual(pinningClaims(kind), ["sub"]);
  });

  describe("subjectScope: which parts of a subject a pin fixes", () => {
    const parts = (kind: Parameters<typeof subjectScope>[0], claim: string, value: string) => {
      const scope = subjectScope(kind, claim, value);
      return {
        wellFormed: scope.wellFormed,
        scoped: scope.scoped,
        parts: scope.parts.map((p) => `${p.name}=${p.value}${p.fixed ? "" : "?"}`),
      };
    };

    for (const [kind, claim, value, expected] of [
      [
        "github",
        "sub",
        "repo:octo/app:ref:refs/heads/main",
        { wellFormed: true, scoped: true, parts: ["owner=octo", "repository=app"] },
      ],
      ["github", "sub", "repo:octo/app:*", { wellFormed: true, scoped: true, parts: ["owner=octo", "repository=app"] }],
      [
        "github",
        "sub",
        "repo:octo@42/app@7:environment:prod",
        { wellFormed: true, scoped: true, parts: ["owner=octo@42", "repository=app@7"] },
      ],
      [
        "github",
        "sub",
        "repo:octo/*:ref:refs/heads/main",
        { wellFormed: true, scoped: false, parts: ["owner=octo", "repository=*?"] },
      ],
      [
        "github",
        "sub",
        "repo:*/app:ref:refs/heads/main",
        { wellFormed: true, scoped: false, parts: ["owner=*?", "repository=app"] },
      ],
      [
        "github",
        "sub",
        "repo:octo/app-?:ref:x",
        { wellFormed: true, scoped: false, parts: ["owner=octo", "repository=app-??"] },
      ],
      ["github", "sub", "repo:*", { wellFormed: false, scoped: false, parts: [] }],
      [
        "github",
        "job_workflow_ref",
        "octo/app/.github/workflows/deploy.yml@refs/heads/main",
        { wellFormed: true, scoped: true, parts: ["owner=octo", "repository=app"] },
      ],
      [
        "github",
        "job_workflow_ref",
        "octo/*/.github/workflows/deploy.yml@*",
        { wellFormed: true, scoped: false, parts: ["owner=octo", "repository=*?"] },
      ],
      [
        "gitlab",
        "sub",
        "project_path:group/sub/app:ref_type:branch:ref:main",
        { wellFormed: true, scoped: true, parts: ["group=group", "group=sub", "project=app"] },
      ],
      [
        "gitlab",
        "sub",
        "project_path:group/*:ref_type:branch:ref:main",
        { wellFormed: true, scoped: false, parts: ["group=group", "project=*?"] },
      ],
      ["gitlab", "sub", "project_path:app:ref_type:branch:ref:main", { wellFormed: false, scoped: false, parts: [] }],
      [
        "pulumi",
        "sub",
        "pulumi:deploy:org:acme:project:web:stack:prod:operation:update:scope:write",
        { wellFormed: true, scoped: true, parts: ["organization=acme", "project=web"] },
      ],
      [
        "pulumi",
        "sub",
        "pulumi:deploy:org:acme:project:*:stack:prod:operation:*:scope:write",
        { wellFormed: true, scoped: false, parts: ["organization=acme", "project=*?"] },
      ],
      [
        "pulumi",
        "sub",
        "pulumi:environments:org:acme:env:web/prod",
        { wellFormed: true, scoped: true, parts: ["organization=acme", "project=web"] },
      ],
      ["pulumi", "sub", "pulumi:*", { wellFormed: false, scoped: false, parts: [] }],
      [
        "eks",
        "sub",
        "system:serviceaccount:payments:api",
        { wellFormed: true, scoped: true, parts: ["namespace=payments", "service account=api"] },
      ],
      [
        "eks",
        "sub",
        "system:serviceaccount:payments:*",
        { wellFormed: true, scoped: false, parts: ["namespace=payments", "service account=*?"] },
      ],
      ["eks", "sub", "system:serviceaccount:*", { wellFormed: false, scoped: false, parts: [] }],
      ["generic", "sub", "user-42", { wellFormed: true, scoped: true, parts: ["subject=user-42"] }],
      ["generic", "sub", "user-*", { wellFormed: true, scoped: true, parts: ["subject=user-"] }],
      ["generic", "sub", "*", { wellFormed: true, scoped: false, parts: ["subject=?"] }],
    ] as const) {
      it(`${kind} ${claim} ${value}: ${expected.scoped ? "scoped" : expected.wellFormed ? "not scoped" : "not well formed"}`, () =>
        assert.deepEqual(parts(kind, claim, value), expected));
    }
  });
});
