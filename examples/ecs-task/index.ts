// ECS gives a task two roles. The execution role is the agent's: it pulls the image and ships the logs. The task role
// is the application's: here it reads one bucket. Neither holds the other's permissions, and the container gets the
// task role's temporary credentials from the ECS credential endpoint: no key in the task definition.
import { EcsTaskRoles } from "@keyless/aws";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const image = config.get("image") ?? "public.ecr.aws/aws-cli/aws-cli:2.27.0";

const bucket = new aws.s3.Bucket("inputs", { forceDestroy: true });
const { region } = aws.getRegionOutput();

const roles = new EcsTaskRoles("reader", {
  statements: [
    { sid: "ReadObjects", actions: ["s3:GetObject"], resources: [pulumi.interpolate`${bucket.arn}/*`] },
    { sid: "ListBucket", actions: ["s3:ListBucket"], resources: [bucket.arn] },
  ],
});

const family = `reader-${pulumi.getStack()}`.slice(0, 255);
// The execution role may write logs but not create groups: the group exists before the task runs.
const logs = new aws.cloudwatch.LogGroup("reader", { name: `/ecs/${family}`, retentionInDays: 14 });
const task = new aws.ecs.TaskDefinition("reader", {
  family,
  requiresCompatibilities: ["FARGATE"],
  networkMode: "awsvpc",
  cpu: "256",
  memory: "512",
  taskRoleArn: roles.taskRoleArn,
  executionRoleArn: roles.executionRoleArn,
  containerDefinitions: pulumi.jsonStringify([
    {
      name: "reader",
      image,
      essential: true,
      command: ["s3", "ls", pulumi.interpolate`s3://${bucket.bucket}/`],
      environment: [{ name: "AWS_REGION", value: region }],
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": logs.name,
          "awslogs-region": region,
          "awslogs-stream-prefix": "reader",
        },
      },
    },
  ]),
});

export const bucketName = bucket.bucket;
export const taskDefinitionArn = task.arn;
export const taskRoleName = roles.taskRoleName;
export const executionRoleName = roles.executionRoleName;
