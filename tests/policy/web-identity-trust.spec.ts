import { policies, webIdentityTrustScoped } from "@keyless/policy-pack/policies";
import * as aws from "@pulumi/aws";
import {
  assertHasViolation,
  assertNotApplicable,
  assertNoViolations,
  assertUndecided,
  createResourceValidationArgs,
  runResourcePolicy,
  UNKNOWN,
} from "../support/policy";
import { check } from "../support/policy-credentials";

const GITHUB = "token.actions.githubusercontent.com";
const EKS = "oidc.eks.eu-west-1.amazonaws.com/id/5C1A2B3D4E5F60718293A4B5C6D7E8F9";
const provider = (issuer: string): string => `arn:aws:iam::111122223333:oidc-provider/${issuer}`;

type Json = Record<string, unknown>;

/** One statement trusting `issuer`'s provider with `condition`, as the policy object. */
const webIdentity = (issuer: string, condition?: Json): Json => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { Federated: provider(issuer) },
      Action: "sts:AssumeRoleWithWebIdentity",
      ...(condition !== undefined ? { Condition: condition } : {}),
    },
  ],
});

/** The deploy role of the happy path: GitHub, audience fixed, one repository's main branch. */
const scoped = (): Json =>
  webIdentity(GITHUB, {
    StringEquals: { [`${GITHUB}:aud`]: "sts.amazonaws.com" },
    StringLike: { [`${GITHUB}:sub`]: "repo:octo/app:ref:refs/heads/main" },
  });

/** The happy path with its `sub` condition replaced (the audience stays under StringEquals). */
const withSub = (sub: unknown, operator = "StringLike"): Json => {
  const aud = { [`${GITHUB}:aud`]: "sts.amazonaws.com" };
  const pin = { [`${GITHUB}:sub`]: sub };
  return webIdentity(
    GITHUB,
    operator === "StringEquals" ? { StringEquals: { ...aud, ...pin } } : { StringEquals: aud, [operator]: pin },
  );
};

