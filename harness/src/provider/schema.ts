/**
 * The Pulumi package schema the LocalStack-backed `aws` provider answers GetSchema with: package `aws` at
 * {@link AWS_PROVIDER_VERSION}, holding exactly the resource types and functions the provider implements.
 *
 * Resources are generated from the provider's own handler table ({@link RESOURCE_HANDLERS}): every input property a
 * handler accepts becomes an input (and output) property, typed by {@link kindOf}; properties the provider only
 * computes (arns, ids, tagsAll, ...) are listed per type in {@link COMPUTED}. Object-valued properties and their
 * sub-properties use the type tokens the real pulumi-aws schema uses (`aws:ec2/InstanceMetadataOptions:...`), so
 * component schemas that reference `/aws/v<version>/schema.json#/resources/aws:iam%2Frole:Role` bind against it, and
 * Pulumi YAML programs type-check against it. Anything the real provider has and this one does not is absent: a
 * program using it fails at bind time rather than at deploy time.
 */
import { AWS_PROVIDER_VERSION, INVOKE_HANDLERS, RESOURCE_HANDLERS } from "./provider";
import type { PropertySpec, ResourceHandler } from "./types";

/** A Pulumi schema type reference (the subset used here). */
export interface TypeSpec {
  readonly type?: "string" | "integer" | "number" | "boolean" | "array" | "object";
  readonly items?: TypeSpec;
  readonly additionalProperties?: TypeSpec;
  readonly $ref?: string;
  readonly secret?: boolean;
}

/** A Pulumi object type or resource property map. */
type Properties = Record<string, TypeSpec & { description?: string }>;

const STRING: TypeSpec = { type: "string" };
const INTEGER: TypeSpec = { type: "integer" };
const BOOLEAN: TypeSpec = { type: "boolean" };
const STRINGS: TypeSpec = { type: "array", items: STRING };
const STRING_MAP: TypeSpec = { type: "object", additionalProperties: STRING };
/** Accepted for anything: only used where the provider really takes any value. */
export const ANY: TypeSpec = { $ref: "pulumi.json#/Any" };
const ARCHIVE: TypeSpec = { $ref: "pulumi.json#/Archive" };

function ref(token: string): TypeSpec {
  return { $ref: `#/types/${token}` };
}

/** Object types, under the real provider's tokens. */
const OBJECT_TYPES: Record<string, Properties> = {
  "aws:ec2/InstanceMetadataOptions:InstanceMetadataOptions": {
    httpEndpoint: STRING,
    httpProtocolIpv6: STRING,
    httpPutResponseHopLimit: INTEGER,
    httpTokens: STRING,
    instanceMetadataTags: STRING,
  },
  "aws:ec2/InstanceRootBlockDevice:InstanceRootBlockDevice": {
    deleteOnTermination: BOOLEAN,
    deviceName: STRING,
    encrypted: BOOLEAN,
    iops: INTEGER,
    kmsKeyId: STRING,
    tags: STRING_MAP,
    throughput: INTEGER,
    volumeId: STRING,
    volumeSize: INTEGER,
    volumeType: STRING,
  },
  "aws:ec2/LaunchTemplateIamInstanceProfile:LaunchTemplateIamInstanceProfile": { arn: STRING, name: STRING },
  "aws:ec2/LaunchTemplateMetadataOptions:LaunchTemplateMetadataOptions": {
    httpEndpoint: STRING,
    httpProtocolIpv6: STRING,
    httpPutResponseHopLimit: INTEGER,
    httpTokens: STRING,
    instanceMetadataTags: STRING,
  },
  "aws:ec2/LaunchTemplateBlockDeviceMapping:LaunchTemplateBlockDeviceMapping": {
    deviceName: STRING,
    ebs: ref("aws:ec2/LaunchTemplateBlockDeviceMappingEbs:LaunchTemplateBlockDeviceMappingEbs"),
    noDevice: STRING,
    virtualName: STRING,
  },
  // The real provider types these two booleans as strings ("true"/"false"), as does this one.
  "aws:ec2/LaunchTemplateBlockDeviceMappingEbs:LaunchTemplateBlockDeviceMappingEbs": {
    deleteOnTermination: STRING,
    encrypted: STRING,
    iops: INTEGER,
    kmsKeyId: STRING,
    throughput: INTEGER,
    volumeSize: INTEGER,
    volumeType: STRING,
  },
  "aws:ec2/LaunchTemplateTagSpecification:LaunchTemplateTagSpecification": {
    resourceType: STRING,
    tags: STRING_MAP,
  },
  "aws:lambda/FunctionEnvironment:FunctionEnvironment": { variables: STRING_MAP },
  "aws:ec2/getAmiFilter:getAmiFilter": { name: STRING, values: STRINGS },
  "aws:iam/getPolicyDocumentStatement:getPolicyDocumentStatement": {
    actions: STRINGS,
    conditions: {
      type: "array",
      items: ref("aws:iam/getPolicyDocumentStatementCondition:getPolicyDocumentStatementCondition"),
    },
    effect: STRING,
    notActions: STRINGS,
    notPrincipals: {
      type: "array",
      items: ref("aws:iam/getPolicyDocumentStatementNotPrincipal:getPolicyDocumentStatementNotPrincipal"),
    },
    notResources: STRINGS,
    principals: {
      type: "array",
      items: ref("aws:iam/getPolicyDocumentStatementPrincipal:getPolicyDocumentStatementPrincipal"),
    },
    resources: STRINGS,
    sid: STRING,
  },
  "aws:iam/getPolicyDocumentStatementCondition:getPolicyDocumentStatementCondition": {
    test: STRING,
    values: STRINGS,
    variable: STRING,
  },
  "aws:iam/getPolicyDocumentStatementPrincipal:getPolicyDocumentStatementPrincipal": {
    identifiers: STRINGS,
    type: STRING,
  },
  "aws:iam/getPolicyDocumentStatementNotPrincipal:getPolicyDocumentStatementNotPrincipal": {
    identifiers: STRINGS,
    type: STRING,
  },
  "aws:dynamodb/TableAttribute:TableAttribute": { name: STRING, type: STRING },
  "aws:index/ProviderEndpoint:ProviderEndpoint": {
    dynamodb: STRING,
    ec2: STRING,
    ecs: STRING,
    iam: STRING,
    lambda: STRING,
    route53: STRING,
    s3: STRING,
    sts: STRING,
  },
};

