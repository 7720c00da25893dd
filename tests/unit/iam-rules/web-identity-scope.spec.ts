import * as assert from "node:assert/strict";
import {
  WebIdentityFindingCode as Code,
  evaluateTrust,
  TrustPolicyError,
  type WebIdentityTrustFinding,
  webIdentityRequest,
  webIdentityTrustFindings,
} from "@keyless/iam-rules";
import fc from "fast-check";
import { propertyParameters } from "../../support/fast-check";

const ACCOUNT = "111122223333";
const GITHUB = "token.actions.githubusercontent.com";
const EKS = "oidc.eks.eu-west-1.amazonaws.com/id/5C1A2B3D4E5F60718293A4B5C6D7E8F9";
const GITLAB = "gitlab.com";
const PULUMI = "api.pulumi.com/oidc";
const GENERIC = "auth.example.com/oidc";
const provider = (issuer: string): string => `arn:aws:iam::${ACCOUNT}:oidc-provider/${issuer}`;
const AUD = { [`${GITHUB}:aud`]: "sts.amazonaws.com" };

type Json = Record<string, unknown>;

/** A trust policy with one statement trusting `issuer`'s provider, as JSON text. */
function webIdentity(issuer: string, condition?: Json, extra: Json = {}): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: provider(issuer) },
        Action: "sts:AssumeRoleWithWebIdentity",
        ...(condition !== undefined ? { Condition: condition } : {}),
        ...extra,
      },
    ],
  });
}

/** GitHub's trust with the audience pinned (StringEquals) and `sub` under `operator`. */
const github = (sub: string | string[], operator = "StringLike"): string =>
  webIdentity(
    GITHUB,
    operator === "StringEquals"
      ? { StringEquals: { ...AUD, [`${GITHUB}:sub`]: sub } }
      : { StringEquals: AUD, [operator]: { [`${GITHUB}:sub`]: sub } },
  );

const codes = (policy: string | object): string[] => webIdentityTrustFindings(policy).map((f) => f.code);

function only(policy: string, code: string): WebIdentityTrustFinding {
  const found = webIdentityTrustFindings(policy);
  assert.deepEqual(
    found.map((f) => f.code),
    [code],
    found.map((f) => f.message).join("\n"),
  );
  return found[0]!;
}

const podIdentity = (condition?: Json): string =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "pods.eks.amazonaws.com" },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        ...(condition !== undefined ? { Condition: condition } : {}),
      },
    ],
  });
const CLUSTER = `arn:aws:eks:eu-west-1:${ACCOUNT}:cluster/prod`;
const POD_TAGS = {
  StringEquals: {
    "aws:RequestTag/kubernetes-namespace": "payments",
    "aws:RequestTag/kubernetes-service-account": "api",
  },
  ArnEquals: { "aws:RequestTag/eks-cluster-arn": CLUSTER },
};

