/**
 * Which input changes replace a resource in the real `aws` provider (pulumi-aws 7.x, which bridges
 * terraform-provider-aws 6.x), for every resource type and input property the LocalStack stand-in implements.
 *
 * Why data: the stand-in's `replaces` / `replacingFields` flags decide whether the engine plans an update or a
 * replacement, and `hardenStack()` promises "never a replacement" on the strength of them. These facts were read from
 * the real provider's sources (terraform-provider-aws resource schemas: `ForceNew`, also inside nested blocks, and
 * `CustomizeDiff` functions that force new; pulumi-aws `provider/resources.go`: `DeleteBeforeReplace` and field
 * overrides), so a test can hold the stand-in to them (tests/unit/harness/real-provider-replacements.spec.ts).
 *
 * How they were read (December 2026): `fetch github:pulumi/pulumi-aws` and `fetch github:hashicorp/terraform-provider-aws`
 * were refused (snapshots of 731 MB and 932 MB, over the 500 MB limit), so no tag could be checked out. The files were
 * read from the public-source index instead (`find_string` on each resource's `@SDKResource(...)` annotation, then
 * `read_file` by the index's file id). The index keeps several revisions of a file without their tags; the revision
 * read for each type is named below by its index file id and the markers that date it. pulumi-aws 7.48.0 was
 * published between 7.39.0 (2026-07-23) and 7.55.0 (2026-11-13); pulumi-aws PR #6392 (2026-05-22) upgraded to
 * terraform-provider-aws v6.46.0, so 7.48.0 bridges v6.46.0 or later. Where only an older revision was indexed
 * (aws_instance, aws_launch_template), that is said; for every property below the `ForceNew` flag has been stable
 * across the revisions seen.
 * @internal
 */

/** Where one fact was read. */
export interface UpstreamSource {
  readonly repository: "hashicorp/terraform-provider-aws" | "pulumi/pulumi-aws";
  readonly path: string;
  /** The revision read: the public-source index's file id and what dates it. */
  readonly revision: string;
}

/** Sub-properties of a nested block (Pulumi names). */
export interface NestedFacts {
  /** `ForceNew` inside the block: a change of one replaces the resource. */
  readonly replaces: readonly string[];
  readonly updates: readonly string[];
}

/** A `CustomizeDiff` that forces new only under a condition. */
export interface ConditionalReplacement {
  readonly rule: string;
  /**
   * Whether the stand-in decides the same way (its `adjustDiff`); when false, `gap` says what it does instead.
   */
  readonly modelled: boolean;
  readonly gap?: string;
}

/** The real provider's replace-or-update rule for one resource type. */
export interface ResourceReplacementFacts {
  readonly terraformType: string;
  readonly schema: UpstreamSource;
  /** Input properties (Pulumi names) whose change replaces the resource: Terraform `ForceNew`. */
  readonly replaces: readonly string[];
  /** Input properties updated in place. */
  readonly updates: readonly string[];
  /** Nested blocks whose sub-properties differ: some replace, some update. */
  readonly nested?: Readonly<Record<string, NestedFacts>>;
  readonly conditional?: Readonly<Record<string, ConditionalReplacement>>;
  /** pulumi-aws `ResourceInfo.DeleteBeforeReplace`: the old resource is deleted before its replacement is created. */
  readonly deleteBeforeReplace: boolean;
}

const TF = "hashicorp/terraform-provider-aws" as const;

/** pulumi-aws `provider/resources.go`, the revision read (index file id 62658824068, uses Go 1.26 `new(expr)`). */
export const PULUMI_AWS_RESOURCES: UpstreamSource = {
  repository: "pulumi/pulumi-aws",
  path: "provider/resources.go",
  revision:
    "index file id 62658824068 (2026: Go 1.26 `new(expr)`, aws_s3_bucket aliased from BucketV2 as in v7). " +
    "DeleteBeforeReplace among the types here: aws_iam_role_policy_attachment only; no field override changes " +
    "replacement for them (AutoName on name/function_name/bucket; aws_route53_zone comment default `Managed by Pulumi`).",
};

const tf = (path: string, revision: string): UpstreamSource => ({ repository: TF, path, revision });