const REQUIRED_FIELDS: Record<string, readonly string[]> = {
  "aws:dynamodb/TableAttribute:TableAttribute": ["name", "type"],
  "aws:ec2/getAmiFilter:getAmiFilter": ["name", "values"],
  "aws:iam/getPolicyDocumentStatementCondition:getPolicyDocumentStatementCondition": ["test", "values", "variable"],
  "aws:iam/getPolicyDocumentStatementPrincipal:getPolicyDocumentStatementPrincipal": ["identifiers", "type"],
  "aws:iam/getPolicyDocumentStatementNotPrincipal:getPolicyDocumentStatementNotPrincipal": ["identifiers", "type"],
};

/** Property kinds shared by every resource type that has the property. */
const COMMON_KINDS: Record<string, TypeSpec> = {
  name: STRING,
  namePrefix: STRING,
  description: STRING,
  path: STRING,
  tags: STRING_MAP,
  tagsAll: STRING_MAP,
  arn: STRING,
  role: STRING,
  policy: STRING,
  policyArn: STRING,
  permissionsBoundary: STRING,
  userData: STRING,
  userDataBase64: STRING,
  instanceType: STRING,
  keyName: STRING,
  vpcSecurityGroupIds: STRINGS,
  createDate: STRING,
  uniqueId: STRING,
};

