/**
 * The bootstrap of the harness's local Lambda runtime: the program the child process runs, in the role of the Node.js
 * runtime's interface client. It loads `_HANDLER` from `LAMBDA_TASK_ROOT` as the Node.js runtime does, then polls the
 * Runtime API (`AWS_LAMBDA_RUNTIME_API`) for events and reports each result or error in Lambda's shape. Node.js
 * built-ins only: the function's environment is all it has.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
 * @see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html
 * @internal
 */
import { existsSync } from "node:fs";
import http from "node:http";
import { createRequire, registerHooks } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { format } from "node:util";
import {
  ERROR_TYPE_HEADER,
  endOfInvocation,
  INVOKE_HEADERS,
  type LambdaErrorPayload,
  RUNTIME_API_PREFIX,
} from "./protocol";

type Handler = (event: unknown, context: object, callback: (err?: unknown, result?: unknown) => void) => unknown;

/** The runtime's own errors, named as the Node.js runtime names them (`Runtime.*`). */
class RuntimeError extends Error {
  constructor(type: string, message: string) {
    super(message);
    this.name = `Runtime.${type}`;
  }
}

const env = process.env;
const [apiHost, apiPort] = (env["AWS_LAMBDA_RUNTIME_API"] ?? "").split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let currentRequestId: string | undefined;
let initialized = false;

function call(method: string, p: string, body?: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request(
      { host: apiHost, port: Number(apiPort), path: `${RUNTIME_API_PREFIX}${p}`, method, agent, headers },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Lambda's error shape: the error's name, message and stack lines; anything else thrown, its type and text. */
function formatError(error: unknown): LambdaErrorPayload {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? "").split("\n") };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

async function postError(p: string, error: unknown): Promise<void> {
  const payload = formatError(error);
  await call("POST", p, JSON.stringify(payload), {
    "content-type": "application/json",
    [ERROR_TYPE_HEADER]: payload.errorType,
  });
}

/** Console lines as the runtime writes them in text format: time, request id, level, message. */
function patchConsole(): void {
  const levels = { log: "INFO", info: "INFO", warn: "WARN", error: "ERROR", debug: "DEBUG", trace: "TRACE" } as const;
  for (const [method, level] of Object.entries(levels)) {
    (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      process.stdout.write(
        `${new Date().toISOString()}\t${currentRequestId ?? "undefined"}\t${level}\t${format(...args)}\n`,
      );
    };
  }
}

/**
 * Lambda resolves ES module imports from `NODE_PATH`'s `node_modules` directories too (the SDK in the runtime's,
 * layers' packages), which Node.js does only for `require`: a bare specifier not found from the importing module is
 * looked up again from each of them.
 * @see https://repost.aws/knowledge-center/lambda-import-module-error-nodejs
 */
function resolveEsmFromNodePath(): void {
  const dirs = (env["NODE_PATH"] ?? "").split(path.delimiter).filter((d) => path.basename(d) === "node_modules");
  const bare = (s: string) => !/^(\.|\/|[a-zA-Z][a-zA-Z0-9+.-]*:)/.test(s);
  registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context);
      } catch (err) {
        if ((err as { code?: string }).code !== "ERR_MODULE_NOT_FOUND" || !bare(specifier)) throw err;
        for (const dir of dirs) {
          try {
            return nextResolve(specifier, { ...context, parentURL: pathToFileURL(path.join(dir, "index.js")).href });
          } catch {
            // not in this directory either
          }
        }
        throw err;
      }
    },
  });
}

/** `_HANDLER` is `[dir/]module.export[.nested]`, looked up as the Node.js runtime does. */
async function loadHandler(taskRoot: string, full: string): Promise<Handler> {
  const base = path.basename(full);
  const moduleRoot = full.slice(0, full.length - base.length).replace(/\/$/, "");
  const m = /^([^.]*)\.(.*)$/.exec(base);
  if (!m) throw new RuntimeError("MalformedHandlerName", "Bad handler");
  const [, moduleName = "", handlerName = ""] = m;
  const file = path.resolve(taskRoot, moduleRoot, moduleName);
  let loaded: unknown;
  try {
    const found = ["", ".js", ".mjs", ".cjs"].map((ext) => `${file}${ext}`).find((f) => existsSync(f));
    if (found !== undefined) {
      loaded = await import(pathToFileURL(found).href);
    } else {
      const req = createRequire(path.join(taskRoot, "index.js"));
      loaded = req(req.resolve(moduleName, { paths: [taskRoot, path.join(taskRoot, moduleRoot)] }));
    }
  } catch (err) {
    if (err instanceof SyntaxError) throw new RuntimeError("UserCodeSyntaxError", String(err));
    if ((err as { code?: string }).code === "MODULE_NOT_FOUND")
      throw new RuntimeError("ImportModuleError", String(err));
    throw err;
  }
  const find = (from: unknown) =>
    handlerName
      .split(".")
      .reduce<unknown>(
        (o, k) => (o !== null && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined),
        from,
      );
  let handler = find(loaded);
  if (handler === undefined && loaded !== null && typeof loaded === "object" && "default" in loaded) {
    handler = find((loaded as { default: unknown }).default);
  }
  if (handler === undefined || handler === null) {
    throw new RuntimeError("HandlerNotFound", `${full} is undefined or not exported`);
  }
  if (typeof handler !== "function") throw new RuntimeError("HandlerNotFound", `${full} is not a function`);
  return handler as Handler;
}

