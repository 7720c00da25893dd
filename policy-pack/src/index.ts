// The pack's entry point (PulumiPolicy.yaml `main: dist/`): constructing the PolicyPack starts the
// analyzer's gRPC server, so only the Pulumi CLI should load this module. Tests and other code import
// `@keyless/policy-pack/policies`, which has no side effects.
import { PolicyPack } from "@pulumi/policy";
import { policies, policyPackName } from "./policies";

new PolicyPack(policyPackName, {
  policies,
  description: "keyless-aws: no static AWS keys, IMDSv2 required, role wiring and least privilege.",
  displayName: "keyless AWS",
  provider: "aws",
  tags: ["aws", "iam", "credentials"],
});