/** Every type the stand-in serves, by Pulumi type token. */
export const REAL_PROVIDER_REPLACEMENTS: Readonly<Record<string, ResourceReplacementFacts>> = {
  "aws:iam/role:Role": {
    terraformType: "aws_iam_role",
    schema: tf(
      "internal/service/iam/role.go",
      'index file id 4782037191 (@IdentityAttribute("name"), © IBM 2014, 2026)',
    ),
    replaces: ["name", "namePrefix", "path"],
    updates: [
      "assumeRolePolicy",
      "description",
      "maxSessionDuration",
      "permissionsBoundary",
      "forceDetachPolicies",
      "tags",
    ],
    deleteBeforeReplace: false,
  },
  "aws:iam/rolePolicy:RolePolicy": {
    terraformType: "aws_iam_role_policy",
    schema: tf(
      "internal/service/iam/role_policy.go",
      'index file id 4616927945 (@Testing(preIdentityVersion="6.0.0"))',
    ),
    replaces: ["role", "name", "namePrefix"],
    updates: ["policy"],
    deleteBeforeReplace: false,
  },
  "aws:iam/userPolicy:UserPolicy": {
    terraformType: "aws_iam_user_policy",
    schema: tf("internal/service/iam/user_policy.go", "index file id 4745830262 (internal/retry, v6 era)"),
    replaces: ["user", "name", "namePrefix"],
    updates: ["policy"],
    deleteBeforeReplace: false,
  },
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
    terraformType: "aws_iam_role_policy_attachment",
    schema: tf(
      "internal/service/iam/role_policy_attachment.go",
      'index file id 10922974798 (@IdentityAttribute("policy_arn"), @SDKListResource)',
    ),
    replaces: ["role", "policyArn"],
    updates: [],
    // pulumi-aws: "a create followed by a delete actually deletes the same attachment we just created".
    deleteBeforeReplace: true,
  },
  "aws:iam/instanceProfile:InstanceProfile": {
    terraformType: "aws_iam_instance_profile",
    schema: tf("internal/service/iam/instance_profile.go", "index file id 1851932625 (aws-sdk-go-v2, v5/v6)"),
    replaces: ["name", "namePrefix", "path"],
    updates: ["role", "tags"],
    deleteBeforeReplace: false,
  },
  "aws:iam/policy:Policy": {
    terraformType: "aws_iam_policy",
    schema: tf("internal/service/iam/policy.go", "index file id 4880216744 (@ArnIdentity, preIdentityVersion v6.4.0)"),
    replaces: ["name", "namePrefix", "path", "description"],
    updates: ["policy", "tags"],
    deleteBeforeReplace: false,
  },
  "aws:iam/user:User": {
    terraformType: "aws_iam_user",
    schema: tf("internal/service/iam/user.go", "index file id 4889432949 (UpdateUser renames in place)"),
    replaces: [],
    updates: ["name", "path", "permissionsBoundary", "forceDestroy", "tags"],
    deleteBeforeReplace: false,
  },
  "aws:iam/accessKey:AccessKey": {
    terraformType: "aws_iam_access_key",
    schema: tf("internal/service/iam/access_key.go", "index file id 2207228653 (aws-sdk-go-v2)"),
    replaces: ["user", "pgpKey"],
    updates: ["status"],
    deleteBeforeReplace: false,
  },
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider": {
    terraformType: "aws_iam_openid_connect_provider",
    schema: tf(
      "internal/service/iam/openid_connect_provider.go",
      "index file id 29700126548, commit 01606926a0c0ab9174aec440f976a48b0baee722 (@ArnIdentity, preIdentityVersion v6.4.0)",
    ),
    replaces: ["url"],
    updates: ["clientIdLists", "thumbprintLists", "tags"],
    deleteBeforeReplace: false,
  },
  "aws:ec2/instance:Instance": {
    terraformType: "aws_instance",
    schema: tf(
      "internal/service/ec2/ec2_instance.go",
      "index file id 1794561789 (the only revision indexed: aws-sdk-go-v2, © HashiCorp; pre-6.x identity annotations)",
    ),
    replaces: ["ami", "subnetId", "availabilityZone", "privateIp", "keyName", "associatePublicIpAddress"],
    updates: [
      "instanceType",
      "vpcSecurityGroupIds",
      "iamInstanceProfile",
      "metadataOptions",
      "rootBlockDevice",
      "userData",
      "userDataBase64",
      "userDataReplaceOnChange",
      "tags",
    ],
    nested: {
      // "For the root volume, you can only modify ... volume size, volume type, and the Delete on Termination flag."
      rootBlockDevice: {
        replaces: ["encrypted", "kmsKeyId"],
        updates: ["volumeType", "volumeSize", "deleteOnTermination", "iops", "throughput", "tags"],
      },
      metadataOptions: {
        replaces: [],
        updates: ["httpTokens", "httpEndpoint", "httpPutResponseHopLimit", "instanceMetadataTags", "httpProtocolIpv6"],
      },
    },
    conditional: {
      userData: { rule: "customdiff.ForceNewIf(user_data, user_data_replace_on_change)", modelled: true },
      userDataBase64: { rule: "customdiff.ForceNewIf(user_data_base64, user_data_replace_on_change)", modelled: true },
      instanceType: {
        rule: "customdiff.ForceNewIf(instance_type): old and new type share no supported architecture (DescribeInstanceTypes)",
        modelled: false,
        gap: "the stand-in's Diff cannot call EC2 and updates instanceType in place (stop, modify, start) whatever the architecture",
      },
    },
    deleteBeforeReplace: false,
  },
  "aws:ec2/launchTemplate:LaunchTemplate": {
    terraformType: "aws_launch_template",
    schema: tf(
      "internal/service/ec2/ec2_launch_template.go",
      "index file id 1700241859 (the only revision indexed: aws-sdk-go-v2, no ForceNew inside any block)",
    ),
    replaces: ["name", "namePrefix"],
    updates: [
      "description",
      "imageId",
      "instanceType",
      "keyName",
      "vpcSecurityGroupIds",
      "iamInstanceProfile",
      "metadataOptions",
      "blockDeviceMappings",
      "userData",
      "updateDefaultVersion",
      "defaultVersion",
      "tags",
      "tagSpecifications",
    ],
    deleteBeforeReplace: false,
  },
  "aws:ecs/taskDefinition:TaskDefinition": {
    terraformType: "aws_ecs_task_definition",
    schema: tf(
      "internal/service/ecs/task_definition.go",
      "index file id 4453944302 (resourceTaskDefinition, v6 era); also id 62066914686 (preIdentityVersion v6.32.0): container_definitions ForceNew in both",
    ),
    replaces: [
      "family",
      "containerDefinitions",
      "taskRoleArn",
      "executionRoleArn",
      "networkMode",
      "requiresCompatibilities",
      "cpu",
      "memory",
    ],
    updates: ["skipDestroy", "trackLatest", "tags"],
    deleteBeforeReplace: false,
  },
  "aws:lambda/function:Function": {
    terraformType: "aws_lambda_function",
    schema: tf("internal/service/lambda/function.go", "index file id 2143746772 (aws-sdk-go-v2, skip_destroy present)"),
    // pulumi-aws maps `filename` to `code` (an archive) and `function_name` to `name`.
    replaces: ["name", "packageType"],
    updates: [
      "role",
      "runtime",
      "handler",
      "code",
      "description",
      "timeout",
      "memorySize",
      "architectures",
      "environment",
      "publish",
      "tags",
    ],
    deleteBeforeReplace: false,
  },
  "aws:cloudwatch/logGroup:LogGroup": {
    terraformType: "aws_cloudwatch_log_group",
    schema: tf(
      "internal/service/logs/group.go",
      'index file id 29244708446 (@IdentityAttribute("name"), preIdentityVersion v6.7.0)',
    ),
    replaces: ["name", "namePrefix", "logGroupClass"],
    updates: ["retentionInDays", "kmsKeyId", "skipDestroy", "tags"],
    deleteBeforeReplace: false,
  },
  "aws:dynamodb/table:Table": {
    terraformType: "aws_dynamodb_table",
    schema: tf(
      "internal/service/dynamodb/table.go",
      "index file id 4982952849 (GSI key_schema, global_table_witness: late v6)",
    ),
    replaces: ["name", "hashKey", "rangeKey"],
    updates: ["attributes", "billingMode", "readCapacity", "writeCapacity", "tags"],
    deleteBeforeReplace: false,
  },
  "aws:route53/zone:Zone": {
    terraformType: "aws_route53_zone",
    schema: tf("internal/service/route53/zone.go", "index file id 1555142610 (tags by zone_id, aws-sdk-go-v2)"),
    replaces: ["name"],
    updates: ["comment", "forceDestroy", "tags"],
    deleteBeforeReplace: false,
  },
  "aws:s3/bucket:Bucket": {
    terraformType: "aws_s3_bucket",
    schema: tf("internal/service/s3/bucket.go", 'index file id 4217687162 (tags by bucket, resourceType="Bucket")'),
    replaces: ["bucket", "bucketPrefix"],
    updates: ["forceDestroy", "tags"],
    deleteBeforeReplace: false,
  },
};