/** Per type: kinds that differ from {@link COMMON_KINDS} or that only that type has. */
const TYPE_KINDS: Record<string, Record<string, TypeSpec>> = {
  "aws:iam/role:Role": { assumeRolePolicy: STRING, maxSessionDuration: INTEGER, forceDetachPolicies: BOOLEAN },
  "aws:iam/policy:Policy": { policyId: STRING, attachmentCount: INTEGER },
  "aws:iam/user:User": { forceDestroy: BOOLEAN },
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider": {
    url: STRING,
    clientIdLists: STRINGS,
    thumbprintLists: STRINGS,
  },
  "aws:cloudwatch/logGroup:LogGroup": {
    retentionInDays: INTEGER,
    kmsKeyId: STRING,
    logGroupClass: STRING,
    skipDestroy: BOOLEAN,
  },
  "aws:iam/userPolicy:UserPolicy": { user: STRING },
  "aws:iam/accessKey:AccessKey": {
    user: STRING,
    status: STRING,
    pgpKey: STRING,
    secret: { type: "string", secret: true },
  },
  "aws:ec2/instance:Instance": {
    ami: STRING,
    subnetId: STRING,
    availabilityZone: STRING,
    privateIp: STRING,
    privateDns: STRING,
    publicIp: STRING,
    publicDns: STRING,
    associatePublicIpAddress: BOOLEAN,
    iamInstanceProfile: STRING,
    instanceState: STRING,
    primaryNetworkInterfaceId: STRING,
    metadataOptions: ref("aws:ec2/InstanceMetadataOptions:InstanceMetadataOptions"),
    rootBlockDevice: ref("aws:ec2/InstanceRootBlockDevice:InstanceRootBlockDevice"),
    userDataReplaceOnChange: BOOLEAN,
  },
  "aws:ec2/launchTemplate:LaunchTemplate": {
    imageId: STRING,
    iamInstanceProfile: ref("aws:ec2/LaunchTemplateIamInstanceProfile:LaunchTemplateIamInstanceProfile"),
    metadataOptions: ref("aws:ec2/LaunchTemplateMetadataOptions:LaunchTemplateMetadataOptions"),
    blockDeviceMappings: {
      type: "array",
      items: ref("aws:ec2/LaunchTemplateBlockDeviceMapping:LaunchTemplateBlockDeviceMapping"),
    },
    updateDefaultVersion: BOOLEAN,
    defaultVersion: INTEGER,
    latestVersion: INTEGER,
    tagSpecifications: {
      type: "array",
      items: ref("aws:ec2/LaunchTemplateTagSpecification:LaunchTemplateTagSpecification"),
    },
  },
  "aws:lambda/function:Function": {
    runtime: STRING,
    handler: STRING,
    code: ARCHIVE,
    timeout: INTEGER,
    memorySize: INTEGER,
    packageType: STRING,
    architectures: STRINGS,
    environment: ref("aws:lambda/FunctionEnvironment:FunctionEnvironment"),
    publish: BOOLEAN,
    invokeArn: STRING,
    qualifiedArn: STRING,
    version: STRING,
    sourceCodeHash: STRING,
    sourceCodeSize: INTEGER,
    lastModified: STRING,
  },
  "aws:ecs/taskDefinition:TaskDefinition": {
    family: STRING,
    containerDefinitions: STRING,
    taskRoleArn: STRING,
    executionRoleArn: STRING,
    networkMode: STRING,
    requiresCompatibilities: STRINGS,
    cpu: STRING,
    memory: STRING,
    skipDestroy: BOOLEAN,
    trackLatest: BOOLEAN,
    arnWithoutRevision: STRING,
    revision: INTEGER,
  },
  "aws:dynamodb/table:Table": {
    attributes: { type: "array", items: ref("aws:dynamodb/TableAttribute:TableAttribute") },
    hashKey: STRING,
    rangeKey: STRING,
    billingMode: STRING,
    readCapacity: INTEGER,
    writeCapacity: INTEGER,
  },
  "aws:s3/bucket:Bucket": {
    bucket: STRING,
    bucketPrefix: STRING,
    forceDestroy: BOOLEAN,
    bucketDomainName: STRING,
    bucketRegionalDomainName: STRING,
    hostedZoneId: STRING,
    region: STRING,
    bucketRegion: STRING,
  },
  "aws:route53/zone:Zone": {
    comment: STRING,
    forceDestroy: BOOLEAN,
    zoneId: STRING,
    nameServers: STRINGS,
    primaryNameServer: STRING,
  },
};

/** Output-only properties per type: what the handler's read reports beyond its inputs (`id` is implicit). */
export const COMPUTED: Record<string, readonly string[]> = {
  "aws:iam/role:Role": ["arn", "uniqueId", "createDate", "tagsAll"],
  "aws:iam/rolePolicy:RolePolicy": [],
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": [],
  "aws:iam/instanceProfile:InstanceProfile": ["arn", "uniqueId", "createDate", "tagsAll"],
  "aws:iam/policy:Policy": ["arn", "policyId", "attachmentCount", "tagsAll"],
  "aws:iam/user:User": ["arn", "uniqueId", "tagsAll"],
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ["arn", "tagsAll"],
  "aws:iam/userPolicy:UserPolicy": [],
  "aws:iam/accessKey:AccessKey": ["secret", "createDate"],
  "aws:ec2/instance:Instance": [
    "arn",
    "privateDns",
    "publicIp",
    "publicDns",
    "instanceState",
    "primaryNetworkInterfaceId",
    "tagsAll",
  ],
  "aws:ec2/launchTemplate:LaunchTemplate": ["arn", "latestVersion", "tagsAll"],
  "aws:lambda/function:Function": [
    "arn",
    "invokeArn",
    "qualifiedArn",
    "version",
    "sourceCodeHash",
    "sourceCodeSize",
    "lastModified",
    "tagsAll",
  ],
  "aws:ecs/taskDefinition:TaskDefinition": ["arn", "arnWithoutRevision", "revision", "tagsAll"],
  "aws:dynamodb/table:Table": ["arn", "tagsAll"],
  "aws:s3/bucket:Bucket": [
    "arn",
    "bucketDomainName",
    "bucketRegionalDomainName",
    "hostedZoneId",
    "region",
    "bucketRegion",
    "tagsAll",
  ],
  "aws:route53/zone:Zone": ["arn", "zoneId", "nameServers", "primaryNameServer", "tagsAll"],
  "aws:cloudwatch/logGroup:LogGroup": ["arn", "tagsAll"],
};

