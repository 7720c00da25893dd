/** Where LocalStack is, and a fast, explicit failure when it is not there. */

/** The credentials LocalStack accepts; they open nothing on AWS (account 000000000000). */
export const LOCALSTACK_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" } as const;

/** The LocalStack edge endpoint: `KEYLESS_LOCALSTACK_ENDPOINT`, else http://127.0.0.1:4566. */
export function localStackEndpoint(): string {
  return process.env["KEYLESS_LOCALSTACK_ENDPOINT"] ?? "http://127.0.0.1:4566";
}

/** The region tests use: `AWS_REGION`, else us-east-1. */
export function localStackRegion(): string {
  return process.env["AWS_REGION"] ?? "us-east-1";
}

/**
 * Client configuration for any AWS SDK for JavaScript v3 client, pointed at LocalStack.
 *
 * @example
 * const iam = new IAMClient(localStackClientConfig());
 */
export function localStackClientConfig(endpoint = localStackEndpoint()) {
  return { endpoint, region: localStackRegion(), credentials: LOCALSTACK_CREDENTIALS };
}

/** Thrown when LocalStack does not answer; the message says how to start it. */
export class LocalStackUnavailableError extends Error {
  readonly code = "LocalStackUnavailable";
  constructor(endpoint: string, reason: string) {
    super(
      `LocalStack is not reachable at ${endpoint} (${reason}). ` +
        "Start it with `npm run localstack -- start` from the keyless repository (`npm test` starts it for you), " +
        "or set KEYLESS_LOCALSTACK_ENDPOINT to where it runs.",
    );
    this.name = "LocalStackUnavailableError";
  }
}

/**
 * Checks that LocalStack answers its health endpoint and runs the services named, within
 * `timeoutMs`. Call it first in every integration test: it fails in milliseconds, not after
 * an SDK's retries.
 */
export async function requireLocalStack(
  services: readonly string[] = ["iam", "sts"],
  { endpoint = localStackEndpoint(), timeoutMs = 2000 } = {},
): Promise<void> {
  let body: { services?: Record<string, string> };
  try {
    const res = await fetch(`${endpoint}/_localstack/health`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`health answered HTTP ${res.status}`);
    body = (await res.json()) as typeof body;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new LocalStackUnavailableError(endpoint, cause ?? (err as Error).message);
  }
  const missing = services.filter((s) => !["available", "running"].includes(body.services?.[s] ?? ""));
  if (missing.length > 0) {
    throw new LocalStackUnavailableError(endpoint, `services not available: ${missing.join(", ")}`);
  }
}
