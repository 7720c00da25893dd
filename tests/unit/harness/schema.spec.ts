import assert from "node:assert/strict";
import {
  AWS_PROVIDER_VERSION,
  awsPackageSchema,
  AWS_SCHEMA_COMPUTED as COMPUTED,
  INVOKE_HANDLERS,
  RESOURCE_HANDLERS,
} from "@keyless/testing";

type Json = Record<string, unknown>;
type TypeRef = { type?: string; $ref?: string; items?: TypeRef; additionalProperties?: TypeRef; secret?: boolean };
type ObjectSpec = { type?: string; properties?: Record<string, TypeRef>; required?: string[] };
type ResourceSpec = {
  properties: Record<string, TypeRef>;
  required?: string[];
  inputProperties: Record<string, TypeRef>;
  requiredInputs?: string[];
};
type FunctionSpec = { inputs: ObjectSpec; outputs: ObjectSpec };

const PRIMITIVES = new Set(["string", "integer", "number", "boolean"]);
const BUILTIN_REFS = new Set(["pulumi.json#/Any", "pulumi.json#/Archive", "pulumi.json#/Asset"]);

/** Checks one property type: a primitive, an array or map of a checked type, or a $ref that resolves. */
function checkType(where: string, t: TypeRef, tables: { types: Json; resources: Json }): void {
  if (t.$ref !== undefined) {
    if (BUILTIN_REFS.has(t.$ref)) return;
    const m = /^#\/(types|resources)\/(.+)$/.exec(t.$ref);
    assert.ok(m, `${where}: unexpected $ref ${t.$ref}`);
    const table = m[1] === "types" ? tables.types : tables.resources;
    assert.ok(table[decodeURIComponent(m[2] as string)], `${where}: dangling $ref ${t.$ref}`);
  } else if (t.type === "array") {
    assert.ok(t.items, `${where}: array without items`);
    checkType(`${where}[]`, t.items, tables);
  } else if (t.type === "object") {
    assert.ok(t.additionalProperties, `${where}: map without element type`);
    checkType(`${where}{}`, t.additionalProperties, tables);
  } else {
    assert.ok(PRIMITIVES.has(t.type as string), `${where}: unknown type ${String(t.type)}`);
  }
}

/** Every property map of the schema, with where it is. */
function propertyMaps(schema: Json): Array<[string, Record<string, TypeRef>]> {
  const maps: Array<[string, Record<string, TypeRef>]> = [];
  for (const [token, r] of Object.entries(schema["resources"] as Record<string, ResourceSpec>)) {
    maps.push([`${token} outputs`, r.properties], [`${token} inputs`, r.inputProperties]);
  }
  for (const [token, f] of Object.entries(schema["functions"] as Record<string, FunctionSpec>)) {
    maps.push([`${token} inputs`, f.inputs.properties ?? {}], [`${token} outputs`, f.outputs.properties ?? {}]);
  }
  for (const [token, t] of Object.entries(schema["types"] as Record<string, ObjectSpec>)) {
    maps.push([token, t.properties ?? {}]);
  }
  maps.push(["config", (schema["config"] as { variables: Record<string, TypeRef> }).variables]);
  return maps;
}

