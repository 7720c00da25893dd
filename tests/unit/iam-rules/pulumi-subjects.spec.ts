import * as assert from "node:assert/strict";
import { subjectScope } from "@keyless/iam-rules";

// Pulumi Cloud's subject formats, as its docs give them (ESC: /docs/esc/guides/configuring-oidc/, Deployments:
// /docs/deployments/guides/oidc/): which values name one organisation and project.
describe("iam-rules: subjectScope for Pulumi Cloud subjects", () => {
  const cases: [string, boolean, boolean, string][] = [
    // [value, well formed, scoped, why]
    ["pulumi:deploy:org:contoso:project:web:stack:prod:operation:update:scope:write", true, true, "Deployments"],
    ["pulumi:deploy:org:contoso:project:*:stack:prod:*", true, false, "Deployments, any project"],
    ["pulumi:environments:org:contoso:env:web/prod", true, true, "ESC default subject"],
    ["pulumi:environments:org:contoso:env:*", false, false, "ESC default subject, any environment"],
    [
      "pulumi:environments:pulumi.organization.login:contoso:currentEnvironment.name:web/prod:pulumi.user.login:ann",
      true,
      true,
      "ESC subjectAttributes with the current environment",
    ],
    [
      "pulumi:environments:pulumi.organization.login:contoso:rootEnvironment.name:web/*",
      true,
      true,
      "ESC subjectAttributes, any environment of one project",
    ],
    [
      "pulumi:environments:pulumi.organization.login:contoso:pulumi.user.login:ann",
      true,
      false,
      "ESC subjectAttributes without an environment: any project",
    ],
    [
      "pulumi:environments:pulumi.organization.login:contoso:pulumi.user.login:*:currentEnvironment.name:web/prod",
      true,
      false,
      "a wildcard before the environment attribute could stand for another environment",
    ],
    [
      "pulumi:environments:pulumi.organization.login:*:currentEnvironment.name:web/prod",
      true,
      false,
      "any organisation",
    ],
    ["pulumi:environments:pulumi.organization.login:contoso:*", false, false, "unreadable after the organisation"],
  ];
  for (const [value, wellFormed, scoped, why] of cases) {
    it(`${why}: ${value} -> ${scoped ? "scoped" : "not scoped"}`, () => {
      const result = subjectScope("pulumi", "sub", value);
      assert.equal(result.wellFormed, wellFormed);
      assert.equal(result.scoped, scoped);
    });
  }

  it("names the organisation and the project of a subjectAttributes subject", () => {
    const { parts } = subjectScope(
      "pulumi",
      "sub",
      "pulumi:environments:pulumi.organization.login:contoso:currentEnvironment.name:web/prod",
    );
    assert.deepEqual(
      parts.map((p) => [p.name, p.value]),
      [
        ["organization", "contoso"],
        ["project", "web"],
      ],
    );
  });
});
