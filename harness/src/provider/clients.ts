/**
 * AWS SDK v3 clients pointed at the emulators: LocalStack for IAM, STS, EC2, Lambda, S3, Route 53 and CloudWatch Logs; moto for ECS
 * and DynamoDB.
 */
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { EC2Client } from "@aws-sdk/client-ec2";
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { IAMClient } from "@aws-sdk/client-iam";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { Route53Client } from "@aws-sdk/client-route-53";
import type { S3Client } from "@aws-sdk/client-s3";
import type { STSClient } from "@aws-sdk/client-sts";
import { LOCALSTACK_CREDENTIALS, localStackEndpoint } from "../localstack";
import { dynamodbSdk, ec2Sdk, ecsSdk, iamSdk, lambdaSdk, logsSdk, route53Sdk, s3Sdk, stsSdk } from "./sdk";

/** The moto server that serves ECS and DynamoDB: `KEYLESS_MOTO_ENDPOINT`, else http://127.0.0.1:4567. */
export function motoEndpoint(): string {
  return process.env["KEYLESS_MOTO_ENDPOINT"] ?? "http://127.0.0.1:4567";
}

/** Where each service is served; explicit provider `endpoints` override these. */
export interface Endpoints {
  readonly iam: string;
  readonly sts: string;
  readonly ec2: string;
  readonly lambda: string;
  readonly ecs: string;
  readonly s3: string;
  readonly route53: string;
  readonly dynamodb: string;
  readonly logs: string;
}

/**
 * The default endpoints: LocalStack for everything but ECS, which its open edition lacks, and DynamoDB, for which it
 * downloads a jar (DynamoDB Local) under a licence that rules it out here; moto serves both.
 */
export function defaultEndpoints(): Endpoints {
  const ls = localStackEndpoint();
  const moto = motoEndpoint();
  return { iam: ls, sts: ls, ec2: ls, lambda: ls, ecs: moto, s3: ls, route53: ls, dynamodb: moto, logs: ls };
}

/** One client per service, created on first use. */
export class AwsClients {
  private cache = new Map<string, unknown>();
  constructor(
    readonly region: string,
    readonly endpoints: Endpoints,
    private readonly credentials: { accessKeyId: string; secretAccessKey: string } = LOCALSTACK_CREDENTIALS,
  ) {}

  private get<T>(key: keyof Endpoints, make: (cfg: ReturnType<AwsClients["config"]>) => T): T {
    let c = this.cache.get(key) as T | undefined;
    if (!c) {
      c = make(this.config(key));
      this.cache.set(key, c);
    }
    return c;
  }

  private config(key: keyof Endpoints) {
    return { endpoint: this.endpoints[key], region: this.region, credentials: this.credentials, maxAttempts: 3 };
  }

  get iam(): IAMClient {
    return this.get("iam", (c) => new iamSdk.IAMClient(c));
  }
  get sts(): STSClient {
    return this.get("sts", (c) => new stsSdk.STSClient(c));
  }
  get ec2(): EC2Client {
    return this.get("ec2", (c) => new ec2Sdk.EC2Client(c));
  }
  get lambda(): LambdaClient {
    return this.get("lambda", (c) => new lambdaSdk.LambdaClient(c));
  }
  get logs(): CloudWatchLogsClient {
    return this.get("logs", (c) => new logsSdk.CloudWatchLogsClient(c));
  }
  get ecs(): ECSClient {
    return this.get("ecs", (c) => new ecsSdk.ECSClient(c));
  }
  get s3(): S3Client {
    // Path-style: virtual-hosted bucket names would need DNS for <bucket>.127.0.0.1.
    return this.get("s3", (c) => new s3Sdk.S3Client({ ...c, forcePathStyle: true }));
  }
  get route53(): Route53Client {
    return this.get("route53", (c) => new route53Sdk.Route53Client(c));
  }
  get dynamodb(): DynamoDBClient {
    return this.get("dynamodb", (c) => new dynamodbSdk.DynamoDBClient(c));
  }
}
