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

/**
 * Runs `up` again on an unchanged stack and asserts that the engine recorded a `same` step for every resource the
 * state holds (the stack, components, resources; not the providers) and no other step: a run that recorded no steps
 * at all, or skipped a resource, fails instead of passing as "nothing changed".
 */
export async function assertSecondUpChangesNothing(t: TestStack): Promise<void> {
  const held = (await t.resources()).filter((r) => !r.type.startsWith("pulumi:providers:")).map((r) => r.urn);
  assert.ok(held.length > 1, `the stack holds ${held.length} resources before the second up`);
  const again = await t.up({ policyPacks: [POLICY_PACK] });
  const changed = again.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn}`);
  assert.deepEqual(changed, [], "a second up of an unchanged example must change nothing");
  const stepped = new Set(again.steps.map((s) => s.urn));
  assert.deepEqual(
    held.filter((urn) => !stepped.has(urn)),
    [],
    "the second up must record a step for every resource of the stack",
  );
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
    await assertSecondUpChangesNothing(t);
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

/** One statement of an IAM identity policy, every element IAM reads, its lists normalised. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action?: string[];
  readonly NotAction?: string[];
  readonly Resource?: string[];
  readonly NotResource?: string[];
  readonly Condition?: Record<string, Record<string, string[]>>;
}

const ELEMENTS = new Set(["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"]);

function asList(v: unknown): string[] {
  return v === undefined ? [] : ([] as string[]).concat(v as string | string[]);
}

/** Reads one statement whole; an element it does not know (a Principal in an identity policy, a typo) is an error. */
function readStatement(s: Record<string, unknown>, where: string): Statement {
  const unknown = Object.keys(s).filter((k) => !ELEMENTS.has(k));
  if (unknown.length > 0) throw new Error(`${where} has elements an identity policy does not: ${unknown.join(", ")}`);
  const effect = s["Effect"];
  if (effect !== "Allow" && effect !== "Deny") throw new Error(`${where}.Effect is ${JSON.stringify(effect)}`);
  const out: { -readonly [K in keyof Statement]: Statement[K] } = { Effect: effect };
  if (typeof s["Sid"] === "string") out.Sid = s["Sid"];
  for (const k of ["Action", "NotAction", "Resource", "NotResource"] as const) {
    if (s[k] !== undefined) out[k] = asList(s[k]);
  }
  // IAM holds exactly one of each pair; a statement without one would add no line below, so it is refused here.
  if ((out.Action === undefined) === (out.NotAction === undefined)) {
    throw new Error(`${where} must have exactly one of Action and NotAction`);
  }
  if ((out.Resource === undefined) === (out.NotResource === undefined)) {
    throw new Error(`${where} must have exactly one of Resource and NotResource`);
  }
  if (s["Condition"] !== undefined) {
    const condition: Record<string, Record<string, string[]>> = {};
    for (const [operator, block] of Object.entries(s["Condition"] as Record<string, Record<string, unknown>>)) {
      condition[operator] = Object.fromEntries(Object.entries(block).map(([k, v]) => [k, asList(v).map(String)]));
    }
    out.Condition = condition;
  }
  return out;
}

/** The statements of every inline policy of a role, read back from IAM with every element. */
export async function inlineStatements(roleName: string): Promise<Statement[]> {
  const iam = new IAMClient(localStackClientConfig());
  const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
  const out: Statement[] = [];
  for (const PolicyName of names) {
    const got = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName }));
    const doc = JSON.parse(decodeURIComponent(got.PolicyDocument ?? "{}")) as { Statement?: unknown };
    (asList(doc.Statement) as unknown as Array<Record<string, unknown>>).forEach((s, i) => {
      out.push(readStatement(s, `${PolicyName}.Statement[${i}]`));
    });
  }
  return out;
}

/** ` when Operator key [values]` for each condition, sorted: the statement's conditions as one comparable text. */
function conditionText(condition: Statement["Condition"]): string {
  const parts = Object.entries(condition ?? {}).flatMap(([operator, block]) =>
    Object.entries(block).map(([key, values]) => `${operator} ${key} ${JSON.stringify([...values].sort())}`),
  );
  return parts.length === 0 ? "" : ` when ${parts.sort().join(" and ")}`;
}

/**
 * A role's permissions at a glance, sorted: one line per action and resource of every statement, with every element
 * it has, so that comparing the lines compares the statements whole. An Allow of an `Action` on a `Resource` reads
 * `s3:GetObject arn:aws:s3:::b/*`; a Deny starts `Deny `; a `NotAction` or `NotResource` entry reads `not <entry>`;
 * conditions follow `when` (`... when StringLike s3:prefix ["daily/*"]`).
 */
export function grants(statements: readonly Statement[]): string[] {
  return statements
    .flatMap((s) => {
      const actions = s.Action ?? (s.NotAction ?? []).map((a) => `not ${a}`);
      const resources = s.Resource ?? (s.NotResource ?? []).map((r) => `not ${r}`);
      const effect = s.Effect === "Allow" ? "" : `${s.Effect} `;
      return actions.flatMap((a) => resources.map((r) => `${effect}${a} ${r}${conditionText(s.Condition)}`));
    })
    .sort();
}

/** The ARNs of the managed policies attached to a role. */
export async function attachedPolicyArns(roleName: string): Promise<string[]> {
  const iam = new IAMClient(localStackClientConfig());
  const got = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
  return (got.AttachedPolicies ?? []).map((p) => p.PolicyArn as string).sort();
}
