import assert from "node:assert/strict";
import { DescribeTaskDefinitionCommand, ECSClient } from "@aws-sdk/client-ecs";
import { GetPolicyCommand, GetPolicyVersionCommand, IAMClient } from "@aws-sdk/client-iam";
import { assertRoleTrusts, localStackClientConfig, motoEndpoint } from "@keyless/testing";
import { attachedPolicyArns, grants, inlineStatements, runExampleJourney } from "./support";

const EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

/** The actions a managed policy allows, read from IAM. */
async function managedActions(arn: string): Promise<string[]> {
  const iam = new IAMClient(localStackClientConfig());
  const policy = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
  const version = await iam.send(
    new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy.Policy?.DefaultVersionId }),
  );
  const doc = JSON.parse(decodeURIComponent(version.PolicyVersion?.Document ?? "{}")) as {
    Statement: Array<{ Action: string | string[] }>;
  };
  return doc.Statement.flatMap((s) => ([] as string[]).concat(s.Action));
}

describe("examples/ecs-task", function () {
  this.timeout(300_000);

  it("splits the task role (reads one bucket) from the execution role (pulls the image, writes logs)", async () => {
    await runExampleJourney({
      example: "ecs-task",
      services: ["iam", "sts", "s3", "logs"],
      async verify(out) {
        const bucket = out["bucketName"] as string;
        const taskRole = out["taskRoleName"] as string;
        const executionRole = out["executionRoleName"] as string;

        const ecs = new ECSClient(localStackClientConfig(motoEndpoint()));
        const td = (
          await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: out["taskDefinitionArn"] as string }))
        ).taskDefinition;
        assert.equal(td?.taskRoleArn?.split("/").pop(), taskRole);
        assert.equal(td?.executionRoleArn?.split("/").pop(), executionRole);
        const container = td?.containerDefinitions?.[0];
        assert.equal(container?.logConfiguration?.logDriver, "awslogs");
        // No credentials in the task definition: the container gets the task role from the ECS credential endpoint.
        assert.deepEqual(
          (container?.environment ?? []).map((e) => e.name),
          ["AWS_REGION"],
        );

        await assertRoleTrusts(taskRole, "ecs-tasks.amazonaws.com");
        await assertRoleTrusts(executionRole, "ecs-tasks.amazonaws.com");

        // The task role: the application's bucket, nothing of the agent's.
        assert.deepEqual(grants(await inlineStatements(taskRole)), [
          `s3:GetObject arn:aws:s3:::${bucket}/*`,
          `s3:ListBucket arn:aws:s3:::${bucket}`,
        ]);
        assert.deepEqual(await attachedPolicyArns(taskRole), []);

        // The execution role: image pull and logs through AWS's managed policy, nothing of the application's.
        assert.deepEqual(await inlineStatements(executionRole), []);
        assert.deepEqual(await attachedPolicyArns(executionRole), [EXECUTION_POLICY]);
        const agent = await managedActions(EXECUTION_POLICY);
        assert.ok(agent.includes("ecr:BatchGetImage") && agent.includes("logs:PutLogEvents"), agent.join(", "));
        assert.deepEqual(
          agent.filter((a) => !a.startsWith("ecr:") && !a.startsWith("logs:")),
          [],
          "the execution role must hold only image-pull and log actions",
        );
      },
    });
  });
});