describe("harness: aws package schema of the LocalStack provider", () => {
  const schema = awsPackageSchema();
  const resources = schema["resources"] as Record<string, ResourceSpec>;
  const functions = schema["functions"] as Record<string, FunctionSpec>;
  const types = schema["types"] as Record<string, ObjectSpec>;

  it("is package aws at the version the provider stands in for, and survives JSON", () => {
    assert.equal(schema["name"], "aws");
    assert.equal(schema["version"], AWS_PROVIDER_VERSION);
    assert.equal(AWS_PROVIDER_VERSION, (require("@pulumi/aws/package.json") as { version: string }).version);
    assert.deepEqual(JSON.parse(JSON.stringify(schema)), schema);
  });

  it("has exactly the resource types the provider implements", () => {
    assert.deepEqual(Object.keys(resources).sort(), [...RESOURCE_HANDLERS.keys()].sort());
    for (const token of [
      "aws:iam/role:Role",
      "aws:iam/instanceProfile:InstanceProfile",
      "aws:iam/rolePolicy:RolePolicy",
      "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
      "aws:ec2/instance:Instance",
      "aws:ec2/launchTemplate:LaunchTemplate",
    ]) {
      // The types @keyless/aws's component schema references.
      assert.ok(resources[token], `${token} missing`);
    }
  });

  it("has exactly the functions the provider implements", () => {
    assert.deepEqual(Object.keys(functions).sort(), [...INVOKE_HANDLERS.keys()].sort());
  });

  it("leaves out what the provider does not support", () => {
    for (const token of [
      "aws:sqs/queue:Queue",
      "aws:s3/bucketPolicy:BucketPolicy",
      "aws:iam/group:Group",
      "aws:ec2/vpc:Vpc",
      "aws:ec2/securityGroup:SecurityGroup",
    ]) {
      assert.equal(resources[token], undefined, token);
    }
    assert.equal(functions["aws:s3/getBucket:getBucket"], undefined);
    const policyDoc = functions["aws:iam/getPolicyDocument:getPolicyDocument"];
    assert.ok(policyDoc);
    // Refused by the provider, so absent here: a program using them fails at bind time.
    assert.equal(policyDoc.inputs.properties?.["sourcePolicyDocuments"], undefined);
    assert.equal(policyDoc.inputs.properties?.["overridePolicyDocuments"], undefined);
    assert.equal(resources["aws:iam/role:Role"]?.inputProperties["managedPolicyArns"], undefined);
  });

  it("types every input the provider accepts (no fallback to Any but the Lambda archive)", () => {
    for (const h of RESOURCE_HANDLERS.values()) {
      const r = resources[h.token];
      assert.ok(r);
      assert.deepEqual(Object.keys(r.inputProperties).sort(), Object.keys(h.properties).sort(), h.token);
      for (const [name, t] of Object.entries(r.inputProperties)) {
        assert.deepEqual(r.properties[name], t, `${h.token}.${name}: output type differs from input type`);
        if (t.$ref === "pulumi.json#/Any") assert.fail(`${h.token}.${name} has no kind in schema.ts`);
      }
      // Computed outputs (arn, ids, tagsAll) are declared for every type.
      for (const out of COMPUTED[h.token] ?? []) assert.ok(r.properties[out], `${h.token}.${out}`);
      assert.ok(h.token in COMPUTED, `${h.token}: its computed outputs are not declared in schema.ts`);
    }
    assert.deepEqual(resources["aws:lambda/function:Function"]?.inputProperties["code"], {
      $ref: "pulumi.json#/Archive",
    });
  });

  it("gives the kinds the real provider gives", () => {
    const role = resources["aws:iam/role:Role"] as ResourceSpec;
    assert.deepEqual(role.inputProperties["assumeRolePolicy"], { type: "string" });
    assert.deepEqual(role.inputProperties["maxSessionDuration"], { type: "integer" });
    assert.deepEqual(role.inputProperties["tags"], { type: "object", additionalProperties: { type: "string" } });
    assert.deepEqual(role.properties["tagsAll"], { type: "object", additionalProperties: { type: "string" } });
    assert.deepEqual(role.requiredInputs, ["assumeRolePolicy"]);
    assert.ok(role.required?.includes("arn") && role.required.includes("name"));

    const instance = resources["aws:ec2/instance:Instance"] as ResourceSpec;
    const metadataRef = instance.inputProperties["metadataOptions"]?.$ref;
    assert.equal(metadataRef, "#/types/aws:ec2/InstanceMetadataOptions:InstanceMetadataOptions");
    const metadata = types["aws:ec2/InstanceMetadataOptions:InstanceMetadataOptions"];
    assert.deepEqual(metadata?.properties?.["httpTokens"], { type: "string" });
    assert.deepEqual(metadata?.properties?.["httpPutResponseHopLimit"], { type: "integer" });
    assert.deepEqual(instance.inputProperties["vpcSecurityGroupIds"], { type: "array", items: { type: "string" } });
    assert.deepEqual(instance.inputProperties["userDataReplaceOnChange"], { type: "boolean" });
    assert.deepEqual(types["aws:ec2/InstanceRootBlockDevice:InstanceRootBlockDevice"]?.properties?.["encrypted"], {
      type: "boolean",
    });
    // Launch template EBS booleans are strings in the real provider too.
    assert.deepEqual(
      types["aws:ec2/LaunchTemplateBlockDeviceMappingEbs:LaunchTemplateBlockDeviceMappingEbs"]?.properties?.[
        "encrypted"
      ],
      { type: "string" },
    );
    assert.deepEqual(resources["aws:iam/accessKey:AccessKey"]?.properties["secret"], { type: "string", secret: true });
    assert.equal(resources["aws:iam/accessKey:AccessKey"]?.inputProperties["secret"], undefined);
    assert.deepEqual(resources["aws:ecs/taskDefinition:TaskDefinition"]?.properties["revision"], { type: "integer" });

    const table = resources["aws:dynamodb/table:Table"] as ResourceSpec;
    assert.deepEqual(table.inputProperties["attributes"], {
      type: "array",
      items: { $ref: "#/types/aws:dynamodb/TableAttribute:TableAttribute" },
    });
    assert.deepEqual(types["aws:dynamodb/TableAttribute:TableAttribute"]?.required, ["name", "type"]);
    assert.deepEqual(table.inputProperties["readCapacity"], { type: "integer" });
    assert.ok(table.required?.includes("arn") && table.required.includes("billingMode"));
    const bucket = resources["aws:s3/bucket:Bucket"] as ResourceSpec;
    assert.deepEqual(bucket.inputProperties["forceDestroy"], { type: "boolean" });
    assert.deepEqual(bucket.properties["bucketDomainName"], { type: "string" });
    assert.equal(bucket.inputProperties["bucketDomainName"], undefined);
    assert.ok(bucket.required?.includes("bucket"), "the bucket name is auto-named, so always present");
    const oidc = resources["aws:iam/openIdConnectProvider:OpenIdConnectProvider"] as ResourceSpec;
    assert.deepEqual(oidc.inputProperties["url"], { type: "string" });
    assert.deepEqual(oidc.inputProperties["clientIdLists"], { type: "array", items: { type: "string" } });
    assert.deepEqual(oidc.inputProperties["thumbprintLists"], { type: "array", items: { type: "string" } });
    assert.deepEqual(oidc.requiredInputs, ["clientIdLists", "url"], "thumbprintLists is optional in pulumi-aws 7");
    assert.deepEqual(oidc.properties["arn"], { type: "string" });
    assert.equal(oidc.inputProperties["arn"], undefined);
    const getOidc = functions["aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider"];
    assert.deepEqual(Object.keys(getOidc?.inputs.properties ?? {}).sort(), ["arn", "tags", "url"]);
    assert.deepEqual(getOidc?.outputs.properties?.["clientIdLists"], { type: "array", items: { type: "string" } });
    const zone = resources["aws:route53/zone:Zone"] as ResourceSpec;
    assert.deepEqual(zone.properties["nameServers"], { type: "array", items: { type: "string" } });
    assert.deepEqual(zone.inputProperties["comment"], { type: "string" });
    assert.equal(zone.inputProperties["zoneId"], undefined);
  });

  it("resolves every type reference and uses well-formed tokens", () => {
    const maps = propertyMaps(schema);
    assert.ok(maps.length > 20);
    for (const [where, props] of maps) {
      for (const [name, t] of Object.entries(props)) checkType(`${where}.${name}`, t, { types, resources });
    }
    for (const token of [...Object.keys(resources), ...Object.keys(functions)]) {
      // Pulumi tokens: aws:<module>/<member>:<Name>, the member being the name with its first letter lowered.
      const m = /^aws:([a-z0-9]+)\/([A-Za-z0-9]+):([A-Za-z0-9]+)$/.exec(token);
      assert.ok(m, token);
      const name = m[3] as string;
      assert.equal(m[2], name[0]?.toLowerCase() + name.slice(1), token);
    }
    for (const token of Object.keys(types)) assert.match(token, /^aws:[a-z0-9]+\/[A-Za-z0-9]+:[A-Za-z0-9]+$/, token);
    for (const [token, r] of Object.entries(resources)) {
      for (const p of r.required ?? []) assert.ok(p in r.properties, `${token}: required ${p} not a property`);
      for (const p of r.requiredInputs ?? []) assert.ok(p in r.inputProperties, `${token}: required input ${p}`);
    }
    for (const [token, t] of Object.entries(types)) {
      assert.equal(t.type, "object", token);
      for (const p of t.required ?? []) assert.ok(p in (t.properties ?? {}), `${token}: required ${p}`);
    }
  });

  it("declares the provider settings the provider honours, secrets as secrets", () => {
    const config = (schema["config"] as { variables: Record<string, TypeRef> }).variables;
    assert.deepEqual(Object.keys(config).sort(), [
      "accessKey",
      "endpoints",
      "region",
      "s3UsePathStyle",
      "secretKey",
      "skipCredentialsValidation",
      "skipMetadataApiCheck",
      "skipRegionValidation",
      "skipRequestingAccountId",
      "token",
    ]);
    assert.equal(config["secretKey"]?.secret, true);
    // One endpoint per service the provider serves: LocalStack's and moto's.
    assert.deepEqual(Object.keys(types["aws:index/ProviderEndpoint:ProviderEndpoint"]?.properties ?? {}).sort(), [
      "dynamodb",
      "ec2",
      "ecs",
      "iam",
      "lambda",
      "route53",
      "s3",
      "sts",
    ]);
    assert.deepEqual((schema["provider"] as { inputProperties: unknown }).inputProperties, config);
  });
});
