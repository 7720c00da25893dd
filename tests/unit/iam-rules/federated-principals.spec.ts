import * as assert from "node:assert/strict";
import { TrustPolicyError, trustedFederatedPrincipals } from "@keyless/iam-rules";

const GITHUB = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
const EKS = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/0A1B2C3D4E5F";
const SAML = "arn:aws:iam::111122223333:saml-provider/corp";

const policy = (...statements: object[]): string => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const allow = (principal: unknown, extra: object = {}) => ({
  Effect: "Allow",
  Principal: principal,
  Action: "sts:AssumeRoleWithWebIdentity",
  ...extra,
});

describe("iam-rules: trustedFederatedPrincipals", () => {
  it("lists the providers Allow statements name as Federated, in document order, each once", () => {
    // GIVEN two statements naming GitHub's and an EKS cluster's provider (GitHub twice), and a service statement
    const text = policy(allow({ Federated: GITHUB }), allow({ Federated: [EKS, GITHUB] }), {
      Effect: "Allow",
      Principal: { Service: "ec2.amazonaws.com" },
      Action: "sts:AssumeRole",
    });
    // THEN both providers are listed once, the service is not
    assert.deepEqual(trustedFederatedPrincipals(text), [GITHUB, EKS]);
  });

  it("reads the text as IAM's API returns it (URL-encoded), and a principal type in any case", () => {
    const text = encodeURIComponent(policy(allow({ federated: SAML }, { Action: "sts:AssumeRoleWithSAML" })));
    assert.deepEqual(trustedFederatedPrincipals(text), [SAML]);
  });

  it("does not list a provider named only in a Deny or a NotPrincipal, nor trusted only through Principal *", () => {
    const text = policy(
      { Effect: "Deny", Principal: { Federated: GITHUB }, Action: "sts:AssumeRoleWithWebIdentity" },
      { Effect: "Allow", NotPrincipal: { Federated: EKS }, Action: "sts:AssumeRoleWithWebIdentity" },
      allow("*", { Condition: { StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" } } }),
    );
    assert.deepEqual(trustedFederatedPrincipals(text), []);
  });

  it("keeps what IAM keeps when the text names Principal twice: the last", () => {
    const text = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"${GITHUB}"},"Principal":{"Federated":"${EKS}"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`;
    assert.deepEqual(trustedFederatedPrincipals(text), [EKS]);
  });

  it("throws TrustPolicyError on text that is not a trust policy", () => {
    assert.throws(() => trustedFederatedPrincipals("{not json"), TrustPolicyError);
  });
});
