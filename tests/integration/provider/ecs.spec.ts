import assert from "node:assert/strict";
import {
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
} from "@aws-sdk/client-ecs";
import { GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { EcsTaskRoles } from "@keyless/aws";
import { assertRoleTrusts, localStackClientConfig, motoEndpoint, type StateResource } from "@keyless/testing";
import * as aws from "@pulumi/aws";
import { ofType, opsOf, withProviderStack } from "./support";

const TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition";

describe("provider: aws:ecs TaskDefinition against moto", function () {
  this.timeout(300_000);
  const ecs = new ECSClient(localStackClientConfig(motoEndpoint()));
  const iam = new IAMClient(localStackClientConfig());

  async function describeTd(taskDefinition: string) {
    const got = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition, include: ["TAGS"] }));
    return { td: got.taskDefinition, tags: Object.fromEntries((got.tags ?? []).map((t) => [t.key, t.value])) };
  }

  async function activeRevisions(family: string): Promise<string[]> {
    const got = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: "ACTIVE" }));
    return (got.taskDefinitionArns ?? []).filter((a) => a.replace(/:\d+$/, "").endsWith(`/${family}`));
  }

  it("EcsTaskRoles + TaskDefinition: created, tags in place, any other change replaces, refresh drops a deregistered one, destroy leaves nothing", async () => {
    const stage = {
      family: "",
      image: "public.ecr.aws/nginx/nginx:1.27",
      tags: { team: "a" } as Record<string, string>,
    };
    const all: StateResource[] = [];
    await withProviderStack(
      {
        program: async () => {
          const roles = new EcsTaskRoles("api", {
            statements: [{ actions: ["sqs:SendMessage"], resources: ["arn:aws:sqs:us-east-1:000000000000:jobs"] }],
          });
          const td = new aws.ecs.TaskDefinition("service", {
            family: stage.family,
            taskRoleArn: roles.taskRoleArn,
            executionRoleArn: roles.executionRoleArn,
            networkMode: "awsvpc",
            requiresCompatibilities: ["FARGATE"],
            cpu: "256",
            memory: "512",
            containerDefinitions: JSON.stringify([
              { name: "app", image: stage.image, essential: true, portMappings: [{ containerPort: 8080 }] },
            ]),
            tags: stage.tags,
          });
          return {
            arn: td.arn,
            revision: td.revision,
            taskRoleArn: roles.taskRoleArn,
            taskRole: roles.taskRoleName,
            executionRoleArn: roles.executionRoleArn,
            executionRole: roles.executionRoleName,
          };
        },
      },
      async (t, seen) => {
        stage.family = `keyless-${t.name}`;
        // GIVEN a task definition whose roles come from EcsTaskRoles
        const up1 = await t.up();
        const out1 = up1.outputs as Record<string, string | number>;
        seen(await t.resources());
        // THEN moto holds revision 1 with both role ARNs, both roles trust ecs-tasks.amazonaws.com
        assert.deepEqual(opsOf(up1.steps, "service"), ["create"]);
        const first = await describeTd(out1["arn"] as string);
        assert.equal(first.td?.status, "ACTIVE");
        assert.equal(first.td?.revision, 1);
        assert.equal(first.td?.taskRoleArn, out1["taskRoleArn"]);
        assert.equal(first.td?.executionRoleArn, out1["executionRoleArn"]);
        assert.notEqual(out1["taskRoleArn"], out1["executionRoleArn"]);
        assert.equal(first.td?.networkMode, "awsvpc");
        assert.equal(first.td?.containerDefinitions?.[0]?.image, stage.image);
        assert.deepEqual(first.tags, { team: "a" });
        await assertRoleTrusts(out1["taskRole"] as string, "ecs-tasks.amazonaws.com");
        await assertRoleTrusts(out1["executionRole"] as string, "ecs-tasks.amazonaws.com");
        const state = ofType(await t.resources(), TASK_DEFINITION)[0];
        assert.equal(state?.id, stage.family, "the real provider's id is the family");

        // WHEN nothing changes THEN nothing happens
        const same = await t.up();
        assert.deepEqual(opsOf(same.steps, "service"), ["same"]);

        // WHEN only the tags change THEN the revision is updated in place (TagResource/UntagResource)
        stage.tags = { team: "b", env: "test" };
        const up2 = await t.up();
        assert.deepEqual(opsOf(up2.steps, "service"), ["update"]);
        assert.equal(up2.outputs["arn"], out1["arn"]);
        assert.deepEqual((await describeTd(out1["arn"] as string)).tags, { team: "b", env: "test" });

        // WHEN the container image changes THEN a new revision replaces the old one, created first, old one INACTIVE
        stage.image = "public.ecr.aws/nginx/nginx:1.28";
        const up3 = await t.up();
        seen(await t.resources());
        assert.deepEqual(opsOf(up3.steps, "service"), ["create-replacement", "replace", "delete-replaced"]);
        assert.equal(up3.outputs["revision"], 2);
        assert.notEqual(up3.outputs["arn"], out1["arn"]);
        assert.equal((await describeTd(out1["arn"] as string)).td?.status, "INACTIVE");
        const second = await describeTd(up3.outputs["arn"] as string);
        assert.equal(second.td?.status, "ACTIVE");
        assert.equal(second.td?.containerDefinitions?.[0]?.image, stage.image);
        assert.equal(second.td?.taskRoleArn, out1["taskRoleArn"]);
        assert.deepEqual(await activeRevisions(stage.family), [up3.outputs["arn"]]);
        // AND the roles were untouched
        assert.deepEqual(opsOf(up3.steps, "api-task-role"), ["same"]);

        // WHEN the revision is deregistered outside Pulumi THEN refresh drops it from the state
        await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: up3.outputs["arn"] as string }));
        const refresh = await t.refresh();
        assert.deepEqual(opsOf(refresh.steps, "service"), ["refresh"]);
        // (the engine reports the read found it gone, and nothing else drifted)
        assert.deepEqual(
          refresh.drift.map((d) => `${d.op} ${d.urn.split("::").pop()}`),
          ["delete service"],
        );
        assert.equal(ofType(await t.resources(), TASK_DEFINITION).length, 0);
        // AND the next up registers it again (revision 3)
        const up4 = await t.up();
        assert.deepEqual(opsOf(up4.steps, "service"), ["create"]);
        assert.equal(up4.outputs["revision"], 3);
        seen(await t.resources());
        all.push(...(await t.resources()));

        // WHEN the stack is destroyed THEN no revision of the family stays ACTIVE and the roles are gone
        const destroyed = await t.destroy();
        assert.deepEqual(opsOf(destroyed.steps, "service"), ["delete"]);
        assert.deepEqual(await activeRevisions(stage.family), []);
        assert.equal((await describeTd(up4.outputs["arn"] as string)).td?.status, "INACTIVE");
      },
    );
    // withProviderStack asserted no leftovers (roles by listing, task definitions by read and listing); the roles are
    // gone from IAM too
    for (const role of ofType(all, "aws:iam/role:Role")) {
      await assert.rejects(
        iam.send(new GetRoleCommand({ RoleName: role.id as string })),
        /NoSuchEntity|cannot be found/,
      );
    }
    assert.equal(new Set(ofType(all, "aws:iam/role:Role").map((r) => r.id)).size, 2, "the task and execution roles");
  });
});
