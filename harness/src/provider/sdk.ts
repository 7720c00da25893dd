/**
 * The AWS SDK v3 client packages the provider uses, each loaded on first use. The engine starts the provider for
 * every preview, up, refresh and destroy, and most of those runs touch two or three services: requiring all nine
 * packages up front cost about 0.5 s of CPU per start, more than the rest of the provider's start-up.
 */

/** `load()`'s module, loaded when one of its exports is first read. */
function onFirstUse<T extends object>(load: () => T): T {
  let loaded: T | undefined;
  return new Proxy({} as T, {
    get(_target, key) {
      loaded ??= load();
      return Reflect.get(loaded, key);
    },
  });
}

export const dynamodbSdk = onFirstUse(
  () => require("@aws-sdk/client-dynamodb") as typeof import("@aws-sdk/client-dynamodb"),
);
export const ec2Sdk = onFirstUse(() => require("@aws-sdk/client-ec2") as typeof import("@aws-sdk/client-ec2"));
export const ecsSdk = onFirstUse(() => require("@aws-sdk/client-ecs") as typeof import("@aws-sdk/client-ecs"));
export const iamSdk = onFirstUse(() => require("@aws-sdk/client-iam") as typeof import("@aws-sdk/client-iam"));
export const lambdaSdk = onFirstUse(() => require("@aws-sdk/client-lambda") as typeof import("@aws-sdk/client-lambda"));
export const logsSdk = onFirstUse(
  () => require("@aws-sdk/client-cloudwatch-logs") as typeof import("@aws-sdk/client-cloudwatch-logs"),
);
export const route53Sdk = onFirstUse(
  () => require("@aws-sdk/client-route-53") as typeof import("@aws-sdk/client-route-53"),
);
export const s3Sdk = onFirstUse(() => require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3"));
export const stsSdk = onFirstUse(() => require("@aws-sdk/client-sts") as typeof import("@aws-sdk/client-sts"));