/** Required inputs, as in the real provider's schema (the rest is optional or defaulted by Check). */
const REQUIRED_INPUTS: Record<string, readonly string[]> = {
  "aws:iam/role:Role": ["assumeRolePolicy"],
  "aws:iam/rolePolicy:RolePolicy": ["policy", "role"],
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["policyArn", "role"],
  "aws:iam/policy:Policy": ["policy"],
  "aws:iam/userPolicy:UserPolicy": ["policy", "user"],
  "aws:iam/accessKey:AccessKey": ["user"],
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ["clientIdLists", "url"],
  "aws:lambda/function:Function": ["role"],
  "aws:ecs/taskDefinition:TaskDefinition": ["containerDefinitions", "family"],
};

/** Invokes: inputs and outputs (outputs include the inputs echoed back, as the real data sources do). */
const FUNCTIONS: Record<string, { inputs: Properties; outputs: Properties; required?: readonly string[] }> = {
  "aws:index/getCallerIdentity:getCallerIdentity": {
    inputs: { id: STRING },
    outputs: { accountId: STRING, arn: STRING, id: STRING, userId: STRING },
  },
  "aws:index/getRegion:getRegion": {
    inputs: { id: STRING, name: STRING, region: STRING, endpoint: STRING },
    outputs: { description: STRING, endpoint: STRING, id: STRING, name: STRING, region: STRING },
  },
  "aws:index/getPartition:getPartition": {
    inputs: { id: STRING },
    outputs: { dnsSuffix: STRING, id: STRING, partition: STRING, reverseDnsPrefix: STRING },
  },
  "aws:ec2/getAmi:getAmi": {
    inputs: {
      executableUsers: STRINGS,
      filters: { type: "array", items: ref("aws:ec2/getAmiFilter:getAmiFilter") },
      mostRecent: BOOLEAN,
      nameRegex: STRING,
      owners: STRINGS,
    },
    outputs: {
      architecture: STRING,
      arn: STRING,
      creationDate: STRING,
      description: STRING,
      filters: { type: "array", items: ref("aws:ec2/getAmiFilter:getAmiFilter") },
      hypervisor: STRING,
      id: STRING,
      imageId: STRING,
      imageOwnerAlias: STRING,
      imageType: STRING,
      mostRecent: BOOLEAN,
      name: STRING,
      nameRegex: STRING,
      ownerId: STRING,
      owners: STRINGS,
      platform: STRING,
      platformDetails: STRING,
      public: BOOLEAN,
      rootDeviceName: STRING,
      rootDeviceType: STRING,
      state: STRING,
      tags: STRING_MAP,
      virtualizationType: STRING,
    },
  },
  // Exactly one of arn and url (the provider refuses both or neither).
  "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider": {
    inputs: { arn: STRING, tags: STRING_MAP, url: STRING },
    outputs: {
      arn: STRING,
      clientIdLists: STRINGS,
      id: STRING,
      tags: STRING_MAP,
      thumbprintLists: STRINGS,
      url: STRING,
    },
  },
  // sourcePolicyDocuments / overridePolicyDocuments are refused by the provider, so they are absent here.
  "aws:iam/getPolicyDocument:getPolicyDocument": {
    inputs: {
      policyId: STRING,
      statements: {
        type: "array",
        items: ref("aws:iam/getPolicyDocumentStatement:getPolicyDocumentStatement"),
      },
      version: STRING,
    },
    outputs: {
      id: STRING,
      json: STRING,
      minifiedJson: STRING,
      policyId: STRING,
      statements: {
        type: "array",
        items: ref("aws:iam/getPolicyDocumentStatement:getPolicyDocumentStatement"),
      },
      version: STRING,
    },
  },
};

/** Provider configuration: exactly the settings the provider honours (anything else is refused by CheckConfig). */
const CONFIG: Properties = {
  region: STRING,
  accessKey: { type: "string", secret: true },
  secretKey: { type: "string", secret: true },
  token: { type: "string", secret: true },
  endpoints: { type: "array", items: ref("aws:index/ProviderEndpoint:ProviderEndpoint") },
  skipCredentialsValidation: BOOLEAN,
  skipMetadataApiCheck: BOOLEAN,
  skipRegionValidation: BOOLEAN,
  skipRequestingAccountId: BOOLEAN,
  s3UsePathStyle: BOOLEAN,
};

