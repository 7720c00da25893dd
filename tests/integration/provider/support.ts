/** Shared pieces of the provider integration tests. */
import {
  assertNoLeftovers,
  requireLocalStack,
  type StateResource,
  type StepRecord,
  TestStack,
  type TestStackArgs,
} from "@keyless/testing";

/** A trust policy for one service principal, as JSON text. */
export function trust(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
}

/** The op of the step on the resource whose URN ends with `::<name>`, per step (replacements have several). */
export function opsOf(steps: readonly StepRecord[], name: string): string[] {
  return steps.filter((s) => s.urn.endsWith(`::${name}`)).map((s) => s.op);
}

/** The stack's custom resources of one type, from its state. */
export function ofType(resources: readonly StateResource[], type: string): StateResource[] {
  return resources.filter((r) => r.type === type);
}

/**
 * Runs `fn` on a fresh stack; afterwards destroys it, asserts LocalStack holds none of the resources the stack ever
 * held (listing), and removes the stack, also when `fn` fails.
 */
export async function withProviderStack(
  args: TestStackArgs,
  fn: (t: TestStack, seen: (r: readonly StateResource[]) => void) => Promise<void>,
  except: readonly string[] = [],
): Promise<void> {
  await requireLocalStack(["iam", "sts", "ec2"]);
  const t = await TestStack.create(args);
  const all: StateResource[] = [];
  const seen = (r: readonly StateResource[]) => all.push(...r);
  let failed = false;
  try {
    await fn(t, seen);
    seen(await t.resources());
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    try {
      await t.dispose();
    } finally {
      if (!failed) await assertNoLeftovers(all, except);
    }
  }
}
