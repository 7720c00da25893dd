/**
 * The journey every example goes through: preview with the keyless-aws pack (no violation), up, checks against the
 * emulators with AWS SDK v3, a second up that changes nothing, destroy, and nothing left behind (found by listing).
 */
import assert from "node:assert/strict";
import path from "node:path";
import {
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import {
  assertInstanceProfileAssociation,
  assertMetadataOptions,
  assertProfileHoldsRole,
  assertRoleTrusts,
  localStackClientConfig,
  type RunResult,
  requireLocalStack,
  type TestStack,
  type TestStackArgs,
} from "@keyless/testing";
import { withProviderStack } from "../provider/support";

export const EXAMPLES = path.resolve(__dirname, "..", "..", "..", "examples");
export const POLICY_PACK = path.resolve(__dirname, "..", "..", "..", "policy-pack");

/** How one example is deployed and what is checked once it is up. */
export interface ExampleJourney extends Omit<TestStackArgs, "workDir" | "program"> {
  /** The example's folder under examples/, for example "ec2-s3-reader". */
  readonly example: string;
  /** LocalStack services the example needs. @default ["iam", "sts", "ec2"] */
  readonly services?: readonly string[];
  /** Checks against the emulators while the stack is up. */
  verify(outputs: Record<string, unknown>, t: TestStack): Promise<void>;
}

function describeViolations(r: RunResult): string[] {
  return r.violations.map((v) => `[${v.enforcementLevel}] ${v.policyName} ${v.urn ?? ""}: ${v.message}`);
}

/** Runs the whole journey of one example; the stack is destroyed and removed whatever happens. */
export async function runExampleJourney(journey: ExampleJourney): Promise<void> {
  const { example, services = ["iam", "sts", "ec2"], verify, ...stackArgs } = journey;
  await requireLocalStack(services);
  await withProviderStack({ ...stackArgs, workDir: path.join(EXAMPLES, example) }, async (t, seen) => {
    // At preview a value built from a new resource's outputs (a policy naming a new bucket's ARN) is unknown: the
    // pack says so in an advisory note and checks it during up, where no violation of any level is accepted.
    const preview = await t.preview({ policyPacks: [POLICY_PACK] });
    const decided = preview.violations.filter((v) => !/can't run policy .* during preview/.test(v.message));
    assert.deepEqual(
      describeViolations({ ...preview, violations: decided }),
      [],
      "the keyless-aws pack must pass the example at preview",
    );
    const up = await t.up({ policyPacks: [POLICY_PACK] });
    assert.deepEqual(describeViolations(up), [], "the keyless-aws pack must pass the example at up");
    seen(await t.resources());
    await verify(up.outputs, t);
    const again = await t.up({ policyPacks: [POLICY_PACK] });
    const changed = again.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn}`);
    assert.deepEqual(changed, [], "a second up of an unchanged example must change nothing");
    seen(await t.resources());
    await t.destroy();
    assert.deepEqual(
      (await t.resources()).filter((r) => r.custom),
      [],
      "destroy must leave nothing in the stack's state",
    );
  });
}

/**
 * Asserts what makes an instance keyless: its role trusts EC2 only, its profile holds that role, the instance is
 * associated with that profile, and IMDSv2 is required with hop limit 1.
 */
export async function assertInstanceOnRole(instanceId: string, profile: string, role: string): Promise<void> {
  await assertRoleTrusts(role, "ec2.amazonaws.com");
  await assertProfileHoldsRole(profile, role);
  await assertInstanceProfileAssociation(instanceId, profile);
  await assertMetadataOptions(instanceId, {
    httpTokens: "required",
    httpEndpoint: "enabled",
    httpPutResponseHopLimit: 1,
  });
}

/** One statement of an IAM policy document, with its lists normalised. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string[];
  readonly Resource: string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

function asList(v: unknown): string[] {
  return v === undefined ? [] : ([] as string[]).concat(v as string | string[]);
}

/** The statements of every inline policy of a role, read back from IAM. */
export async function inlineStatements(roleName: string): Promise<Statement[]> {
  const iam = new IAMClient(localStackClientConfig());
  const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
  const out: Statement[] = [];
  for (const PolicyName of names) {
    const got = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName }));
    const doc = JSON.parse(decodeURIComponent(got.PolicyDocument ?? "{}")) as { Statement?: unknown };
    for (const s of asList(doc.Statement) as unknown as Array<Record<string, unknown>>) {
      out.push({
        ...(s["Sid"] ? { Sid: s["Sid"] as string } : {}),
        Effect: s["Effect"] as string,
        Action: asList(s["Action"]),
        Resource: asList(s["Resource"]),
        ...(s["Condition"] ? { Condition: s["Condition"] as Statement["Condition"] } : {}),
      });
    }
  }
  return out;
}

/** The ARNs of the managed policies attached to a role. */
export async function attachedPolicyArns(roleName: string): Promise<string[]> {
  const iam = new IAMClient(localStackClientConfig());
  const got = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
  return (got.AttachedPolicies ?? []).map((p) => p.PolicyArn as string).sort();
}

/** `action resource` for every allowed action and resource of the statements, sorted: a role's permissions at a glance. */
export function grants(statements: readonly Statement[]): string[] {
  return statements
    .filter((s) => s.Effect === "Allow")
    .flatMap((s) => s.Action.flatMap((a) => s.Resource.map((r) => `${a} ${r}`)))
    .sort();
}
