export * from "./assertions";
export * from "./ecs-task-credentials";
export * from "./engine";
export * from "./imds";
export * from "./instance-user-data";
export * from "./lambda";
export * from "./leftovers";
export * from "./localstack";
export { memberRoleMustExist } from "./member-roles";
export { MOTO_MANAGEMENT_ACCOUNT, type MotoOrganization, startMotoOrganization } from "./moto-organization";
export * from "./oidc";
export * from "./pebble";
export { motoEndpoint } from "./provider/clients";
export { type AwsProviderMode, awsProviderMode, installAwsProvider, realProviderConfig } from "./provider/plugin";
export {
  AWS_PROVIDER_VERSION,
  INVOKE_HANDLERS,
  RESOURCE_HANDLERS,
  UnsupportedResourceError,
} from "./provider/provider";
export { awsPackageSchema, awsPackageSchemaJson, COMPUTED as AWS_SCHEMA_COMPUTED } from "./provider/schema";
export * from "./route53-dns";
export * from "./run-on-instance";
export * from "./service-credentials";
export * from "./signing-recorder";
export * from "./stack";
