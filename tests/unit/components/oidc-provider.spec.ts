import * as assert from "node:assert/strict";
import { KeylessErrorCode, OidcProvider } from "@keyless/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  deployFailures,
  expectFailure,
  expectRejection,
  expectValidationError,
  ownedBy,
  resolved,
  useMocks,
} from "../../support/mocks";

const PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider";

describe("OidcProvider", () => {
  const mocks = useMocks();

  describe("factories for the issuers keyless knows", () => {
    const cases: [string, () => OidcProvider, string, string[]][] = [
      [
        "GitHub Actions",
        () => OidcProvider.gitHubActions("github"),
        "https://token.actions.githubusercontent.com",
        ["sts.amazonaws.com"],
      ],
      ["GitLab.com", () => OidcProvider.gitLab("gitlab"), "https://gitlab.com", ["https://gitlab.com"]],
      [
        "a self-managed GitLab",
        () => OidcProvider.gitLab("gitlab", { url: "https://gitlab.example.com" }),
        "https://gitlab.example.com",
        ["https://gitlab.example.com"],
      ],
      [
        "Pulumi Cloud (ESC and Deployments audiences)",
        () => OidcProvider.pulumiCloud("pulumi", { organization: "acme" }),
        "https://api.pulumi.com/oidc",
        ["aws:acme", "acme"],
      ],
      [
        "an EKS cluster",
        () =>
          OidcProvider.eksCluster("irsa", {
            issuerUrl: pulumi.output("https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"),
          }),
        "https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF",
        ["sts.amazonaws.com"],
      ],
    ];
    for (const [what, make, url, audiences] of cases) {
      it(`creates the provider of ${what}`, async () => {
        // GIVEN / WHEN
        const provider = make();
        const arn = await resolved(provider.arn);
        await mocks.settle();
        // THEN
        const created = mocks.one(PROVIDER);
        assert.equal(created.inputs.url, url);
        assert.deepEqual(created.inputs.clientIdLists, audiences);
        assert.equal(created.inputs.thumbprintLists, undefined);
        const hostPath = url.replace("https://", "");
        assert.equal(arn, `arn:aws:iam::123456789012:oidc-provider/${hostPath}`);
        assert.equal(await resolved(provider.url), url);
        assert.equal(await resolved(provider.issuer), hostPath);
        assert.deepEqual(await resolved(provider.audiences), audiences);
        assert.match((await resolved(provider.provider!.urn))!, /keyless:aws:OidcProvider\$aws:iam/);
      });
    }

    it("takes other audiences, thumbprints and tags", async () => {
      OidcProvider.gitHubActions("github", {
        audiences: ["sts.amazonaws.com", "https://github.com/acme"],
        thumbprints: ["6938fd4d98bab03faadb97b34396831e3780aea1"],
        tags: { team: "platform" },
      });
      await mocks.settle();
      const inputs = mocks.one(PROVIDER, "github-provider").inputs;
      assert.deepEqual(inputs.clientIdLists, ["sts.amazonaws.com", "https://github.com/acme"]);
      assert.deepEqual(inputs.thumbprintLists, ["6938fd4d98bab03faadb97b34396831e3780aea1"]);
      assert.deepEqual(inputs.tags, { team: "platform", ...ownedBy("keyless:aws:OidcProvider::github") });
    });
  });

  describe("existing providers", () => {
    it("looks the provider up by URL and registers nothing", async () => {
      // GIVEN / WHEN
      const provider = OidcProvider.gitHubActions("github", { existing: true });
      // THEN
      assert.equal(
        await resolved(provider.arn),
        "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
      );
      assert.equal(await resolved(provider.issuer), "token.actions.githubusercontent.com");
      assert.deepEqual(await resolved(provider.audiences), ["sts.amazonaws.com"]);
      assert.equal(provider.provider, undefined);
      await mocks.settle();
      assert.deepEqual(mocks.summary(), ["keyless:aws:OidcProvider::github"]);
    });

    it("fails the ARN when the existing provider lacks an audience the tokens carry", async () => {
      // GIVEN the mock account's provider lists only sts.amazonaws.com
      const provider = OidcProvider.gitLab("gitlab", { existing: true });
      // WHEN / THEN
      const err = await expectRejection(resolved(provider.arn), KeylessErrorCode.MissingAudience, "audiences");
      assert.match(err.message, /missing \["https:\/\/gitlab.com"\]/);
      assert.match(err.message, /add-client-id-to-open-id-connect-provider/);
    });

    it("refuses thumbprints or tags for a provider it only looks up", async () => {
      for (const key of ["thumbprints", "tags"] as const) {
        const extra =
          key === "tags" ? { tags: { a: "b" } } : { thumbprints: ["6938fd4d98bab03faadb97b34396831e3780aea1"] };
        expectValidationError(
          () => OidcProvider.gitHubActions("github", { existing: true, ...extra }),
          KeylessErrorCode.ConflictingArguments,
          key,
        );
      }
      await mocks.settle();
      assert.deepEqual(mocks.resources, [], "nothing registered");
    });
  });

  describe("validation", () => {
    const badUrls: [string, string, RegExp][] = [
      ["http://gitlab.example.com", "plain http", /must start with https:\/\//],
      ["https://gitlab.example.com/", "a trailing slash", /must not end with "\/"/],
      ["https://gitlab.example.com:8443", "a port", /must not carry credentials or a port/],
      ["https://user@gitlab.example.com", "credentials", /must not carry credentials or a port/],
      ["https://gitlab.example.com?x=1", "a query", /must not have a query or fragment/],
      ["https://gitlab.example.com#top", "a fragment", /must not have a query or fragment/],
      [
        "https://gitlab.example.com/.well-known/openid-configuration",
        "the discovery document",
        /Remove "\/.well-known\/openid-configuration"/,
      ],
      ["https://GitLab.example.com", "an uppercase host", /Use "https:\/\/gitlab.example.com"/],
      ["https://gitlab.example.com/a/../b", "dot segments", /Use "https:\/\/gitlab.example.com\/b"/],
      ["gitlab.example.com", "no scheme", /must be the issuer's https URL/],
      [`https://${"a".repeat(250)}.com`, "more than 255 characters", /at most 255 characters/],
    ];
    for (const [url, what, message] of badUrls) {
      it(`refuses a URL with ${what} before registering anything`, async () => {
        const err = expectValidationError(
          () => new OidcProvider("p", { url, audiences: ["sts.amazonaws.com"] }),
          KeylessErrorCode.InvalidArgument,
          "url",
        );
        assert.match(err.message, message);
        await mocks.settle();
        assert.deepEqual(mocks.resources, [], "nothing registered");
      });
    }

    it("accepts an issuer with a path", async () => {
      new OidcProvider("p", { url: "https://example.com/gitlab", audiences: ["https://example.com/gitlab"] });
      await mocks.settle();
      assert.equal(mocks.one(PROVIDER).inputs.url, "https://example.com/gitlab");
    });

    it("checks a URL only known at deploy time before the provider gets it", async () => {
      const errors = await deployFailures(mocks, () => {
        new OidcProvider("p", { url: pulumi.output("https://gitlab.example.com/"), audiences: ["x"] });
      });
      expectFailure(errors, KeylessErrorCode.InvalidArgument, "url");
    });

    it("refuses an EKS issuer URL that is not one", async () => {
      expectValidationError(
        () => OidcProvider.eksCluster("irsa", { issuerUrl: "https://gitlab.com" }),
        KeylessErrorCode.InvalidArgument,
        "issuerUrl",
      );
      expectValidationError(
        () => OidcProvider.eksCluster("irsa", undefined as never),
        KeylessErrorCode.InvalidArgument,
        "issuerUrl",
      );
      const errors = await deployFailures(mocks, () => {
        OidcProvider.eksCluster("irsa", { issuerUrl: pulumi.output("https://oidc.eks.eu-west-1.amazonaws.com/x") });
      });
      expectFailure(errors, KeylessErrorCode.InvalidArgument, "issuerUrl");
    });

    it("refuses a missing URL, missing or bad audiences, and bad thumbprints", async () => {
      expectValidationError(() => new OidcProvider("p", undefined as never), KeylessErrorCode.InvalidArgument, "args");
      expectValidationError(
        () => new OidcProvider("p", { audiences: ["a"] } as never),
        KeylessErrorCode.InvalidArgument,
        "url",
      );
      const err = expectValidationError(
        () => new OidcProvider("p", { url: "https://gitlab.example.com" }),
        KeylessErrorCode.InvalidArgument,
        "audiences",
      );
      assert.match(err.message, /OidcProvider.gitHubActions/);
      expectValidationError(
        () => new OidcProvider("p", { url: "https://gitlab.example.com", audiences: [] }),
        KeylessErrorCode.InvalidArgument,
        "audiences",
      );
      expectValidationError(
        () => new OidcProvider("p", { url: "https://gitlab.example.com", audiences: ["ok", "has space"] }),
        KeylessErrorCode.InvalidArgument,
        "audiences[1]",
      );
      expectValidationError(
        () => new OidcProvider("p", { url: "https://gitlab.example.com", audiences: ["a*"] }),
        KeylessErrorCode.InvalidArgument,
        "audiences[0]",
      );
      expectValidationError(
        () => new OidcProvider("p", { url: "https://gitlab.example.com", audiences: ["a"], thumbprints: ["abc"] }),
        KeylessErrorCode.InvalidArgument,
        "thumbprints[0]",
      );
      expectValidationError(
        () =>
          new OidcProvider("p", {
            url: "https://gitlab.example.com",
            audiences: ["a"],
            thumbprints: Array(6).fill("6938fd4d98bab03faadb97b34396831e3780aea1"),
          }),
        KeylessErrorCode.InvalidArgument,
        "thumbprints",
      );
      await mocks.settle();
      assert.deepEqual(mocks.resources, [], "nothing registered");
    });

    it("refuses a Pulumi organization that tokens cannot carry", () => {
      for (const organization of ["Acme", "", "acme/web", undefined]) {
        expectValidationError(
          () => OidcProvider.pulumiCloud("pulumi", { organization } as never),
          KeylessErrorCode.InvalidArgument,
          "organization",
        );
      }
    });
  });
});
