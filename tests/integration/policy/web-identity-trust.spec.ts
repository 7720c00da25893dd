import assert from "node:assert/strict";
import path from "node:path";
import { type RunResult, StackRunError } from "@keyless/testing";
import * as aws from "@pulumi/aws";
import { withProviderStack } from "../provider/support";

const POLICY_PACK = path.resolve(__dirname, "..", "..", "..", "policy-pack");
const POLICY = "web-identity-trust-scoped";
const GITHUB = "token.actions.githubusercontent.com";
const EKS = "oidc.eks.eu-west-1.amazonaws.com/id/5C1A2B3D4E5F60718293A4B5C6D7E8F9";
// A literal provider ARN: the pack reads the trust policy, it never needs the provider to exist.
const provider = (issuer: string): string => `arn:aws:iam::000000000000:oidc-provider/${issuer}`;

type Json = Record<string, unknown>;

const trust = (statement: Json): string => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });
const webIdentity = (issuer: string, condition: Json): string =>
  trust({
    Effect: "Allow",
    Principal: { Federated: provider(issuer) },
    Action: "sts:AssumeRoleWithWebIdentity",
    Condition: condition,
  });
const AUD = { [`${GITHUB}:aud`]: "sts.amazonaws.com" };
const github = (sub: unknown, operator = "StringLike"): string =>
  webIdentity(
    GITHUB,
    operator === "StringEquals"
      ? { StringEquals: { ...AUD, [`${GITHUB}:sub`]: sub } }
      : { StringEquals: AUD, [operator]: { [`${GITHUB}:sub`]: sub } },
  );
const podIdentity = (condition?: Json): string =>
  trust({
    Effect: "Allow",
    Principal: { Service: "pods.eks.amazonaws.com" },
    Action: ["sts:AssumeRole", "sts:TagSession"],
    ...(condition !== undefined ? { Condition: condition } : {}),
  });

/** Scenario 1: each unscoped form, a plain role each, and the finding codes the pack must report on it. */
const UNSCOPED: Record<string, { readonly policy: string; readonly codes: readonly string[] }> = {
  "no-sub": { policy: webIdentity(GITHUB, { StringEquals: AUD }), codes: ["NoSubjectCondition"] },
  "no-aud": {
    policy: webIdentity(EKS, { StringEquals: { [`${EKS}:sub`]: "system:serviceaccount:payments:api" } }),
    codes: ["NoAudienceCondition"],
  },
  "any-repo": { policy: github("repo:*"), codes: ["UnscopedValue"] },
  "any-owner": { policy: github("repo:*/app:*"), codes: ["UnscopedValue"] },
  "any-namespace": {
    policy: webIdentity(EKS, {
      StringEquals: { [`${EKS}:aud`]: "sts.amazonaws.com" },
      StringLike: { [`${EKS}:sub`]: "system:serviceaccount:*:api" },
    }),
    codes: ["UnscopedValue"],
  },
  "star-later": { policy: github(["repo:octo/app:ref:refs/heads/main", "*"]), codes: ["UnscopedValueInList"] },
  "for-all-values": { policy: github("repo:octo/app:*", "ForAllValues:StringLike"), codes: ["AbsentClaimPasses"] },
  "if-exists": { policy: github("repo:octo/app:*", "StringLikeIfExists"), codes: ["AbsentClaimPasses"] },
  "not-like": { policy: github("repo:evil/*", "StringNotLike"), codes: ["NegatedConditionOnly"] },
  // written by hand: the second StringLike silently replaces the first, which held the sub pin
  duplicate: {
    policy:
      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"${provider(GITHUB)}"},` +
      `"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"${GITHUB}:sub":"repo:octo/app:*"},` +
      `"StringEquals":{"${GITHUB}:aud":"sts.amazonaws.com"},"StringLike":{"${GITHUB}:aud":"sts.amazonaws.com"}}}]}`,
    codes: ["DuplicateMember", "NoSubjectCondition"],
  },
  "pod-identity": {
    policy: podIdentity({ StringEquals: { "aws:RequestTag/kubernetes-namespace": "payments" } }),
    codes: ["PodIdentityTagUnbounded"],
  },
  "variable-owner": {
    policy: github(`repo:\${${GITHUB}:repository_owner}/app:ref:refs/heads/main`, "StringEquals"),
    codes: ["ForeignTokenAdmitted"],
  },
};

