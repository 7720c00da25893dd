/**
 * The Lambda Runtime API as the harness serves it and its bootstrap speaks it: the paths and headers of AWS's
 * documented interface, plus one marker of the harness's own.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
 */

/** The API version every path starts with. */
export const RUNTIME_API_PREFIX = "/2018-06-01/runtime";

/** The headers of `GET /invocation/next` (lowercase, as Node.js reads them). */
export const INVOKE_HEADERS = {
  requestId: "lambda-runtime-aws-request-id",
  deadlineMs: "lambda-runtime-deadline-ms",
  functionArn: "lambda-runtime-invoked-function-arn",
  traceId: "lambda-runtime-trace-id",
} as const;

/** The header of an error report naming its type (`/invocation/<id>/error`, `/init/error`). */
export const ERROR_TYPE_HEADER = "lambda-runtime-function-error-type";

/**
 * Written by the bootstrap on stdout and on stderr before it reports an invocation's outcome, so that the harness
 * knows the invocation's log lines have all arrived from both pipes: `<marker> <request id>` on a line of its own,
 * never shown in the logs.
 */
export const END_OF_INVOCATION_MARKER = "\u0000keyless-lambda-invocation-end";

/** The marker line for one invocation, as {@link END_OF_INVOCATION_MARKER} says. */
export function endOfInvocation(requestId: string): string {
  return `${END_OF_INVOCATION_MARKER} ${requestId}\n`;
}

/** Lambda's error shape, in an invocation's payload and in the runtime's error reports. */
export interface LambdaErrorPayload {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: readonly string[];
}
