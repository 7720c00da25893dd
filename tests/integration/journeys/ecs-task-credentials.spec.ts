/**
 * The journey of an ECS task's credentials: task definitions deployed by the real engine to moto (roles to
 * LocalStack), their task role served by the ECS agent's container credentials endpoint on loopback, and the AWS SDK
 * for JavaScript v3 default chain run in a child process holding only the container's variables. The task role is
 * served, never the execution role; a task without a task role, or whose role does not trust ECS tasks, gets nothing.
 */
import assert from "node:assert/strict";
import { EcsTaskRoles } from "@keyless/aws";
import {
  assertNoLeftovers,
  callerIdentityThroughTaskCredentials,
  EcsTaskCredentialsError,
  requireLocalStack,
  type StateResource,
  serveTaskCredentials,
  type TaskCredentialsEndpoint,
  type TaskCredentialsOptions,
  TestStack,
} from "@keyless/testing";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

const ACCOUNT = "000000000000";
const OTHER_ACCOUNT = "111122223333";

/** A container definition moto accepts: no credentials in it, none needed. */
const CONTAINERS = JSON.stringify([
  { name: "app", image: "public.ecr.aws/docker/library/busybox:1.37", essential: true, memory: 128 },
]);

function trusting(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
}

/** The chain's failure: the code and message, which must never quote a token. */
async function chainFails(task: TaskCredentialsEndpoint, token?: string): Promise<EcsTaskCredentialsError> {
  try {
    await callerIdentityThroughTaskCredentials(task, token === undefined ? {} : { authorizationToken: token });
  } catch (err) {
    assert.ok(err instanceof EcsTaskCredentialsError, String(err));
    assert.equal(err.code, "ChainFailed");
    if (token !== undefined) assert.ok(!err.message.includes(token), "the error must not quote the token");
    return err;
  }
  assert.fail("the chain must obtain no credentials");
}