/** Runs the handler: an async handler's promise, or a callback handler's callback, whichever settles first. */
function runHandler(handler: Handler, event: unknown, context: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err?: unknown, result?: unknown) => {
      if (settled) return;
      settled = true;
      if (err !== undefined && err !== null) reject(err);
      else resolve(result);
    };
    Object.assign(context, {
      done: callback,
      succeed: (result: unknown) => callback(null, result),
      fail: (err: unknown) => callback(err ?? new Error("handled")),
    });
    const returned = handler(event, context, callback);
    if (
      returned !== null &&
      typeof returned === "object" &&
      typeof (returned as Promise<unknown>).then === "function"
    ) {
      (returned as Promise<unknown>).then(
        (v) => callback(null, v),
        (e) => callback(e ?? new Error("rejected")),
      );
    } else if (handler.length < 3) {
      callback(null, returned);
    }
  });
}

function contextFor(headers: http.IncomingHttpHeaders, requestId: string): Record<string, unknown> {
  const deadline = Number(headers[INVOKE_HEADERS.deadlineMs]);
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: env["AWS_LAMBDA_FUNCTION_NAME"],
    functionVersion: env["AWS_LAMBDA_FUNCTION_VERSION"],
    invokedFunctionArn: headers[INVOKE_HEADERS.functionArn],
    memoryLimitInMB: env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"],
    awsRequestId: requestId,
    logGroupName: env["AWS_LAMBDA_LOG_GROUP_NAME"],
    logStreamName: env["AWS_LAMBDA_LOG_STREAM_NAME"],
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

/** Marks the end of an invocation's output on both pipes (writes to pipes are synchronous on Linux). */
function markEnd(requestId: string): void {
  process.stdout.write(endOfInvocation(requestId));
  process.stderr.write(endOfInvocation(requestId));
}

/** An error outside the handler's promise ends the environment, as in Lambda: reported first, then exit. */
async function crash(error: unknown, type?: string): Promise<never> {
  const reported = type === undefined ? error : Object.assign(new Error(String(error)), { name: type });
  try {
    if (currentRequestId !== undefined) {
      markEnd(currentRequestId);
      await postError(`/invocation/${encodeURIComponent(currentRequestId)}/error`, reported);
    } else if (!initialized) {
      await postError("/init/error", reported);
    }
  } finally {
    process.exit(129);
  }
}

async function main(): Promise<void> {
  patchConsole();
  resolveEsmFromNodePath();
  process.on("uncaughtException", (err) => void crash(err));
  process.on("unhandledRejection", (reason) => void crash(reason, "Runtime.UnhandledPromiseRejection"));
  let handler: Handler;
  try {
    handler = await loadHandler(env["LAMBDA_TASK_ROOT"] ?? process.cwd(), env["_HANDLER"] ?? "");
  } catch (err) {
    console.error(err);
    await postError("/init/error", err);
    process.exit(1);
  }
  initialized = true;
  for (;;) {
    const next = await call("GET", "/invocation/next");
    const requestId = String(next.headers[INVOKE_HEADERS.requestId] ?? "");
    const trace = next.headers[INVOKE_HEADERS.traceId];
    if (typeof trace === "string") env["_X_AMZN_TRACE_ID"] = trace;
    else delete env["_X_AMZN_TRACE_ID"];
    currentRequestId = requestId;
    const id = encodeURIComponent(requestId);
    let outcome: { path: string; body?: string; error?: unknown };
    try {
      const result = await runHandler(handler, JSON.parse(next.body), contextFor(next.headers, requestId));
      try {
        outcome = { path: `/invocation/${id}/response`, body: JSON.stringify(result === undefined ? null : result) };
      } catch {
        outcome = {
          path: `/invocation/${id}/error`,
          error: new RuntimeError("JSONStringifyError", "Unable to stringify response body"),
        };
      }
    } catch (err) {
      console.error(err);
      outcome = { path: `/invocation/${id}/error`, error: err };
    }
    markEnd(requestId);
    currentRequestId = undefined;
    if (outcome.error !== undefined) await postError(outcome.path, outcome.error);
    else await call("POST", outcome.path, outcome.body, { "content-type": "application/json" });
  }
}

void main();
