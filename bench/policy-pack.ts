// The whole keyless-aws pack on a stack of 10,000 resources, called as the analyzer server calls it
// (props behind @pulumi/policy's unknownCheckingProxy). Target (issue 5): < 1 s.
import { randomBytes } from "node:crypto";
import { policies } from "@keyless/policy-pack/policies";
import {
  type PolicyResource,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
  type StackValidationPolicy,
  UnknownValueError,
  unknownCheckingProxy,
} from "@pulumi/policy";
import { DEFAULT_OPTIONS as opts } from "../tests/support/policy";

const trust = (s: string) =>
  JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: s }, Action: "sts:AssumeRole" }] });
// CI roles trusting GitHub's OIDC provider: half pinned to one repository's main branch, half open to any repository.
const GITHUB = "token.actions.githubusercontent.com";
const webIdentityTrust = (sub: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${GITHUB}` },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: { StringEquals: { [`${GITHUB}:aud`]: "sts.amazonaws.com" }, StringLike: { [`${GITHUB}:sub`]: sub } },
      },
    ],
  });
const script = `#!/bin/bash\nyum install -y nginx\n${"echo configuring step; ".repeat(60)}\n`;
const userData = Buffer.from(script).toString("base64");

interface Spec {
  type: string;
  name: string;
  props: Record<string, unknown>;
}
function stack(n: number): Spec[] {
  const out: Spec[] = [];
  for (let i = 0; out.length < n; i++) {
    const role = `role-${i}`;
    const arn = `arn:aws:iam::123456789012:role/${role}`;
    if (i % 10 === 0) {
      const sub = i % 20 === 0 ? `repo:acme/app-${i}:ref:refs/heads/main` : "repo:*";
      out.push({
        type: "aws:iam/role:Role",
        name: `ci-${i}`,
        props: { name: `ci-${i}`, assumeRolePolicy: webIdentityTrust(sub) },
      });
    }
    out.push({
      type: "aws:iam/role:Role",
      name: role,
      props: { name: role, arn, assumeRolePolicy: trust(i % 2 ? "ec2.amazonaws.com" : "lambda.amazonaws.com") },
    });
    out.push({
      type: "aws:iam/rolePolicy:RolePolicy",
      name: `${role}-p`,
      props: {
        role,
        policy: JSON.stringify({
          Statement: [{ Effect: "Allow", Action: ["s3:GetObject", "iam:DetachRolePolicy"], Resource: "*" }],
        }),
      },
    });
    if (i % 2) {
      out.push({ type: "aws:iam/instanceProfile:InstanceProfile", name: `${role}-profile`, props: { role } });
      out.push({
        type: "aws:ec2/instance:Instance",
        name: `web-${i}`,
        props: {
          userDataBase64: userData,
          iamInstanceProfile: `${role}-profile`,
          metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
        },
      });
      out.push({
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        name: `lt-${i}`,
        props: { userData, metadataOptions: { httpTokens: "optional" } },
      });
    } else {
      out.push({
        type: "aws:lambda/function:Function",
        name: `fn-${i}`,
        props: {
          role: arn,
          environment: { variables: { LOG_LEVEL: "info", TABLE: `t-${randomBytes(4).toString("hex")}` } },
        },
      });
      out.push({ type: "aws:s3/bucket:Bucket", name: `b-${i}`, props: { bucket: `b-${i}` } });
    }
  }
  return out.slice(0, n);
}

class NotApplicable extends Error {}
const notApplicable = (): never => {
  throw new NotApplicable();
};

async function runPack(
  specs: Spec[],
): Promise<{ violations: number; ms: number; resourceMs: number; stackMs: number }> {
  let violations = 0;
  const report = () => {
    violations++;
  };
  const t0 = process.hrtime.bigint();
  const resourcePolicies = policies.filter((p): p is ResourceValidationPolicy => "validateResource" in p);
  for (const s of specs) {
    for (const p of resourcePolicies) {
      const props = unknownCheckingProxy(s.props) as Record<string, unknown>;
      const args = {
        type: s.type,
        props,
        urn: `urn:pulumi:bench::keyless::${s.type}::${s.name}`,
        name: s.name,
        opts,
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: () => ({}),
        notApplicable,
      } as unknown as ResourceValidationArgs;
      const v = p.validateResource;
      try {
        if (typeof v === "function") await v(args, report);
      } catch (err) {
        if (!(err instanceof NotApplicable || err instanceof UnknownValueError)) throw err;
      }
    }
  }
  const t1 = process.hrtime.bigint();
  const resources: PolicyResource[] = specs.map((s) => ({
    type: s.type,
    name: s.name,
    urn: `urn:pulumi:bench::keyless::${s.type}::${s.name}`,
    props: unknownCheckingProxy(s.props) as Record<string, unknown>,
    opts,
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  }));
  for (const p of policies.filter((p): p is StackValidationPolicy => "validateStack" in p)) {
    await p.validateStack({ resources, stackTags: new Map(), getConfig: () => ({}), notApplicable }, report);
  }
  const t2 = process.hrtime.bigint();
  return { violations, ms: Number(t2 - t0) / 1e6, resourceMs: Number(t1 - t0) / 1e6, stackMs: Number(t2 - t1) / 1e6 };
}

async function main(): Promise<void> {
  const specs = stack(10_000);
  await runPack(stack(100)); // warm up: module loading, the iam-data table
  console.log(
    `\n${"stack".padEnd(34)}${"resource policies".padEnd(20)}${"stack policies".padEnd(18)}${"total".padEnd(12)}violations`,
  );
  for (let i = 0; i < 3; i++) {
    const r = await runPack(specs);
    console.log(
      `${`10,000 resources, ${policies.length} policies`.padEnd(34)}${`${r.resourceMs.toFixed(0)} ms`.padEnd(20)}${`${r.stackMs.toFixed(0)} ms`.padEnd(18)}${`${r.ms.toFixed(0)} ms`.padEnd(12)}${r.violations}`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