describe("journey: ECS task credentials through the container credentials endpoint", function () {
  this.timeout(300_000);
  let t: TestStack;
  let out: Record<string, unknown>;
  const held: StateResource[] = [];
  const tasks: TaskCredentialsEndpoint[] = [];
  let failed = false;

  async function serve(output: string, options: TaskCredentialsOptions = {}): Promise<TaskCredentialsEndpoint> {
    const task = await serveTaskCredentials(out[output] as string, options);
    tasks.push(task);
    return task;
  }

  before(async () => {
    await requireLocalStack(["iam", "sts"]);
    t = await TestStack.create({
      program: async () => {
        const { region } = aws.getRegionOutput();
        const app = new EcsTaskRoles("app", {
          statements: [
            { actions: ["dynamodb:GetItem"], resources: [`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders`] },
          ],
        });
        const family = (name: string) => `${name}-${pulumi.getStack()}`.slice(0, 255);
        const withRoles = new aws.ecs.TaskDefinition("app", {
          family: family("app"),
          taskRoleArn: app.taskRoleArn,
          executionRoleArn: app.executionRoleArn,
          containerDefinitions: CONTAINERS,
        });
        // The execution role alone: the agent may pull and log, the application gets no role.
        const noTaskRole = new aws.ecs.TaskDefinition("agent-only", {
          family: family("agent-only"),
          executionRoleArn: app.executionRoleArn,
          containerDefinitions: CONTAINERS,
        });
        // A role ECS cannot assume: it trusts Lambda only (keyless never builds this; the test needs the contrast).
        const lambdaRole = new aws.iam.Role("lambda-only", { assumeRolePolicy: trusting("lambda.amazonaws.com") });
        const lambdaOnly = new aws.ecs.TaskDefinition("lambda-only", {
          family: family("lambda-only"),
          taskRoleArn: lambdaRole.arn,
          containerDefinitions: CONTAINERS,
        });
        // Confused-deputy conditions: ECS acting for this account admitted, for another refused.
        const pinned = new EcsTaskRoles("pinned", {
          trustSourceAccount: ACCOUNT,
          trustSourceArn: pulumi.interpolate`arn:aws:ecs:${region}:${ACCOUNT}:*`,
        });
        const pinnedTask = new aws.ecs.TaskDefinition("pinned", {
          family: family("pinned"),
          taskRoleArn: pinned.taskRoleArn,
          containerDefinitions: CONTAINERS,
        });
        const foreign = new EcsTaskRoles("foreign", { trustSourceAccount: OTHER_ACCOUNT });
        const foreignTask = new aws.ecs.TaskDefinition("foreign", {
          family: family("foreign"),
          taskRoleArn: foreign.taskRoleArn,
          containerDefinitions: CONTAINERS,
        });
        return {
          app: withRoles.arn,
          taskRole: app.taskRoleName,
          executionRole: app.executionRoleName,
          agentOnly: noTaskRole.arn,
          lambdaOnly: lambdaOnly.arn,
          lambdaRole: lambdaRole.name,
          pinned: pinnedTask.arn,
          pinnedRole: pinned.taskRoleName,
          foreign: foreignTask.arn,
        };
      },
    });
    const up = await t.up();
    held.push(...(await t.resources()));
    out = up.outputs;
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") failed = true;
  });

  after(async () => {
    try {
      await Promise.all(tasks.map((task) => task.stop()));
      await t?.dispose();
    } finally {
      if (!failed && held.length > 0) await assertNoLeftovers(held);
    }
  });

  it("serves the task role, never the execution role: the chain is assumed-role/<task role>/<task id>", async () => {
    // GIVEN a task definition with a task role and an execution role
    const task = await serve("app");

    // THEN the endpoint serves the task role read back from ECS, and the container gets exactly ECS's two variables
    assert.equal(task.taskRoleArn, `arn:aws:iam::${ACCOUNT}:role/${out["taskRole"]}`);
    assert.equal(task.executionRoleArn, `arn:aws:iam::${ACCOUNT}:role/${out["executionRole"]}`);
    assert.equal(task.refusal, undefined);
    assert.deepEqual(Object.keys(task.environment()).sort(), [
      "AWS_CONTAINER_AUTHORIZATION_TOKEN",
      "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ]);
    assert.match(task.fullUri, /^http:\/\/127\.0\.0\.1:\d+\/v2\/credentials\/[0-9a-f-]{36}$/);
    assert.match(task.taskArn, new RegExp(`^arn:aws:ecs:[a-z0-9-]+:${ACCOUNT}:task/default/${task.taskId}$`));

    // WHEN the SDK's default chain runs with only those variables (and the region and STS endpoint)
    const who = await callerIdentityThroughTaskCredentials(task);

    // THEN it is the task role's session named after the task, from the container credentials link
    assert.equal(who.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${out["taskRole"]}/${task.taskId}`);
    assert.ok(!who.arn.includes(out["executionRole"] as string), "the execution role must never be served");
    assert.equal(who.fromContainerCredentials, true, "the chain must have used its container credentials link");
    assert.equal(who.temporary, true, `task credentials must be temporary, got ${who.keyIdPrefix}…`);
    assert.deepEqual(
      task.requests.map((r) => r.status),
      [200],
    );
  });

  it("refuses a request with another task's token: 403, and the chain gets nothing", async () => {
    const task = await serve("app");
    const wrong = "x".repeat(43);
    const answer = await fetch(task.fullUri, { headers: { Authorization: wrong } });
    assert.equal(answer.status, 403);
    assert.equal(((await answer.json()) as { code: string }).code, "AccessDenied");
    assert.equal((await fetch(task.fullUri)).status, 401, "a request without a token must be refused");
    await chainFails(task, wrong);
    assert.deepEqual(
      [...new Set(task.requests.map((r) => `${r.status} ${r.code}`))],
      ["403 AccessDenied", "401 AccessDenied"],
      "the endpoint must have refused every request, the chain's included",
    );
  });

  it("gives a task definition without a task role no credentials: no variable, and the endpoint answers 400", async () => {
    const task = await serve("agentOnly");
    assert.equal(task.taskRoleArn, undefined);
    assert.equal(task.executionRoleArn, `arn:aws:iam::${ACCOUNT}:role/${out["executionRole"]}`);
    assert.equal(task.refusal?.code, "NoTaskRole");
    assert.deepEqual(task.environment(), {}, "ECS injects no credentials variable for a task without a task role");

    // Asked anyway, the endpoint answers as the agent answers an id it holds nothing for: the execution role never.
    await chainFails(task);
    assert.ok(task.requests.length > 0, "the chain must have asked the endpoint");
    assert.deepEqual([...new Set(task.requests.map((r) => `${r.status} ${r.code}`))], ["400 InvalidIdInRequest"]);
  });

  it("gives a task role that trusts only lambda.amazonaws.com no credentials", async () => {
    const task = await serve("lambdaOnly");
    assert.equal(task.taskRoleArn, `arn:aws:iam::${ACCOUNT}:role/${out["lambdaRole"]}`);
    assert.equal(task.refusal?.code, "TaskRoleNotAssumable");
    assert.match(task.refusal?.message ?? "", /^ECS was unable to assume the role 'arn:aws:iam::\d+:role\//);
    assert.match(task.refusal?.trust ?? "", /ecs-tasks\.amazonaws\.com/);
    assert.deepEqual(task.environment(), {});
    await chainFails(task);
    assert.deepEqual([...new Set(task.requests.map((r) => `${r.status} ${r.code}`))], ["400 InvalidIdInRequest"]);
  });

  it("sends the task's aws:SourceAccount and aws:SourceArn: a role pinned to this account is served, another's not", async () => {
    const pinned = await serve("pinned");
    assert.equal(pinned.refusal, undefined, pinned.refusal?.trust);
    const who = await callerIdentityThroughTaskCredentials(pinned);
    assert.equal(who.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${out["pinnedRole"]}/${pinned.taskId}`);

    const foreign = await serve("foreign");
    assert.equal(foreign.refusal?.code, "TaskRoleNotAssumable");
    assert.match(foreign.refusal?.trust ?? "", /conditions/);
    await chainFails(foreign);
  });

  it("keeps a session while it has 15 minutes or more left, and serves a new key for the same role after", async () => {
    // GIVEN a task whose sessions last six hours (ECS's default): two containers' chains get the same key
    const lasting = await serve("app");
    const first = await callerIdentityThroughTaskCredentials(lasting);
    const second = await callerIdentityThroughTaskCredentials(lasting);
    assert.equal(first.arn, second.arn);
    const kept = lasting.requests.map((r) => r.keyFingerprint);
    assert.equal(kept.length, 2);
    assert.equal(kept[0], kept[1], "a session with hours left must be served again, not replaced");

    // WHEN sessions last 15 minutes (STS's minimum), under the renewal margin from the start
    const short = await serve("app", { durationSeconds: 900 });
    const a = await callerIdentityThroughTaskCredentials(short);
    const b = await callerIdentityThroughTaskCredentials(short);

    // THEN each request gets a new key, still the task role's session named after the task
    assert.equal(a.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${out["taskRole"]}/${short.taskId}`);
    assert.equal(b.arn, a.arn);
    const renewed = short.requests.map((r) => r.keyFingerprint);
    assert.equal(renewed.length, 2);
    assert.notEqual(renewed[0], renewed[1], "a session under the margin must be replaced by a new one");
  });
});
