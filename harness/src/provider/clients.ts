/** AWS SDK v3 clients pointed at the emulators: LocalStack for IAM, STS, EC2 and Lambda; moto for ECS. */
import { EC2Client } from "@aws-sdk/client-ec2";
import { ECSClient } from "@aws-sdk/client-ecs";
import { IAMClient } from "@aws-sdk/client-iam";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { STSClient } from "@aws-sdk/client-sts";
import { LOCALSTACK_CREDENTIALS, localStackEndpoint } from "../localstack";

/** The moto server that serves ECS: `KEYLESS_MOTO_ENDPOINT`, else http://127.0.0.1:4567. */
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
}

/** The default endpoints: LocalStack for everything but ECS, which the open edition lacks. */
export function defaultEndpoints(): Endpoints {
  const ls = localStackEndpoint();
  return { iam: ls, sts: ls, ec2: ls, lambda: ls, ecs: motoEndpoint() };
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
    return this.get("iam", (c) => new IAMClient(c));
  }
  get sts(): STSClient {
    return this.get("sts", (c) => new STSClient(c));
  }
  get ec2(): EC2Client {
    return this.get("ec2", (c) => new EC2Client(c));
  }
  get lambda(): LambdaClient {
    return this.get("lambda", (c) => new LambdaClient(c));
  }
  get ecs(): ECSClient {
    return this.get("ecs", (c) => new ECSClient(c));
  }
}