describe("#web-identity-trust-scoped", () => {
  const policy = webIdentityTrustScoped;
  const getHappyPathArgs = (assumeRolePolicy: unknown = JSON.stringify(scoped()), config: Json = {}) =>
    createResourceValidationArgs(aws.iam.Role, { name: "deploy", assumeRolePolicy }, policy, config, "deploy");
  const run = (assumeRolePolicy?: unknown, config?: Json) =>
    runResourcePolicy(policy, getHappyPathArgs(assumeRolePolicy, config));

  it("is in the pack, mandatory and critical", () => {
    check(policies.includes(policy), "in the pack");
    check(policy.enforcementLevel === "mandatory" && policy.severity === "critical", "mandatory, critical");
  });

  it("passes the happy path: one repository's main branch, the audience fixed", async () =>
    assertNoViolations(await run()));

  it("passes a service role, an EKS service account, and Pod Identity with its tags", async () => {
    assertNoViolations(
      await run(
        JSON.stringify({
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      ),
    );
    assertNoViolations(
      await run(
        JSON.stringify(
          webIdentity(EKS, {
            StringEquals: { [`${EKS}:aud`]: "sts.amazonaws.com", [`${EKS}:sub`]: "system:serviceaccount:payments:api" },
          }),
        ),
      ),
    );
    assertNoViolations(
      await run(
        JSON.stringify({
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "pods.eks.amazonaws.com" },
              Action: ["sts:AssumeRole", "sts:TagSession"],
              Condition: {
                StringEquals: {
                  "aws:RequestTag/kubernetes-namespace": "payments",
                  "aws:RequestTag/kubernetes-service-account": "api",
                  "aws:RequestTag/eks-cluster-arn": "arn:aws:eks:eu-west-1:111122223333:cluster/prod",
                },
              },
            },
          ],
        }),
      ),
    );
  });

  it("is not applicable to other types", async () => {
    assertNotApplicable(await runResourcePolicy(policy, createResourceValidationArgs(aws.iam.User, {}, policy)));
  });

  it("flags a trust without a sub condition, naming the role, the issuer and the fix, and that AWS refuses it too", async () => {
    const o = await run(
      JSON.stringify(webIdentity(GITHUB, { StringEquals: { [`${GITHUB}:aud`]: "sts.amazonaws.com" } })),
    );
    assertHasViolation(o, {
      message:
        "Role `deploy` must not let a web identity it does not name assume it: statement 0 trusts " +
        "token.actions.githubusercontent.com without a condition that pins `token.actions.githubusercontent.com:sub`",
    });
    assertHasViolation(o, { message: '"repo:<owner>/<repository>:ref:refs/heads/main"' });
    assertHasViolation(o, { message: "AWS itself also refuses this trust policy" });
    assertHasViolation(o, { message: "[NoSubjectCondition]" });
  });

  it("flags a trust without an aud condition", async () => {
    const o = await run(JSON.stringify(webIdentity(GITHUB, { StringLike: { [`${GITHUB}:sub`]: "repo:octo/app:*" } })));
    assertHasViolation(o, { message: "without a condition that fixes `token.actions.githubusercontent.com:aud`" });
  });

  it("flags repo:*, which AWS accepts, without saying AWS refuses it", async () => {
    const o = await run(JSON.stringify(withSub("repo:*")));
    assertHasViolation(o, { message: '`"StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}`' });
    assertHasViolation(o, { message: "[UnscopedValue]" });
    check(!o.violations.some((v) => v.message.includes("AWS itself")), "AWS accepts repo:*");
  });

  it("flags a wildcard owner, suggesting the value with the owner named", async () => {
    assertHasViolation(await run(JSON.stringify(withSub("repo:*/app:*"))), {
      message: "the owner is open. Name it: `repo:<owner>/app:*`",
    });
  });

  it("flags a * after a scoped first value in the list", async () => {
    assertHasViolation(await run(JSON.stringify(withSub(["repo:octo/app:*", "*"]))), {
      message: "whose value 1, `*`, does not name one workload",
    });
  });

  it("flags ForAllValues: and IfExists as the only pin", async () => {
    assertHasViolation(await run(JSON.stringify(withSub("repo:octo/app:*", "ForAllValues:StringLike"))), {
      message: "[AbsentClaimPasses]",
    });
    assertHasViolation(await run(JSON.stringify(withSub("repo:octo/app:*", "StringLikeIfExists"))), {
      message: "[AbsentClaimPasses]",
    });
  });

  it("flags StringNotLike as the only pin", async () => {
    assertHasViolation(await run(JSON.stringify(withSub("repo:evil/*", "StringNotLike"))), {
      message: "[NegatedConditionOnly]",
    });
  });

  it("flags a condition operator written twice, reading the raw text", async () => {
    const text =
      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"${provider(GITHUB)}"},` +
      `"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"${GITHUB}:sub":"repo:octo/app:*"},` +
      `"StringEquals":{"${GITHUB}:aud":"sts.amazonaws.com"},"StringLike":{"${GITHUB}:aud":"sts.amazonaws.com"}}}]}`;
    const o = await run(text);
    assertHasViolation(o, { message: "writes `StringLike` twice in `Statement[0].Condition`" });
    assertHasViolation(o, { message: "[NoSubjectCondition]" });
  });

  it("flags EKS Pod Identity without namespace, service account and cluster tags", async () => {
    const o = await run(
      JSON.stringify({
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "pods.eks.amazonaws.com" },
            Action: ["sts:AssumeRole", "sts:TagSession"],
          },
        ],
      }),
    );
    check(o.violations.length === 3, `${o.violations.length} violations`);
    assertHasViolation(o, { message: "without a condition that fixes `aws:RequestTag/kubernetes-namespace`" });
  });

  it("flags a pin a policy variable leaves open, which only IAM's evaluation of a made-up token shows", async () => {
    const o = await run(
      JSON.stringify(withSub(`repo:\${${GITHUB}:repository_owner}/app:ref:refs/heads/main`, "StringEquals")),
    );
    assertHasViolation(o, {
      message: "admits a token from token.actions.githubusercontent.com for a workload no pin names",
    });
    assertHasViolation(o, { message: "[ForeignTokenAdmitted]" });
  });

  it("reads an object-valued assumeRolePolicy as its JSON", async () => {
    assertHasViolation(await run(withSub("repo:*")), { message: "[UnscopedValue]" });
    assertNoViolations(await run(scoped()));
  });

  it("flags a trust policy that is not one", async () => {
    assertHasViolation(await run("{not json"), {
      message: "Role `deploy` has an `assumeRolePolicy` that is not a trust policy",
    });
  });

  it("leaves an unknown trust policy to an advisory note, or fails with failOnUnknown", async () => {
    assertUndecided(await run(UNKNOWN));
    assertHasViolation(await run(UNKNOWN, { failOnUnknown: true }), {
      message: "`assumeRolePolicy` is unknown during preview",
    });
    // a provider ARN unknown inside an object: undecided too
    const unknownProvider = { ...scoped(), Statement: [{ Effect: "Allow", Principal: { Federated: UNKNOWN } }] };
    assertUndecided(await run(unknownProvider));
    assertHasViolation(await run(unknownProvider, { failOnUnknown: true }), {
      message: "`assumeRolePolicy` is unknown during preview",
    });
  });
});
