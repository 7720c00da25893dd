/**
 * The harness's local Lambda runtime on functions created in LocalStack's Lambda with the AWS SDK (no engine): the
 * environment the runtime gives a handler, warm and cold starts, Lambda's error shapes, the SDK from NODE_PATH for
 * CommonJS and ES modules, the execution role's trust (with its confused-deputy conditions) evaluated before any code
 * runs, and keys that never reach the logs.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  IAMClient,
  ListRolesCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListFunctionsCommand,
} from "@aws-sdk/client-lambda";
import {
  type LambdaErrorPayload,
  LambdaServiceError,
  localStackClientConfig,
  localStackEndpoint,
  motoEndpoint,
  requireLocalStack,
  startLambdaRuntime,
} from "@keyless/testing";
import { storedZip } from "../../support/zip";

const ACCOUNT = "000000000000";

function trustPolicy(service: string, condition?: Record<string, Record<string, string>>): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        ...(condition ? { Condition: condition } : {}),
      },
    ],
  });
}

describe("harness: the local Lambda runtime runs a deployed function's handler as Lambda does", function () {
  this.timeout(120_000);
  const suffix = randomBytes(3).toString("hex");
  const lambda = new LambdaClient(localStackClientConfig());
  const iam = new IAMClient(localStackClientConfig());
  const roles: string[] = [];
  const functions: string[] = [];

  async function role(name: string, trust: string): Promise<string> {
    const got = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
    roles.push(name);
    return got.Role?.Arn as string;
  }

  /** Creates a function from one file and waits until it is Active. */
  async function deploy(
    name: string,
    roleArn: string,
    file: { name: string; code: string },
    config: { handler?: string; timeout?: number; memorySize?: number; variables?: Record<string, string> } = {},
  ): Promise<string> {
    const got = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Role: roleArn,
        Runtime: "nodejs22.x",
        Handler: config.handler ?? "index.handler",
        Timeout: config.timeout ?? 10,
        MemorySize: config.memorySize ?? 128,
        Code: { ZipFile: storedZip(file.name, file.code) },
        ...(config.variables ? { Environment: { Variables: config.variables } } : {}),
      }),
    );
    functions.push(name);
    for (let i = 0; i < 100; i++) {
      const c = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
      if (c.State === "Active") break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return got.FunctionArn as string;
  }

  before(async () => requireLocalStack(["iam", "sts", "lambda"]));

  after(async () => {
    for (const name of functions) await lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
    for (const name of roles) await iam.send(new DeleteRoleCommand({ RoleName: name }));
    // Nothing left: found by listing, every page.
    const leftFunctions: string[] = [];
    let marker: string | undefined;
    do {
      const page = await lambda.send(new ListFunctionsCommand({ Marker: marker }));
      leftFunctions.push(...(page.Functions ?? []).map((f) => f.FunctionName as string));
      marker = page.NextMarker;
    } while (marker);
    const leftRoles: string[] = [];
    let rolesMarker: string | undefined;
    do {
      const page = await iam.send(new ListRolesCommand({ Marker: rolesMarker }));
      leftRoles.push(...(page.Roles ?? []).map((r) => r.RoleName as string));
      rolesMarker = page.IsTruncated ? page.Marker : undefined;
    } while (rolesMarker);
    assert.deepEqual(
      [...leftFunctions, ...leftRoles].filter((n) => n.includes(suffix)),
      [],
      "the test's functions and roles must be gone",
    );
  });

  it("gives the handler Lambda's variables, the role's session for the function and its own variables, and stays warm", async () => {
    // GIVEN an ES module handler that asks STS who it is with the runtime's SDK, and reports its environment
    const roleName = `keyless-rt-${suffix}`;
    const roleArn = await role(roleName, trustPolicy("lambda.amazonaws.com"));
    const name = `keyless-rt-env-${suffix}`;
    const functionArn = await deploy(
      name,
      roleArn,
      {
        name: "index.mjs",
        code: `import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
let calls = 0;
const sts = new STSClient({});
export const handler = async (event, context) => {
  calls += 1;
  console.log("visit", event.id);
  const who = await sts.send(new GetCallerIdentityCommand({}));
  const e = process.env;
  return {
    calls, event, arn: who.Arn, cwd: process.cwd(), names: Object.keys(e).sort(),
    values: Object.fromEntries(["_HANDLER", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV",
      "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
      "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "LAMBDA_TASK_ROOT", "TZ", "LANG",
      "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "GREETING"].map((k) => [k, e[k]])),
    stream: e.AWS_LAMBDA_LOG_STREAM_NAME, trace: e._X_AMZN_TRACE_ID,
    context: { functionName: context.functionName, functionVersion: context.functionVersion,
      invokedFunctionArn: context.invokedFunctionArn, memoryLimitInMB: context.memoryLimitInMB,
      awsRequestId: context.awsRequestId, remaining: context.getRemainingTimeInMillis() },
  };
};
`,
      },
      { memorySize: 256, variables: { GREETING: "hello" } },
    );
    const runtime = await startLambdaRuntime(name);
    try {
      // WHEN it is invoked twice
      const first = await runtime.invoke({ id: "one" });
      const second = await runtime.invoke({ id: "two" });

      // THEN it ran under the role's session named after the function, in a warm environment the second time
      assert.equal(first.functionError, undefined, first.logs);
      const out = first.payload as Record<string, unknown>;
      const assumed = `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${name}`;
      assert.equal(out["arn"], assumed);
      assert.equal(runtime.session?.assumedRoleArn, assumed);
      assert.match(runtime.session?.accessKeyIdSha256 ?? "", /^[0-9a-f]{64}$/);
      assert.deepEqual([first.coldStart, second.coldStart], [true, false]);
      assert.deepEqual([out["calls"], (second.payload as Record<string, unknown>)["calls"]], [1, 2]);
      assert.deepEqual(out["event"], { id: "one" });
      // The environment: Lambda's variables, the function's own, the two endpoints, and nothing of the parent's.
      assert.deepEqual(out["values"], {
        _HANDLER: "index.handler",
        AWS_REGION: "us-east-1",
        AWS_DEFAULT_REGION: "us-east-1",
        AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
        AWS_LAMBDA_FUNCTION_NAME: name,
        AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256",
        AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
        LAMBDA_TASK_ROOT: out["cwd"],
        TZ: ":UTC",
        LANG: "en_US.UTF-8",
        AWS_ENDPOINT_URL: localStackEndpoint(),
        AWS_ENDPOINT_URL_DYNAMODB: motoEndpoint(),
        GREETING: "hello",
      });
      assert.deepEqual(out["names"], [
        "AWS_ACCESS_KEY_ID",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_LAMBDA_RUNTIME_API",
        "AWS_REGION",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "GREETING",
        "LAMBDA_RUNTIME_DIR",
        "LAMBDA_TASK_ROOT",
        "LANG",
        "NODE_PATH",
        "PATH",
        "TZ",
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
      ]);
      assert.match(out["stream"] as string, /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
      assert.match(out["trace"] as string, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};/);
      const context = out["context"] as Record<string, unknown>;
      assert.deepEqual(
        { ...context, remaining: undefined },
        {
          functionName: name,
          functionVersion: "$LATEST",
          invokedFunctionArn: functionArn,
          memoryLimitInMB: "256",
          awsRequestId: first.requestId,
          remaining: undefined,
        },
      );
      assert.ok((context["remaining"] as number) > 8000 && (context["remaining"] as number) <= 10_000);
      // Its log lines, as Lambda writes them.
      assert.match(first.logs, new RegExp(`^START RequestId: ${first.requestId} Version: \\$LATEST\\n`));
      assert.match(first.logs, new RegExp(`\\t${first.requestId}\\tINFO\\tvisit one\\n`));
      assert.match(
        first.logs,
        new RegExp(`END RequestId: ${first.requestId}\\nREPORT RequestId: ${first.requestId}\\t`),
      );
      assert.match(first.logs, /\tInit Duration: /);
      assert.doesNotMatch(second.logs, /Init Duration|visit one/);
    } finally {
      await runtime.stop();
    }
  });

  it("answers a thrown error, a missing handler, a syntax error, a timeout and an exit in Lambda's error shape", async () => {
    // GIVEN a handler that throws or outlives its 1 s timeout, one that is not exported, and ES module syntax in a
    // .js file (nodejs22.x does not detect it: Lambda turns Node.js's module detection off)
    const roleArn = await role(`keyless-rt-err-${suffix}`, trustPolicy("lambda.amazonaws.com"));
    const code = `export const handler = async (event) => {
  if (event.wait) await new Promise((resolve) => setTimeout(resolve, event.wait));
  if (event.fail) throw new TypeError("bad input: " + event.fail);
  if (event.exit) process.exit(event.exit);
  return { fine: true };
};
`;
    const name = `keyless-rt-err-${suffix}`;
    await deploy(name, roleArn, { name: "index.mjs", code }, { timeout: 1 });
    const missing = `keyless-rt-missing-${suffix}`;
    await deploy(missing, roleArn, { name: "index.mjs", code }, { handler: "index.absent" });
    const syntax = `keyless-rt-syntax-${suffix}`;
    await deploy(syntax, roleArn, { name: "index.js", code });
    const runtime = await startLambdaRuntime(name);
    const noHandler = await startLambdaRuntime(missing);
    const badSyntax = await startLambdaRuntime(syntax);
    try {
      // WHEN each is invoked
      const thrown = await runtime.invoke({ fail: "x" });
      const after = await runtime.invoke({});
      const timedOut = await runtime.invoke({ wait: 3000 });
      const again = await runtime.invoke({});
      const exited = await runtime.invoke({ exit: 3 });
      const afterExit = await runtime.invoke({});
      const notFound = await noHandler.invoke({});
      const unparsed = [await badSyntax.invoke({}), await badSyntax.invoke({})];

      // THEN the errors come back as Lambda's Invoke returns them: status 200, FunctionError Unhandled, the shape
      assert.equal(thrown.statusCode, 200);
      assert.equal(thrown.functionError, "Unhandled");
      const error = thrown.payload as LambdaErrorPayload;
      assert.deepEqual([error.errorType, error.errorMessage], ["TypeError", "bad input: x"]);
      assert.match(error.trace?.[0] ?? "", /^TypeError: bad input: x/);
      // A handled error keeps the environment; a timeout ends it.
      assert.deepEqual([after.functionError, after.payload, after.coldStart], [undefined, { fine: true }, false]);
      assert.equal(timedOut.functionError, "Unhandled");
      assert.deepEqual(timedOut.payload, {
        errorType: "Sandbox.Timedout",
        errorMessage: `RequestId: ${timedOut.requestId} Error: Task timed out after 1.00 seconds`,
      });
      assert.ok(timedOut.durationMs >= 1000 && timedOut.durationMs < 2500, `took ${timedOut.durationMs} ms`);
      assert.deepEqual([again.payload, again.coldStart], [{ fine: true }, true]);
      // So does an exit.
      assert.deepEqual(
        [exited.functionError, exited.payload],
        [
          "Unhandled",
          {
            errorType: "Runtime.ExitError",
            errorMessage: `RequestId: ${exited.requestId} Error: Runtime exited with error: exit status 3`,
          },
        ],
      );
      assert.deepEqual([afterExit.payload, afterExit.coldStart], [{ fine: true }, true]);
      assert.equal(notFound.functionError, "Unhandled");
      assert.deepEqual(
        [(notFound.payload as LambdaErrorPayload).errorType, (notFound.payload as LambdaErrorPayload).errorMessage],
        ["Runtime.HandlerNotFound", "index.absent is undefined or not exported"],
      );
      // A failed init ends the environment: each invocation is a cold start that fails the same way.
      for (const got of unparsed) {
        assert.equal(got.functionError, "Unhandled");
        const e = got.payload as LambdaErrorPayload;
        assert.equal(e.errorType, "Runtime.UserCodeSyntaxError");
        assert.match(e.errorMessage, /^SyntaxError: Unexpected token 'export'/);
        assert.equal(got.coldStart, true);
      }
    } finally {
      await runtime.stop();
      await noHandler.stop();
      await badSyntax.stop();
    }
  });

  it("runs a CommonJS callback handler from a subdirectory, with the runtime's SDK through NODE_PATH", async () => {
    // GIVEN `src/app.handler`, a callback handler that requires the SDK the function's package does not hold
    const roleArn = await role(`keyless-rt-cjs-${suffix}`, trustPolicy("lambda.amazonaws.com"));
    const name = `keyless-rt-cjs-${suffix}`;
    await deploy(
      name,
      roleArn,
      {
        name: "src/app.js",
        code: `const { DynamoDBClient } = require("@aws-sdk/client-dynamodb");
exports.handler = function (event, context, callback) {
  setTimeout(() => callback(null, { client: typeof DynamoDBClient, left: context.getRemainingTimeInMillis() > 0 }), 10);
};
`,
      },
      { handler: "src/app.handler" },
    );

    // WHEN it is invoked
    const runtime = await startLambdaRuntime(name);
    try {
      const got = await runtime.invoke({});

      // THEN the callback's result is the payload
      assert.deepEqual([got.functionError, got.payload], [undefined, { client: "function", left: true }], got.logs);
    } finally {
      await runtime.stop();
    }
  });

  it("never shows the session's keys in the logs", async () => {
    // GIVEN a handler that prints its keys
    const roleArn = await role(`keyless-rt-log-${suffix}`, trustPolicy("lambda.amazonaws.com"));
    const name = `keyless-rt-log-${suffix}`;
    await deploy(name, roleArn, {
      name: "index.js",
      code: `exports.handler = async () => {
  const e = process.env;
  console.log("key=" + e.AWS_ACCESS_KEY_ID + " secret=" + e.AWS_SECRET_ACCESS_KEY + " token=" + e.AWS_SESSION_TOKEN);
  process.stderr.write("again " + e.AWS_SECRET_ACCESS_KEY + "\\n");
  return [e.AWS_ACCESS_KEY_ID.length, e.AWS_SECRET_ACCESS_KEY.length, e.AWS_SESSION_TOKEN.length];
};
`,
    });

    // WHEN it is invoked
    const runtime = await startLambdaRuntime(name);
    try {
      const got = await runtime.invoke({});

      // THEN the keys were there, and the logs show *** in their place
      assert.ok(
        (got.payload as number[]).every((n) => n > 0),
        JSON.stringify(got.payload),
      );
      assert.match(got.logs, /\tINFO\tkey=\*\*\* secret=\*\*\* token=\*\*\*\n/);
      assert.match(got.logs, /again \*\*\*\n/);
    } finally {
      await runtime.stop();
    }
  });

  it("assumes the role for Lambda only when its trust admits lambda.amazonaws.com for this function", async () => {
    // GIVEN a function whose role trusts Lambda only for the function itself (aws:SourceArn)
    const roleName = `keyless-rt-src-${suffix}`;
    const name = `keyless-rt-src-${suffix}`;
    const functionArn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;
    const onlyFor = (arn: string) =>
      trustPolicy("lambda.amazonaws.com", {
        ArnEquals: { "aws:SourceArn": arn },
        StringEquals: { "aws:SourceAccount": ACCOUNT },
      });
    const roleArn = await role(roleName, onlyFor(functionArn));
    await deploy(name, roleArn, { name: "index.mjs", code: "export const handler = async () => 'ran';\n" });

    // WHEN it is invoked, then again once the role trusts another function only, then EC2 only
    const admitted = await (async () => {
      const runtime = await startLambdaRuntime(name);
      try {
        return await runtime.invoke({});
      } finally {
        await runtime.stop();
      }
    })();
    const refusals: unknown[] = [];
    for (const trust of [onlyFor(`${functionArn}-other`), trustPolicy("ec2.amazonaws.com")]) {
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: trust }));
      const runtime = await startLambdaRuntime(name);
      try {
        await runtime.invoke({});
        refusals.push("ran");
      } catch (err) {
        refusals.push(err);
      } finally {
        await runtime.stop();
      }
    }

    // THEN it ran the first time, and then Invoke failed as Lambda answers it: before any code ran
    assert.deepEqual([admitted.functionError, admitted.payload], [undefined, "ran"]);
    for (const err of refusals) {
      assert.ok(err instanceof LambdaServiceError, String(err));
      assert.deepEqual(
        [err.code, err.statusCode, err.message],
        ["AccessDeniedException", 403, "The role defined for the function cannot be assumed by Lambda."],
      );
      assert.match(err.reason ?? "", /^lambda\.amazonaws\.com: /);
    }
  });
});
