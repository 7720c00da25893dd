/** How the local Lambda runtime fails: as the Lambda service answers Invoke, or because it cannot run the function. */

/**
 * The Lambda service refused the invocation before any code ran, with the error code, HTTP status and message Lambda
 * returns from `Invoke`. The function's own errors are not thrown: they come back in the invocation's payload.
 *
 * @example
 * ```ts
 * await assert.rejects(runtime.invoke({}), (err) =>
 *   err instanceof LambdaServiceError && err.code === "AccessDeniedException" && err.statusCode === 403);
 * ```
 */
export class LambdaServiceError extends Error {
  /** Lambda's error code, for example `AccessDeniedException`, `ResourceConflictException`. */
  readonly code: string;
  /** The HTTP status Lambda answers with. */
  readonly statusCode: number;
  /**
   * Why, in the harness's words (the trust evaluation's verdict, never a credential): Lambda's own message does not
   * say.
   */
  readonly reason?: string;
  constructor(code: string, statusCode: number, message: string, reason?: string) {
    super(message);
    this.name = code;
    this.code = code;
    this.statusCode = statusCode;
    if (reason !== undefined) this.reason = reason;
  }
}

/** The function is something the local runtime does not run (a container image, another language, layers). */
export class LambdaRuntimeUnsupportedError extends Error {
  readonly code = "Unsupported";
  constructor(message: string) {
    super(message);
    this.name = "LambdaRuntimeUnsupportedError";
  }
}
