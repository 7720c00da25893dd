/**
 * aws:lambda Function, as far as LocalStack allows without Docker: create, read and import work; the function ends
 * in state `Failed` (no runtime can be installed), and LocalStack then refuses UpdateFunctionConfiguration,
 * UpdateFunctionCode and DeleteFunction with InternalError. Updates fail with an error saying so; a delete that
 * LocalStack refuses is reported as a warning and the function is left behind in LocalStack (named in the warning).
 */
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { awsCode, compact, num, obj, orNotFound, retryOn, str, strings } from "./properties";
import type { HandlerContext, Props, ResourceHandler } from "./types";
import { archiveToZip } from "./zip";

/** True when LocalStack refuses an operation on a function whose runtime never started (no Docker). */
export function isLocalStackLambdaLimit(err: unknown): boolean {
  const message = (err as Error)?.message ?? "";
  return (
    awsCode(err) === "InternalError" ||
    awsCode(err) === "InternalFailure" ||
    /old one is not running|version manager/i.test(message)
  );
}

async function readFunction(ctx: HandlerContext, id: string, state: Props): Promise<Props | undefined> {
  const got = await orNotFound(ctx.clients.lambda.send(new GetFunctionCommand({ FunctionName: id })));
  const c = got?.Configuration;
  if (!c) return undefined;
  const vars = c.Environment?.Variables;
  return compact({
    ...state,
    id: c.FunctionName,
    name: c.FunctionName,
    arn: c.FunctionArn,
    invokeArn: `arn:aws:apigateway:${ctx.region}:lambda:path/2015-03-31/functions/${c.FunctionArn}/invocations`,
    qualifiedArn: `${c.FunctionArn}:${c.Version ?? "$LATEST"}`,
    version: c.Version,
    role: c.Role,
    runtime: c.Runtime,
    handler: c.Handler,
    description: c.Description ?? state["description"],
    timeout: c.Timeout,
    memorySize: c.MemorySize,
    packageType: c.PackageType,
    architectures: c.Architectures,
    sourceCodeHash: c.CodeSha256,
    sourceCodeSize: c.CodeSize,
    lastModified: c.LastModified,
    environment: vars && Object.keys(vars).length > 0 ? { variables: vars } : state["environment"],
    tags: got?.Tags ?? state["tags"],
    tagsAll: got?.Tags ?? {},
  });
}

function limitError(op: string, name: string, err: unknown): Error {
  return new Error(
    `aws:lambda/function:Function ${name}: LocalStack cannot ${op} a Lambda function without Docker ` +
      `(${awsCode(err)}: ${(err as Error).message}). Create, read and import work; update and delete need LocalStack ` +
      "with a Docker socket, or the real provider (KEYLESS_AWS_PROVIDER=real).",
  );
}

const lambdaFunction: ResourceHandler = {
  token: "aws:lambda/function:Function",
  service: "lambda",
  properties: {
    name: { replaces: true },
    role: {},
    runtime: {},
    handler: {},
    code: {},
    description: {},
    timeout: { default: 3 },
    memorySize: { default: 128 },
    packageType: { replaces: true, default: "Zip" },
    architectures: {},
    environment: { fields: ["variables"] },
    publish: { default: false },
    tags: {},
  },
  autoName: { property: "name", maxLength: 64 },
  validate(inputs) {
    return inputs["role"] === undefined
      ? [{ property: "role", reason: "aws:lambda/function:Function requires `role`." }]
      : [];
  },
  async create(ctx, inputs) {
    const name = str(inputs, "name") as string;
    // A just-created role may not be assumable yet on AWS ("The role defined for the function cannot be assumed").
    await retryOn(["InvalidParameterValueException"], () =>
      ctx.clients.lambda.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Role: str(inputs, "role"),
          Runtime: str(inputs, "runtime") as never,
          Handler: str(inputs, "handler"),
          Description: str(inputs, "description"),
          Timeout: num(inputs, "timeout"),
          MemorySize: num(inputs, "memorySize"),
          PackageType: "Zip",
          Architectures: strings(inputs, "architectures") as never,
          Publish: inputs["publish"] === true,
          Environment: obj(inputs, "environment")
            ? { Variables: obj(inputs, "environment")?.["variables"] as Record<string, string> }
            : undefined,
          Code: { ZipFile: archiveToZip(inputs["code"]) },
          Tags: inputs["tags"] as Record<string, string> | undefined,
        }),
      ),
    );
    return { id: name, outs: (await readFunction(ctx, name, inputs)) ?? {} };
  },
  read: readFunction,
  async update(ctx, id, _olds, news, changed) {
    const lambda = ctx.clients.lambda;
    try {
      if (changed.some((k) => k !== "code" && k !== "tags" && k !== "publish")) {
        await lambda.send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: id,
            Role: str(news, "role"),
            Runtime: str(news, "runtime") as never,
            Handler: str(news, "handler"),
            Description: str(news, "description") ?? "",
            Timeout: num(news, "timeout"),
            MemorySize: num(news, "memorySize"),
            Environment: { Variables: (obj(news, "environment")?.["variables"] as Record<string, string>) ?? {} },
          }),
        );
      }
      if (changed.includes("code")) {
        await lambda.send(
          new UpdateFunctionCodeCommand({
            FunctionName: id,
            ZipFile: archiveToZip(news["code"]),
            Publish: news["publish"] === true,
          }),
        );
      }
    } catch (err) {
      if (isLocalStackLambdaLimit(err)) throw limitError("update", id, err);
      throw err;
    }
    return (await readFunction(ctx, id, news)) ?? {};
  },
  async delete(ctx, id) {
    try {
      await orNotFound(ctx.clients.lambda.send(new DeleteFunctionCommand({ FunctionName: id })));
    } catch (err) {
      if (!isLocalStackLambdaLimit(err)) throw err;
      // Refusing would leave the stack impossible to destroy; say plainly what stays behind instead.
      await ctx.warn(
        `Lambda function ${id} could not be deleted: LocalStack without Docker refuses DeleteFunction ` +
          `(${awsCode(err)}: ${(err as Error).message}). It is removed from the stack but remains in LocalStack ` +
          "until LocalStack restarts (`npm run localstack -- reset`).",
      );
    }
  },
};

export const lambdaHandlers: readonly ResourceHandler[] = [lambdaFunction];
