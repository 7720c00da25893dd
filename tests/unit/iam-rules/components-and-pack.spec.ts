// The components and the keyless-aws pack judge IAM through @keyless/iam-rules. These properties check them end to end
// (a WorkloadRole's validation, the least-privilege policy on a stack) against iam-data's own async API: every action,
// with or without wildcards, is classified alike, and an unbounded resource is refused and flagged in both.
import * as assert from "node:assert/strict";
import { KeylessErrorCode, KeylessValidationError, WorkloadRole } from "@keyless/aws";
import { privilegeEscalationActions } from "@keyless/iam-rules";
import { leastPrivilege } from "@keyless/policy-pack/policies";
import * as aws from "@pulumi/aws";
import fc from "fast-check";
import { propertyParameters } from "../../support/fast-check";
import { type OracleAction, oracleActions, referenceMatches } from "../../support/iam-oracle";
import { useMocks } from "../../support/mocks";
import { createStackValidationArgs, runStackPolicy, type StackResourceSpec } from "../../support/policy";

/** What the components make of one Allow statement: accepted, or the refusal's code. */
function componentsVerdict(action: string, resource: string): string {
  try {
    new WorkloadRole(`p${Math.random().toString(36).slice(2, 10)}`, {
      service: "ec2",
      statements: [{ actions: [action], resources: [resource] }],
    });
    return "accepted";
  } catch (err) {
    if (err instanceof KeylessValidationError) return err.code;
    throw err;
  }
}

/** What the pack makes of the same statement on a role used by an instance profile: the reasons it flags. */
async function packVerdict(action: string, resource: string, services: readonly string[]): Promise<string[]> {
  const stack: StackResourceSpec[] = [
    { type: aws.iam.Role, name: "role", props: { name: "r", arn: "arn:aws:iam::123456789012:role/r" } },
    { type: aws.iam.InstanceProfile, name: "profile", props: { role: "r" } },
    {
      type: aws.iam.RolePolicy,
      name: "grant",
      props: {
        role: "r",
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: action, Resource: resource }],
        }),
      },
    },
  ];
  const config = { permissionsManagementServices: services };
  const { violations } = await runStackPolicy(leastPrivilege, createStackValidationArgs(stack, leastPrivilege, config));
  return violations.map(
    (v) => /\((all actions of a service|privilege escalation|permissions management)/.exec(v.message)?.[1] ?? v.message,
  );
}