describe("iam-rules: webIdentityTrustFindings", () => {
  describe("scoped trust: no finding", () => {
    const scoped: [string, string][] = [
      [
        "GitHub, StringEquals with a fixed owner and repository and any ref",
        github("repo:octo/app:ref:refs/heads/main", "StringEquals"),
      ],
      ["GitHub, StringLike on the branches of one repository", github("repo:octo/app:ref:refs/heads/*")],
      ["GitHub, StringLike on everything of one repository", github("repo:octo/app:*")],
      ["GitHub, an environment", github("repo:octo/app:environment:production")],
      ["GitHub, the immutable owner@id/repo@id form", github("repo:octo@1234/app@5678:*")],
      ["GitHub, a list of scoped values", github(["repo:octo/app:ref:refs/heads/main", "repo:octo/api:pull_request"])],
      [
        "GitHub, a reusable workflow pinned by job_workflow_ref (sub left open)",
        webIdentity(GITHUB, {
          StringEquals: {
            ...AUD,
            [`${GITHUB}:job_workflow_ref`]: "octo/workflows/.github/workflows/deploy.yml@refs/heads/main",
          },
          StringLike: { [`${GITHUB}:sub`]: "repo:*" },
        }),
      ],
      ["GitHub, a `*` under StringEquals (a literal star, matching no token)", github("repo:octo/*:*", "StringEquals")],
      [
        "GitHub, one scoped condition ANDed with a loose one on the same key",
        webIdentity(GITHUB, {
          StringEquals: { ...AUD, [`${GITHUB}:sub`]: "repo:octo/app:ref:refs/heads/main" },
          StringLike: { [`${GITHUB}:sub`]: "repo:octo/*" },
        }),
      ],
      [
        "EKS IRSA, an exact service account",
        webIdentity(EKS, {
          StringEquals: { [`${EKS}:aud`]: "sts.amazonaws.com", [`${EKS}:sub`]: "system:serviceaccount:payments:api" },
        }),
      ],
      [
        "GitLab, one project's main branch",
        webIdentity(GITLAB, {
          StringEquals: { [`${GITLAB}:aud`]: "https://gitlab.com" },
          StringLike: { [`${GITLAB}:sub`]: "project_path:platform/infra:ref_type:branch:ref:*" },
        }),
      ],
      [
        "Pulumi Cloud, one organisation's project",
        webIdentity(PULUMI, {
          StringEquals: { [`${PULUMI}:aud`]: "aws:acme" },
          StringLike: { [`${PULUMI}:sub`]: "pulumi:deploy:org:acme:project:infra:*" },
        }),
      ],
      [
        "another issuer, a subject with fixed text",
        webIdentity(GENERIC, { StringEquals: { [`${GENERIC}:aud`]: "my-client", [`${GENERIC}:sub`]: "svc-deployer" } }),
      ],
      ["EKS Pod Identity with namespace, service account and cluster tags", podIdentity(POD_TAGS)],
      [
        "EKS Pod Identity bounded to the cluster by aws:SourceArn",
        podIdentity({
          StringEquals: POD_TAGS.StringEquals,
          ArnEquals: { "aws:SourceArn": CLUSTER },
        }),
      ],
      [
        "a service role",
        JSON.stringify({
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      ],
      [
        "a SAML provider and a Cognito identity pool (not read)",
        JSON.stringify({
          Statement: [
            {
              Effect: "Allow",
              Principal: { Federated: `arn:aws:iam::${ACCOUNT}:saml-provider/corp` },
              Action: "sts:AssumeRoleWithSAML",
            },
            {
              Effect: "Allow",
              Principal: { Federated: "cognito-identity.amazonaws.com" },
              Action: "sts:AssumeRoleWithWebIdentity",
            },
          ],
        }),
      ],
      [
        "a Deny statement on the provider",
        JSON.stringify({
          Statement: [
            { Effect: "Deny", Principal: { Federated: provider(GITHUB) }, Action: "sts:AssumeRoleWithWebIdentity" },
          ],
        }),
      ],
    ];
    for (const [what, policy] of scoped) it(what, () => assert.deepEqual(webIdentityTrustFindings(policy), []));

    it("reads URL-encoded text as IAM's API returns it, and an object as its JSON", () => {
      const text = github("repo:*/app:*");
      assert.deepEqual(codes(encodeURIComponent(text)), [Code.UnscopedValue]);
      assert.deepEqual(codes(JSON.parse(text) as object), [Code.UnscopedValue]);
    });

    it("throws TrustPolicyError for text that is not a trust policy", () => {
      assert.throws(() => webIdentityTrustFindings("{not json"), TrustPolicyError);
    });
  });

  describe(Code.NoAudienceCondition, () => {
    it("no condition on aud: names the key and the fix; AWS accepts it", () => {
      const f = only(
        webIdentity(GITHUB, { StringLike: { [`${GITHUB}:sub`]: "repo:octo/app:*" } }),
        Code.NoAudienceCondition,
      );
      assert.equal(f.awsRefuses, false);
      assert.equal(f.issuer, GITHUB);
      assert.equal(f.issuerKind, "github");
      assert.deepEqual(f.statement, { index: 0 });
      assert.match(
        f.message,
        /^statement 0 trusts token\.actions\.githubusercontent\.com without a condition that fixes `token\.actions\.githubusercontent\.com:aud`: add `"StringEquals": \{"token\.actions\.githubusercontent\.com:aud": "sts\.amazonaws\.com"\}`\.$/,
      );
    });

    it("only a Null condition on aud, named by the statement's Sid", () => {
      const policy = webIdentity(
        EKS,
        { Null: { [`${EKS}:aud`]: "false" }, StringEquals: { [`${EKS}:sub`]: "system:serviceaccount:payments:api" } },
        { Sid: "Irsa" },
      );
      const f = only(policy, Code.NoAudienceCondition);
      assert.deepEqual(f.statement, { index: 0, sid: "Irsa" });
      assert.match(f.message, /^statement "Irsa" .*\(only `Null`\)/);
    });
  });

  describe(Code.NoSubjectCondition, () => {
    it("GitHub with only aud: any repository; AWS refuses it too", () => {
      const f = only(webIdentity(GITHUB, { StringEquals: AUD }), Code.NoSubjectCondition);
      assert.equal(f.awsRefuses, true);
      assert.match(f.message, /any workflow of any repository on GitHub can assume the role/);
      assert.match(f.message, /"repo:<owner>\/<repository>:ref:refs\/heads\/main"/);
      assert.match(f.message, /AWS itself also refuses this trust policy/);
    });

    it("GitHub pinned only by its repository claim: AWS still requires sub or job_workflow_ref", () => {
      const f = only(
        webIdentity(GITHUB, { StringEquals: { ...AUD, [`${GITHUB}:repository`]: "octo/app" } }),
        Code.NoSubjectCondition,
      );
      assert.equal(f.awsRefuses, true);
    });

    it("no condition at all: both the audience and the pin", () => {
      assert.deepEqual(codes(webIdentity(GITHUB)), [Code.NoAudienceCondition, Code.NoSubjectCondition]);
    });

    it("EKS IRSA without sub: any service account; AWS accepts it", () => {
      const f = only(
        webIdentity(EKS, { StringEquals: { [`${EKS}:aud`]: "sts.amazonaws.com" } }),
        Code.NoSubjectCondition,
      );
      assert.equal(f.awsRefuses, false);
      assert.match(
        f.message,
        /any service account of the cluster.*system:serviceaccount:<namespace>:<service account>/,
      );
    });

    it('"Principal": "*" with sts:AssumeRoleWithWebIdentity and no issuer in its keys', () => {
      const policy = JSON.stringify({
        Statement: [{ Effect: "Allow", Principal: "*", Action: "sts:AssumeRoleWithWebIdentity" }],
      });
      const f = only(policy, Code.NoSubjectCondition);
      assert.equal(f.issuer, "*");
      assert.match(f.message, /any web identity of any OIDC provider/);
    });
  });

  describe(Code.UnscopedValue, () => {
    const cases: [string, string, RegExp, boolean][] = [
      ["repo:*", GITHUB, /its wildcard can match more than one owner\/repository/, false],
      ["repo:*/*", GITHUB, /its wildcard can match more than one owner\/repository/, false],
      ["*", GITHUB, /matches every sub/, true],
      ["repo:*/app:*", GITHUB, /the owner is open\. Name it: `repo:<owner>\/app:\*`/, false],
      ["repo:octo/*", GITHUB, /not of the form `repo:<owner>\/<repository>:ref:refs\/heads\/main`/, false],
      ["repo:octo/*:*", GITHUB, /the repository is open\. Name it: `repo:octo\/<repository>:\*`/, false],
      ["repo:octo/ap?:*", GITHUB, /the repository is open/, false],
      ["repo:octo/app*", GITHUB, /not of the form/, false],
      ["project_path:*/infra:ref_type:branch:ref:main", GITLAB, /the group is open/, false],
      ["project_path:platform/*:ref_type:branch:ref:main", GITLAB, /the project is open/, false],
      ["pulumi:deploy:org:*:project:infra:*", PULUMI, /the organization is open/, false],
      ["system:serviceaccount:*:api", EKS, /the namespace is open/, false],
      ["system:serviceaccount:payments:*", EKS, /the service account is open/, false],
      ["*", GENERIC, /matches every sub/, false],
    ];
    for (const [sub, issuer, why, refuses] of cases) {
      it(`${issuer} sub ${sub}${refuses ? " (AWS refuses it too)" : ""}`, () => {
        const f = only(
          webIdentity(issuer, {
            StringEquals: { [`${issuer}:aud`]: "sts.amazonaws.com" },
            StringLike: { [`${issuer}:sub`]: sub },
          }),
          Code.UnscopedValue,
        );
        assert.equal(f.value, sub);
        assert.equal(f.valueIndex, 0);
        assert.equal(f.key, `${issuer}:sub`);
        assert.equal(f.operator, "StringLike");
        assert.equal(f.awsRefuses, refuses);
        assert.match(f.message, why);
        assert.ok(f.message.includes(`"${sub}"`), f.message);
      });
    }

    it("GitHub's job_workflow_ref with an open repository", () => {
      const f = only(
        webIdentity(GITHUB, {
          StringEquals: AUD,
          StringLike: { [`${GITHUB}:job_workflow_ref`]: "octo/*/.github/workflows/deploy.yml@*" },
        }),
        Code.UnscopedValue,
      );
      assert.match(f.message, /the repository is open/);
    });

    it("an audience that is only wildcards", () => {
      const f = only(
        webIdentity(GITHUB, { StringLike: { [`${GITHUB}:aud`]: "*", [`${GITHUB}:sub`]: "repo:octo/app:*" } }),
        Code.UnscopedValue,
      );
      assert.equal(f.key, `${GITHUB}:aud`);
      assert.match(f.message, /matches every audience/);
    });
  });

  describe(Code.UnscopedValueInList, () => {
    it("a `*` after a scoped first value: AWS accepts it, IAM admits any repository", () => {
      const policy = github(["repo:octo/app:ref:refs/heads/main", "*"]);
      const f = only(policy, Code.UnscopedValueInList);
      assert.equal(f.valueIndex, 1);
      assert.equal(f.value, "*");
      assert.equal(f.awsRefuses, false);
      assert.match(f.message, /value 1, `\*`, does not name one workload.*reads only the first/);
      // and IAM does admit another repository's token
      const foreign = webIdentityRequest(provider(GITHUB), {
        sub: "repo:evil/x:ref:refs/heads/main",
        aud: "sts.amazonaws.com",
      });
      assert.equal(evaluateTrust(policy, foreign).allowed, true);
    });

    it("an open owner in the third value", () => {
      const f = only(github(["repo:octo/app:*", "repo:octo/api:*", "repo:*/app:*"]), Code.UnscopedValueInList);
      assert.equal(f.valueIndex, 2);
      assert.match(f.message, /the owner is open/);
    });

    it("a `*` first and a scoped value after: the first value's finding, and AWS refuses it", () => {
      const f = only(github(["*", "repo:octo/app:*"]), Code.UnscopedValue);
      assert.equal(f.awsRefuses, true);
    });
  });

  describe(Code.AbsentClaimPasses, () => {
    for (const operator of ["ForAllValues:StringLike", "StringLikeIfExists", "ForAllValues:StringEqualsIfExists"]) {
      it(`${operator} on sub, which a token without sub passes`, () => {
        const policy = github("repo:octo/app:*", operator);
        const f = only(policy, Code.AbsentClaimPasses);
        assert.equal(f.operator, operator);
        assert.match(f.message, /holds for a token without that claim/);
        // IAM agrees: a token without sub is admitted
        const noSub = webIdentityRequest(provider(GITHUB), { aud: "sts.amazonaws.com" });
        assert.equal(evaluateTrust(policy, noSub).allowed, true);
      });
    }

    it("ForAllValues: on aud", () => {
      const f = only(
        webIdentity(GITHUB, {
          "ForAllValues:StringEquals": AUD,
          StringLike: { [`${GITHUB}:sub`]: "repo:octo/app:*" },
        }),
        Code.AbsentClaimPasses,
      );
      assert.equal(f.key, `${GITHUB}:aud`);
    });
  });

  describe(Code.NegatedConditionOnly, () => {
    it("StringNotLike as the only pin: every other repository passes; AWS refuses it", () => {
      const f = only(github("repo:evil/*", "StringNotLike"), Code.NegatedConditionOnly);
      assert.equal(f.awsRefuses, true);
      assert.match(f.message, /"StringNotLike": "repo:evil\/\*".*admits every other value/);
    });

    it("StringNotEquals on aud", () => {
      const f = only(
        webIdentity(GITHUB, {
          StringNotEquals: { [`${GITHUB}:aud`]: "other" },
          StringLike: { [`${GITHUB}:sub`]: "repo:octo/app:*" },
        }),
        Code.NegatedConditionOnly,
      );
      assert.equal(f.awsRefuses, false);
    });
  });

  describe(Code.DuplicateMember, () => {
    const statement = (condition: string): string =>
      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"${provider(GITHUB)}"},` +
      `"Action":"sts:AssumeRoleWithWebIdentity","Condition":${condition}}]}`;

    it("a second StringLike block drops the sub pin (No keys attached, Datadog Security Labs 2023)", () => {
      const policy = statement(
        `{"StringLike":{"${GITHUB}:sub":"repo:octo/app:*"},"StringEquals":{"${GITHUB}:aud":"sts.amazonaws.com"},` +
          `"StringLike":{"${GITHUB}:aud":"sts.amazonaws.com"}}`,
      );
      const found = webIdentityTrustFindings(policy);
      assert.deepEqual(
        found.map((f) => f.code),
        [Code.DuplicateMember, Code.NoSubjectCondition],
      );
      assert.equal(found[0]?.key, "StringLike");
      assert.match(found[0]!.message, /writes `StringLike` twice in `Statement\[0\]\.Condition`.*keeps only the last/);
    });

    it("a key written twice, even when the value kept is scoped", () => {
      const policy = statement(
        `{"StringEquals":{"${GITHUB}:aud":"sts.amazonaws.com"},` +
          `"StringLike":{"${GITHUB}:sub":"repo:*","${GITHUB}:sub":"repo:octo/app:*"}}`,
      );
      const f = only(policy, Code.DuplicateMember);
      assert.equal(f.key, `${GITHUB}:sub`);
      assert.match(f.message, /in `Statement\[0\]\.Condition\.StringLike`/);
    });

    it("in a policy whose one statement is an object, not a list", () => {
      const policy =
        `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"${provider(GITHUB)}"},` +
        `"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"${GITHUB}:aud":"sts.amazonaws.com",` +
        `"${GITHUB}:aud":"sts.amazonaws.com"},"StringLike":{"${GITHUB}:sub":"repo:octo/app:*"}}}}`;
      only(policy, Code.DuplicateMember);
    });

    it("not in a statement that trusts no web identity", () => {
      const policy =
        `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com","Service":"lambda.amazonaws.com"},` +
        `"Action":"sts:AssumeRole"}]}`;
      assert.deepEqual(codes(policy), []);
    });
  });

  describe(Code.PodIdentityTagUnbounded, () => {
    it("no tag condition: namespace, service account and cluster", () => {
      const found = webIdentityTrustFindings(podIdentity());
      assert.deepEqual(
        found.map((f) => [f.code, f.key]),
        [
          [Code.PodIdentityTagUnbounded, "aws:RequestTag/kubernetes-namespace"],
          [Code.PodIdentityTagUnbounded, "aws:RequestTag/kubernetes-service-account"],
          [Code.PodIdentityTagUnbounded, "aws:RequestTag/eks-cluster-arn"],
        ],
      );
      assert.equal(found[0]?.issuer, "pods.eks.amazonaws.com");
      assert.equal(found[0]?.issuerKind, "eks-pod-identity");
      assert.match(
        found[0]!.message,
        /add `"StringEquals": \{"aws:RequestTag\/kubernetes-namespace": "<namespace>"\}`/,
      );
    });

    it("a wildcard namespace, an IfExists service account", () => {
      const found = webIdentityTrustFindings(
        podIdentity({
          StringLike: { "aws:RequestTag/kubernetes-namespace": "team-*" },
          StringEqualsIfExists: { "aws:RequestTag/kubernetes-service-account": "api" },
          ArnEquals: { "aws:RequestTag/eks-cluster-arn": CLUSTER },
        }),
      );
      assert.deepEqual(
        found.map((f) => [f.key, f.value]),
        [
          ["aws:RequestTag/kubernetes-namespace", "team-*"],
          ["aws:RequestTag/kubernetes-service-account", undefined],
        ],
      );
    });

    it("a cluster ARN with a wildcard", () => {
      const f = only(
        podIdentity({
          StringEquals: POD_TAGS.StringEquals,
          ArnLike: { "aws:RequestTag/eks-cluster-arn": `arn:aws:eks:*:${ACCOUNT}:cluster/*` },
        }),
        Code.PodIdentityTagUnbounded,
      );
      assert.equal(f.key, "aws:RequestTag/eks-cluster-arn");
    });
  });

  describe(Code.ForeignTokenAdmitted, () => {
    const variable = `repo:\${${GITHUB}:repository_owner}/app:ref:refs/heads/main`;

    it("a policy variable in the owner: no rule on the text fires, IAM admits another owner's repository", () => {
      const f = only(github(variable, "StringEquals"), Code.ForeignTokenAdmitted);
      assert.match(f.value!, /^repo:foreign-[0-9a-f]{12}\/app:ref:refs\/heads\/main$/);
      assert.match(f.message, /admits a token from token\.actions\.githubusercontent\.com for a workload no pin names/);
      assert.equal(f.awsRefuses, false);
    });

    it('the same under {"AWS": "*"}, whose web identities IAM admits as for "*"', () => {
      const policy = JSON.stringify({
        Version: "2012-10-17", // policy variables are read only under this version
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: { StringEquals: { ...AUD, [`${GITHUB}:sub`]: variable } },
          },
        ],
      });
      only(policy, Code.ForeignTokenAdmitted);
    });

    it("sub compared with itself", () => {
      only(github(`\${${GITHUB}:sub}`, "StringEquals"), Code.ForeignTokenAdmitted);
    });

    it("is not reported when an explicit Deny refuses the made-up token", () => {
      const policy = JSON.parse(github(variable, "StringEquals")) as { Statement: Json[] };
      policy.Statement.push({
        Effect: "Deny",
        Principal: { Federated: provider(GITHUB) },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: { StringNotEquals: { [`${GITHUB}:repository_owner`]: "octo" } },
      });
      assert.deepEqual(codes(JSON.stringify(policy)), []);
    });
  });

  describe("properties", () => {
    const name = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,19}$/);
    const rest = fc.string({
      unit: fc.constantFrom("a", "1", ":", "/", "-", "*", "?", "."),
      minLength: 1,
      maxLength: 12,
    });
    const scopedGithub = fc
      .record({ owner: name, repo: name, rest })
      .map(({ owner, repo, rest: r }) => `repo:${owner}/${repo}:${r}`);
    const wildcardName = fc
      .tuple(fc.stringMatching(/^[a-z0-9-]{0,6}$/), fc.constantFrom("*", "?"), fc.stringMatching(/^[a-z0-9-*?]{0,6}$/))
      .map(([a, w, b]) => `${a}${w}${b}`);

    it("any scoped GitHub trust gives no finding, and IAM refuses a made-up foreign repository", () => {
      fc.assert(
        fc.property(
          fc.array(scopedGithub, { minLength: 1, maxLength: 3 }),
          fc.constantFrom("StringLike", "StringEquals", "StringEqualsIgnoreCase", "ForAnyValue:StringLike"),
          (subs, operator) => {
            const policy = github(subs, operator);
            assert.deepEqual(codes(policy), [], policy);
            const foreign = webIdentityRequest(provider(GITHUB), {
              sub: "repo:zz-foreign/zz-foreign:ref:refs/heads/main",
              aud: "sts.amazonaws.com",
            });
            assert.equal(evaluateTrust(policy, foreign).allowed, false);
          },
        ),
        propertyParameters(300),
      );
    });

    it("any scoped EKS service account gives no finding", () => {
      fc.assert(
        fc.property(name, name, fc.boolean(), (namespace, account, list) => {
          const sub = `system:serviceaccount:${namespace}:${account}`;
          const policy = webIdentity(EKS, {
            StringEquals: { [`${EKS}:aud`]: "sts.amazonaws.com", [`${EKS}:sub`]: list ? [sub, `${sub}-b`] : sub },
          });
          assert.deepEqual(codes(policy), [], policy);
        }),
        propertyParameters(200),
      );
    });

    it("any GitHub trust with a wildcard in the owner gives UnscopedValue", () => {
      fc.assert(
        fc.property(wildcardName, fc.oneof(name, wildcardName), rest, (owner, repo, r) => {
          const sub = `repo:${owner}/${repo}:${r}`;
          const found = webIdentityTrustFindings(github(sub));
          assert.deepEqual(
            found.map((f) => [f.code, f.value]),
            [[Code.UnscopedValue, sub]],
          );
          assert.match(found[0]!.message, /the owner( and repository are| is) open/);
        }),
        propertyParameters(300),
      );
    });

    it("an unscoped value anywhere in a list is found at its index; AWS refuses it only in the first place", () => {
      fc.assert(
        fc.property(
          fc.array(scopedGithub, { minLength: 1, maxLength: 4 }),
          fc.constantFrom("*", "repo:*", "repo:*/*", "repo:*/app:*", "repo:octo/*:*"),
          fc.nat(),
          (subs, loose, at) => {
            const index = at % (subs.length + 1);
            const values = [...subs.slice(0, index), loose, ...subs.slice(index)];
            const found = webIdentityTrustFindings(github(values));
            assert.equal(found.length, 1);
            assert.equal(found[0]?.code, index === 0 ? Code.UnscopedValue : Code.UnscopedValueInList);
            assert.equal(found[0]?.valueIndex, index);
            assert.equal(found[0]?.awsRefuses, index === 0 && loose === "*");
          },
        ),
        propertyParameters(300),
      );
    });

    it("whenever no finding is given, IAM refuses every made-up token from another owner", () => {
      // Policies from scoped and loose parts alike; the analysis and IAM's evaluation must agree on the scoped ones.
      const part = fc.oneof(name, wildcardName, fc.constant("*"));
      const sub = fc.oneof(
        fc.tuple(part, part, rest).map(([o, r, x]) => `repo:${o}/${r}:${x}`),
        fc.constantFrom("*", "repo:*", `repo:\${${GITHUB}:repository_owner}/app:*`),
      );
      fc.assert(
        fc.property(
          fc.array(sub, { minLength: 1, maxLength: 3 }),
          fc.constantFrom("StringLike", "StringEquals"),
          (subs, op) => {
            const policy = github(subs, op);
            if (webIdentityTrustFindings(policy).length > 0) return;
            // owners `name` never generates (upper case), so no scoped policy names them
            for (const owner of ["Zz-foreign", "X"]) {
              const claims = {
                sub: `repo:${owner}/app:ref:refs/heads/main`,
                repository_owner: owner,
                aud: "sts.amazonaws.com",
              };
              assert.equal(evaluateTrust(policy, webIdentityRequest(provider(GITHUB), claims)).allowed, false, policy);
            }
          },
        ),
        propertyParameters(500),
      );
    });

    it("a sub pin written twice is always reported, whatever the values", () => {
      fc.assert(
        fc.property(scopedGithub, scopedGithub, (first, last) => {
          const policy =
            `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"${provider(GITHUB)}"},` +
            `"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"${GITHUB}:aud":"sts.amazonaws.com"},` +
            `"StringLike":{"${GITHUB}:sub":${JSON.stringify(first)},"${GITHUB}:sub":${JSON.stringify(last)}}}}]}`;
          assert.deepEqual(codes(policy), [Code.DuplicateMember]);
        }),
        propertyParameters(100),
      );
    });
  });
});
