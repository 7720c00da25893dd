/**
 * Engine figures against LocalStack: up and destroy of a 10-resource stack; preview of a 500-resource stack with and
 * without the keyless-aws policy pack (the pack's overhead as a ratio). Run: `npx tsx bench/engine.ts`.
 */
import path from "node:path";
import { requireLocalStack, TestStack } from "@keyless/testing";
import * as aws from "@pulumi/aws";

const trust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

async function timed<T>(work: () => Promise<T>): Promise<number> {
  const t0 = performance.now();
  await work();
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  process.env["PATH"] = `${path.resolve(__dirname, "..", ".tools", "bin")}${path.delimiter}${process.env["PATH"]}`;
  await requireLocalStack(["iam", "sts", "ec2"]);
  // 10 resources: 5 roles, each in an instance profile.
  const small = await TestStack.create({
    program: async () => {
      for (let i = 0; i < 5; i++) {
        const r = new aws.iam.Role(`r${i}`, { assumeRolePolicy: trust });
        new aws.iam.InstanceProfile(`p${i}`, { role: r.name });
      }
    },
  });
  try {
    const up = await timed(() => small.up());
    const destroy = await timed(() => small.destroy());
    console.log(`engine up, 10 resources (LocalStack):      ${up.toFixed(2)} s`);
    console.log(`engine destroy, 10 resources (LocalStack): ${destroy.toFixed(2)} s`);
  } finally {
    await small.dispose();
  }
  // 500 resources: 250 roles + 250 profiles, previewed (nothing is created).
  const big = await TestStack.create({
    program: async () => {
      for (let i = 0; i < 250; i++) {
        const r = new aws.iam.Role(`r${i}`, { assumeRolePolicy: trust });
        new aws.iam.InstanceProfile(`p${i}`, { role: r.name });
      }
    },
  });
  try {
    const plain = await timed(() => big.preview());
    const pack = path.resolve(__dirname, "..", "policy-pack");
    const withPack = await timed(() => big.preview({ policyPacks: [pack] }));
    console.log(`preview, 500 resources, no policy pack:    ${plain.toFixed(2)} s`);
    console.log(`preview, 500 resources, keyless-aws pack:  ${withPack.toFixed(2)} s`);
    console.log(`policy pack overhead:                      ${(withPack / plain).toFixed(2)}x`);
  } finally {
    await big.dispose();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
