export { LambdaRuntimeUnsupportedError, LambdaServiceError } from "./errors";
export type { LambdaErrorPayload } from "./protocol";
export {
  invokeLambdaLocally,
  type LambdaInvocation,
  type LambdaRuntime,
  type LambdaRuntimeOptions,
  type LambdaSession,
  startLambdaRuntime,
} from "./runtime";