/**
 * The schema type of `property` of resource `token`: the per-type table, then the shared one, then what the
 * handler's spec says (`json` documents are strings, a default's JS type), else {@link ANY}.
 */
export function kindOf(token: string, property: string, spec?: PropertySpec): TypeSpec {
  const explicit = TYPE_KINDS[token]?.[property] ?? COMMON_KINDS[property];
  if (explicit) return explicit;
  if (spec?.json) return STRING;
  switch (typeof spec?.default) {
    case "string":
      return STRING;
    case "boolean":
      return BOOLEAN;
    case "number":
      return Number.isInteger(spec?.default) ? INTEGER : { type: "number" };
    default:
      return ANY;
  }
}

function moduleOf(token: string): string {
  return token.split(":")[1]?.split("/")[0] ?? "index";
}

function resourceSpec(h: ResourceHandler): Record<string, unknown> {
  const inputProperties: Properties = {};
  for (const [name, spec] of Object.entries(h.properties)) inputProperties[name] = kindOf(h.token, name, spec);
  const properties: Properties = { ...inputProperties };
  for (const name of COMPUTED[h.token] ?? []) properties[name] = kindOf(h.token, name);
  const required = Object.keys(properties).filter(
    (p) =>
      (COMPUTED[h.token] ?? []).includes(p) ||
      (REQUIRED_INPUTS[h.token] ?? []).includes(p) ||
      h.properties[p]?.default !== undefined ||
      p === h.autoName?.property,
  );
  const requiredInputs = (REQUIRED_INPUTS[h.token] ?? []).filter((p) => p in inputProperties);
  return {
    description: `${h.token}, served by the keyless LocalStack-backed aws provider (${h.service}).`,
    properties,
    required: required.sort(),
    inputProperties,
    ...(requiredInputs.length > 0 ? { requiredInputs } : {}),
    stateInputs: {
      description: `Input properties used for looking up and filtering ${h.token} resources.`,
      type: "object",
      properties,
    },
  };
}

function objectType(token: string, props: Properties): Record<string, unknown> {
  const required = REQUIRED_FIELDS[token];
  return { type: "object", properties: props, ...(required ? { required: [...required] } : {}) };
}

/** The package schema, as a plain object. */
export function awsPackageSchema(): Record<string, unknown> {
  const resources: Record<string, unknown> = {};
  for (const h of RESOURCE_HANDLERS.values()) resources[h.token] = resourceSpec(h);
  const functions: Record<string, unknown> = {};
  for (const token of INVOKE_HANDLERS.keys()) {
    const f = FUNCTIONS[token];
    if (!f) continue; // An invoke without a declared signature is left out rather than typed wrongly.
    functions[token] = {
      description: `${token}, served by the keyless LocalStack-backed aws provider.`,
      inputs: { type: "object", properties: f.inputs, ...(f.required ? { required: [...f.required] } : {}) },
      outputs: { type: "object", properties: f.outputs, required: ["id"].filter((p) => p in f.outputs) },
    };
  }
  const types: Record<string, unknown> = {};
  for (const [token, props] of Object.entries(OBJECT_TYPES)) types[token] = objectType(token, props);
  const modules = new Set([...Object.keys(resources), ...Object.keys(functions), ...Object.keys(types)].map(moduleOf));
  return {
    name: "aws",
    displayName: "AWS (keyless LocalStack stand-in)",
    version: AWS_PROVIDER_VERSION,
    description:
      "The subset of the aws package served by @keyless/testing's LocalStack-backed provider: only the resource " +
      "types and functions it implements.",
    keywords: ["pulumi", "aws", "localstack", "kind/native"],
    license: "Apache-2.0",
    meta: { moduleFormat: "(.*)(?:/[^/]*)" },
    language: {
      nodejs: { packageName: "@pulumi/aws" },
      python: { packageName: "pulumi_aws" },
      csharp: { rootNamespace: "Pulumi", namespaces: Object.fromEntries([...modules].map((m) => [m, capital(m)])) },
    },
    config: { variables: CONFIG },
    provider: { description: "The provider type for the aws package.", inputProperties: CONFIG },
    types,
    resources,
    functions,
  };
}

function capital(s: string): string {
  return s.length === 0 ? s : (s[0] as string).toUpperCase() + s.slice(1);
}

/** The schema as GetSchema returns it: JSON text. */
export function awsPackageSchemaJson(): string {
  return JSON.stringify(awsPackageSchema());
}
