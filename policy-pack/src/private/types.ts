/**
 * Type tokens of the @pulumi/aws resources the pack looks at.
 * @internal
 */
export const T = {
  instance: "aws:ec2/instance:Instance",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  launchConfiguration: "aws:ec2/launchConfiguration:LaunchConfiguration",
  spotInstanceRequest: "aws:ec2/spotInstanceRequest:SpotInstanceRequest",
  spotFleetRequest: "aws:ec2/spotFleetRequest:SpotFleetRequest",
  lightsailInstance: "aws:lightsail/instance:Instance",
  imageRecipe: "aws:imagebuilder/imageRecipe:ImageRecipe",
  lambdaFunction: "aws:lambda/function:Function",
  taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
  batchJobDefinition: "aws:batch/jobDefinition:JobDefinition",
  appRunnerService: "aws:apprunner/service:Service",
  codeBuildProject: "aws:codebuild/project:Project",
  beanstalkEnvironment: "aws:elasticbeanstalk/environment:Environment",
  accessKey: "aws:iam/accessKey:AccessKey",
  role: "aws:iam/role:Role",
  instanceProfile: "aws:iam/instanceProfile:InstanceProfile",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  rolePolicyAttachmentsExclusive: "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
  policyAttachment: "aws:iam/policyAttachment:PolicyAttachment",
  policy: "aws:iam/policy:Policy",
} as const;