/** Scenario 2: scoped trust of each kind; the pack must let every one through. */
const SCOPED: Record<string, string | aws.iam.PolicyDocument> = {
  "main-branch": github("repo:octo/app:ref:refs/heads/main", "StringEquals"),
  branches: github("repo:octo/app:ref:refs/heads/*"),
  "whole-repo": github("repo:octo/app:*"),
  "eks-sa": webIdentity(EKS, {
    StringEquals: { [`${EKS}:aud`]: "sts.amazonaws.com", [`${EKS}:sub`]: "system:serviceaccount:payments:api" },
  }),
  "pod-tags": podIdentity({
    StringEquals: {
      "aws:RequestTag/kubernetes-namespace": "payments",
      "aws:RequestTag/kubernetes-service-account": "api",
    },
    ArnEquals: { "aws:RequestTag/eks-cluster-arn": "arn:aws:eks:eu-west-1:000000000000:cluster/prod" },
  }),
  // an object, as @pulumi/aws also accepts: the pack reads its JSON
  "as-object": JSON.parse(github("repo:octo/app:environment:production")) as aws.iam.PolicyDocument,
  ec2: trust({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }),
};

/**
 * `<role name> <finding code>` for each violation of the policy, read from the `[Code]` that ends the policy's own line
 * (the engine adds the policy's description on the lines after it).
 */
function findings(result: RunResult): string[] {
  return result.violations
    .filter((v) => v.policyName === POLICY)
    .map((v) => `${v.urn?.split("::").pop()} ${/\[(\w+)\]$/m.exec(v.message)?.[1]}`)
    .sort();
}

describe("policy: web-identity-trust-scoped through the engine, at preview", function () {
  this.timeout(240_000);

  it("scenario 1: refuses plain roles with each unscoped web-identity trust, naming role, issuer, value and fix", async () => {
    const program = async () => {
      for (const [name, { policy }] of Object.entries(UNSCOPED)) {
        new aws.iam.Role(name, { name: `keyless-wi-${name}`, assumeRolePolicy: policy });
      }
    };
    await withProviderStack({ program }, async (t) => {
      await assert.rejects(t.preview({ policyPacks: [POLICY_PACK] }), (err: unknown) => {
        assert.ok(err instanceof StackRunError, String(err));
        const result = err.result;
        // THEN the policy reported exactly the expected codes on each role, and nothing else in the pack fired
        const expected = Object.entries(UNSCOPED)
          .flatMap(([name, { codes }]) => [...new Set(codes)].map((c) => `${name} ${c}`))
          .sort();
        assert.deepEqual([...new Set(findings(result))], expected, result.violations.map((v) => v.message).join("\n"));
        assert.deepEqual(
          result.violations.filter((v) => v.policyName !== POLICY).map((v) => v.message),
          [],
        );
        for (const v of result.violations) assert.equal(v.enforcementLevel, "mandatory");
        // AND the messages name the role, the issuer, the offending value and the fix, and when AWS refuses too
        const said = (role: string) =>
          result.violations
            .filter((v) => v.urn?.endsWith(`::${role}`))
            .map((v) => v.message)
            .join("\n");
        assert.match(
          said("any-owner"),
          /^Role `any-owner` must not let a web identity it does not name assume it: statement 0 trusts token\.actions\.githubusercontent\.com with `"StringLike": \{"token\.actions\.githubusercontent\.com:sub": "repo:\*\/app:\*"\}`.*Name it: `repo:<owner>\/app:\*`/m,
        );
        assert.doesNotMatch(said("any-repo"), /AWS itself/);
        assert.match(said("no-sub"), /AWS itself also refuses this trust policy/);
        assert.match(said("duplicate"), /writes `StringLike` twice in `Statement\[0\]\.Condition`/);
        return true;
      });
      assert.deepEqual(await t.resources(), [], "a refused preview deploys nothing");
    });
  });

  it("scenario 2: passes plain roles with scoped trust of every kind", async () => {
    const program = async () => {
      for (const [name, policy] of Object.entries(SCOPED)) {
        new aws.iam.Role(name, { name: `keyless-wi-${name}`, assumeRolePolicy: policy });
      }
    };
    await withProviderStack({ program }, async (t) => {
      const preview = await t.preview({ policyPacks: [POLICY_PACK] });
      assert.deepEqual(
        preview.violations.map((v) => v.message),
        [],
      );
      const roles = preview.steps.filter((s) => s.type === "aws:iam/role:Role");
      assert.equal(roles.length, Object.keys(SCOPED).length);
    });
  });
});