describe("iam-rules: the components and the pack agree", function () {
  // Hundreds of components built under mocks per property: seconds alone, much longer beside engine tests.
  this.timeout(120_000);
  const mocks = useMocks();
  let actions: OracleAction[] = [];
  before(async function () {
    this.timeout(60_000);
    actions = await oracleActions();
  });
  afterEach(() => mocks.settle());

  it("accept the format of every action iam-data names: all of them, not a sample", () => {
    // GIVEN every action of every service, one statement per service in one role (Deny statements, so that only the
    // format is judged: an Allow of a write on "*" is refused for another reason)
    const byService = new Map<string, string[]>();
    for (const a of actions) byService.set(a.service, [...(byService.get(a.service) ?? []), `${a.service}:${a.name}`]);
    const lists = [...byService.values()];
    const refused: string[] = [];
    for (;;) {
      // WHEN the component validates them (it stops at the first refusal: take that action out and go on)
      try {
        new WorkloadRole(`all-actions-${refused.length}`, {
          service: "ec2",
          statements: lists.map((list) => ({ effect: "Deny", actions: list, resources: ["*"] })),
        });
        break;
      } catch (err) {
        const at =
          err instanceof KeylessValidationError ? /^statements\[(\d+)\]\.actions\[(\d+)\]$/.exec(err.argument) : null;
        if (at === null) throw err;
        const [s, i] = [Number(at[1]), Number(at[2])];
        refused.push(`${lists[s]![i]} (${(err as KeylessValidationError).code})`);
        lists[s] = lists[s]!.filter((_, j) => j !== i);
      }
    }
    // THEN none is refused
    assert.deepEqual(refused, []);
    const checked = lists.reduce((n, list) => n + list.length, 0);
    assert.equal(checked, actions.length);
    assert.ok(checked > 20_000, `${checked} actions checked`);
  });

  it("classify every action, with or without wildcards, as iam-data does, on Resource *", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.constantFrom("exact", "star", "question"),
        async (pick, from, length, how) => {
          // GIVEN an action of iam-data, as it is or with a run of its name replaced by `*` or one letter by `?`
          const base = actions[pick % actions.length]!;
          const start = from % base.name.length;
          const name =
            how === "exact"
              ? base.name
              : how === "star"
                ? `${base.name.slice(0, start)}*${base.name.slice(start + 1 + (length % 6))}`
                : `${base.name.slice(0, start)}?${base.name.slice(start + 1)}`;
          const pattern = `${base.service}:${name}`;
          // WHEN both judge it on "*" (the pack told to look at this service's permissions management)
          const components = componentsVerdict(pattern, "*");
          const pack = await packVerdict(pattern, "*", [base.service]);
          // THEN both say what iam-data's own access levels say
          const matched = actions.filter((a) => a.service === base.service && referenceMatches(name, a.name));
          const wholeService = name === "*";
          const writes = matched.some(
            (a) => /Write|Permissions management|Tagging/.test(a.accessLevel) && !a.wildcardOnly,
          );
          const escalation = privilegeEscalationActions.some((e) => referenceMatches(pattern, e));
          const pm = matched.some((a) => a.accessLevel.includes("Permissions management"));
          const expectedComponents = wholeService
            ? KeylessErrorCode.ServiceWildcardAction
            : writes
              ? KeylessErrorCode.WriteOnAllResources
              : "accepted";
          const expectedPack = wholeService
            ? ["all actions of a service"]
            : escalation
              ? ["privilege escalation"]
              : pm
                ? ["permissions management"]
                : [];
          assert.equal(components, expectedComponents, `components on ${pattern}`);
          assert.deepEqual(pack, expectedPack, `pack on ${pattern}`);
        },
      ),
      propertyParameters(300),
    );
  });

  it("weights IAM, Organizations and SSO, where the pack looks for permissions management", async () => {
    // The same property, drawn only from the services the pack checks by default, where the two verdicts meet.
    const iamLike = actions.filter((a) => ["iam", "organizations", "sso"].includes(a.service));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...iamLike), async (a) => {
        const pattern = `${a.service}:${a.name}`;
        const components = componentsVerdict(pattern, "*");
        const pack = await packVerdict(pattern, "*", ["iam", "organizations", "sso"]);
        // Every permissions-management action AWS lets you scope is refused by the components and flagged by the pack.
        if (a.accessLevel.includes("Permissions management") && !a.wildcardOnly) {
          assert.equal(components, KeylessErrorCode.WriteOnAllResources, `components on ${pattern}`);
          assert.equal(pack.length, 1, `pack on ${pattern}`);
        }
        // And a read is accepted by both.
        if (!/Write|Permissions management|Tagging/.test(a.accessLevel)) {
          assert.equal(components, "accepted", `components on ${pattern}`);
          assert.deepEqual(pack, [], `pack on ${pattern}`);
        }
      }),
      propertyParameters(200),
    );
  });

  describe("resources", () => {
    const account = fc.stringMatching(/^[0-9]{12}$/);
    const partition = fc.constantFrom("aws", "aws-cn", "aws-us-gov", "*");
    const name = fc.stringMatching(/^[A-Za-z0-9+=,.@_-]{1,24}$/);
    const path = fc
      .array(fc.stringMatching(/^[a-z0-9]{1,8}$/), { minLength: 1, maxLength: 3 })
      .map((p) => `${p.join("/")}/`);
    /** Patterns that reach every role: `*` segments, a wildcard account or name, or the whole ARN. */
    const unboundedRole = fc.oneof(
      fc.constant("*"),
      fc.constant("arn:*"),
      fc
        .tuple(
          partition,
          fc.oneof(account, fc.constant("*")),
          fc.constantFrom("role/*", "*", "role*", "role/?*", "ro?e/*"),
        )
        .map(([p, a, tail]) => `arn:${p}:iam::${a}:${tail}`),
      partition.map((p) => `arn:${p}:iam::*`),
    );
    /** Patterns that stay inside one role, one path or one name prefix. */
    const boundedRole = fc
      .tuple(
        partition,
        fc.oneof(account, fc.constant("*")),
        fc.oneof(
          name.map((n) => n),
          fc.tuple(path, name).map(([p, n]) => p + n),
          path.map((p) => `${p}*`),
          name.map((n) => `${n}*`),
        ),
      )
      .map(([p, a, rest]) => `arn:${p}:iam::${a}:role/${rest}`);

    it("refuses and flags iam:PassRole and sts:AssumeRole on a resource that reaches every role, and neither on a bounded one", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("iam:PassRole", "sts:AssumeRole"),
          fc.oneof(
            unboundedRole.map((r) => [r, true] as const),
            boundedRole.map((r) => [r, false] as const),
          ),
          async (action, [resource, unbounded]) => {
            const components = componentsVerdict(action, resource);
            const pack = await packVerdict(action, resource, []);
            assert.equal(
              components,
              unbounded ? KeylessErrorCode.WriteOnAllResources : "accepted",
              `components: ${action} on ${resource}`,
            );
            assert.deepEqual(pack, unbounded ? ["privilege escalation"] : [], `pack: ${action} on ${resource}`);
          },
        ),
        propertyParameters(300),
      );
    });

    it("refuses writes on every bucket or every object in the components, and accepts them in one bucket", () => {
      const bucket = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{2,20}$/);
      fc.assert(
        fc.property(
          fc.constantFrom("s3:PutObject", "s3:DeleteObject", "s3:Put*"),
          fc.oneof(
            fc.constantFrom("arn:aws:s3:::*", "arn:aws:s3:::*/*", "arn:*:s3:::*", "*").map((r) => [r, true] as const),
            fc
              .tuple(bucket, fc.constantFrom("/*", "/reports/*", "/key.txt"))
              .map(([b, k]) => [`arn:aws:s3:::${b}${k}`, false] as const),
          ),
          (action, [resource, unbounded]) => {
            assert.equal(
              componentsVerdict(action, resource),
              unbounded ? KeylessErrorCode.WriteOnAllResources : "accepted",
              `${action} on ${resource}`,
            );
          },
        ),
        propertyParameters(200),
      );
    });
  });
});
