import assert from "node:assert/strict";
import {
  callerIdentityThroughWebIdentity,
  GITHUB_ACTIONS_ISSUER,
  githubActionsClaims,
  OidcHarnessError,
  type OidcIssuer,
  type StsFront,
  serveStsFront,
  startOidcIssuer,
} from "@keyless/testing";
import { attachedPolicyArns, grants, inlineStatements, runExampleJourney } from "./support";

const REPOSITORY = "acme/infra";

describe("examples/github-actions-oidc", function () {
  this.timeout(300_000);

  it("pull requests get the read-only role, the production environment the deploy role, anyone else neither", async () => {
    await runExampleJourney({
      example: "github-actions-oidc",
      services: ["iam", "sts"],
      config: { repository: REPOSITORY, siteBucket: "acme-site" },
      async verify(out) {
        const previewRole = out["previewRoleArn"] as string;
        const deployRole = out["deployRoleArn"] as string;
        // What each role may do, read back from IAM
        assert.deepEqual(await attachedPolicyArns(out["previewRoleName"] as string), [
          "arn:aws:iam::aws:policy/ReadOnlyAccess",
        ]);
        assert.deepEqual(grants(await inlineStatements(out["deployRoleName"] as string)), [
          "s3:DeleteObject arn:aws:s3:::acme-site/*",
          "s3:ListBucket arn:aws:s3:::acme-site",
          "s3:PutObject arn:aws:s3:::acme-site/*",
        ]);

        // A stand-in for GitHub's token service, and STS deciding with the roles' trust as AWS would
        let github: OidcIssuer | undefined;
        let front: StsFront | undefined;
        try {
          github = await startOidcIssuer({ issuer: GITHUB_ACTIONS_ISSUER });
          front = await serveStsFront({ issuers: [github] });
          const job = async (claims: Record<string, unknown>, roleArn: string) =>
            callerIdentityThroughWebIdentity({
              token: await (github as OidcIssuer).mint(claims),
              roleArn,
              sessionName: "gha",
              stsEndpoint: (front as StsFront).endpoint,
            });
          const roleName = (arn: string) => arn.split("/").pop();

          // The deploy job (main, in the production environment)
          const production = githubActionsClaims({ repository: REPOSITORY, branch: "main", environment: "production" });
          const deployer = await job(production, deployRole);
          assert.equal(deployer.arn, `arn:aws:sts::000000000000:assumed-role/${roleName(deployRole)}/gha`);
          assert.equal(deployer.temporary, true);
          // A pull request's preview job
          const pullRequest = githubActionsClaims({ repository: REPOSITORY, pullRequest: 42 });
          const previewer = await job(pullRequest, previewRole);
          assert.equal(previewer.arn, `arn:aws:sts::000000000000:assumed-role/${roleName(previewRole)}/gha`);

          const refused = async (claims: Record<string, unknown>, roleArn: string, what: string) =>
            assert.rejects(
              job(claims, roleArn),
              (err: unknown) =>
                err instanceof OidcHarnessError && err.awsCode === "AccessDenied" && err.httpStatusCode === 403,
              what,
            );
          await refused(pullRequest, deployRole, "a pull request must not get the deploy role");
          await refused(
            githubActionsClaims({ repository: REPOSITORY, branch: "main" }),
            deployRole,
            "main outside the production environment must not get the deploy role",
          );
          await refused(production, previewRole, "the preview role is for pull requests only");
          await refused(
            githubActionsClaims({ repository: "acme/other", branch: "main", environment: "production" }),
            deployRole,
            "another repository of the same owner must not get the deploy role",
          );
          await refused(
            githubActionsClaims({ repository: "stranger/infra", pullRequest: 1 }),
            previewRole,
            "another owner's pull request must not get the preview role",
          );
        } finally {
          await Promise.all([front?.stop(), github?.stop()]);
        }
      },
    });
  });
});
