import assert from "node:assert/strict";
import {
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  ListTagsCommand,
} from "@aws-sdk/client-lambda";
import { LambdaExecutionRole } from "@keyless/aws";
import { localStackClientConfig, localStackEndpoint, requireLocalStack } from "@keyless/testing";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { zipEntry } from "../../support/zip";
import { opsOf, withProviderStack } from "./support";

/** The handler source of each stage: what the function's deployed code must hold. */
function handlerSource(answer: string): string {
  return `exports.handler = async () => ({ statusCode: 200, body: ${JSON.stringify(answer)} });\n`;
}

describe("provider: aws:lambda Function, full lifecycle on LocalStack's Lambda control plane", function () {
  this.timeout(300_000);
  const lambda = new LambdaClient(localStackClientConfig());

  before(async () => requireLocalStack(["iam", "sts", "lambda"]));

  it("LambdaExecutionRole + Function: created Active, role, environment and code updated in place, nothing left after destroy", async () => {
    // GIVEN a function whose execution role, environment and code change per stage
    const stage = { second: false, env: { STAGE: "one" } as Record<string, string>, answer: "first" };
    const program = async () => {
      const exec = stage.second ? new LambdaExecutionRole("exec-b") : new LambdaExecutionRole("exec-a");
      const fn = new aws.lambda.Function("fn", {
        role: exec.roleArn,
        runtime: "nodejs20.x",
        handler: "index.handler",
        environment: { variables: stage.env },
        code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(handlerSource(stage.answer)) }),
        tags: { stage: stage.second ? "two" : "one" },
      });
      return {
        name: fn.name,
        arn: fn.arn,
        roleArn: exec.roleArn,
        sourceCodeHash: fn.sourceCodeHash,
        sourceCodeSize: fn.sourceCodeSize,
      };
    };
    await withProviderStack({ program }, async (t, seen) => {
      // WHEN it is deployed
      const up1 = await t.up();
      seen(await t.resources());
      const out1 = up1.outputs as Record<string, string>;
      const name = out1["name"] as string;

      // THEN LocalStack holds an Active function with that role, environment and code
      assert.match(out1["arn"] as string, /^arn:aws:lambda:us-east-1:000000000000:function:fn-[a-z0-9]{7}$/);
      const c1 = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
      assert.equal(c1.State, "Active", `${c1.State}: ${c1.StateReason}`);
      assert.equal(c1.LastUpdateStatus, "Successful");
      assert.equal(c1.Role, out1["roleArn"]);
      assert.match(c1.Role as string, /:role\/exec-a-role-[a-z0-9]{7}$/);
      assert.deepEqual(c1.Environment?.Variables, { STAGE: "one" });
      assert.equal(c1.Runtime, "nodejs20.x");
      assert.equal(c1.Handler, "index.handler");
      assert.deepEqual(await tagsOf(out1["arn"] as string), { stage: "one" });
      assert.equal(await deployedHandler(name), handlerSource("first"));
      // The state's code hash and size are what LocalStack computed from the upload.
      assert.equal(out1["sourceCodeHash"], c1.CodeSha256);
      assert.equal(out1["sourceCodeSize"], c1.CodeSize);

      // WHEN the role (a second LambdaExecutionRole), the environment, the code and the tags change
      Object.assign(stage, { second: true, env: { STAGE: "two", EXTRA: "x" }, answer: "second" });
      const up2 = await t.up();
      seen(await t.resources());
      const out2 = up2.outputs as Record<string, string>;

      // THEN the function is updated in place (same name and ARN), the old role deleted after it let go of it
      assert.deepEqual(opsOf(up2.steps, "fn"), ["update"]);
      assert.deepEqual(opsOf(up2.steps, "exec-a-role"), ["delete"]);
      assert.deepEqual(opsOf(up2.steps, "exec-b-role"), ["create"]);
      assert.equal(out2["arn"], out1["arn"]);
      assert.notEqual(out2["roleArn"], out1["roleArn"]);
      const c2 = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
      assert.equal(c2.State, "Active");
      assert.equal(c2.LastUpdateStatus, "Successful");
      assert.equal(c2.Role, out2["roleArn"]);
      assert.match(c2.Role as string, /:role\/exec-b-role-[a-z0-9]{7}$/);
      assert.deepEqual(c2.Environment?.Variables, { STAGE: "two", EXTRA: "x" });
      assert.notEqual(c2.CodeSha256, c1.CodeSha256, "the new code was uploaded");
      assert.equal(await deployedHandler(name), handlerSource("second"));
      assert.equal(out2["sourceCodeHash"], c2.CodeSha256);
      assert.deepEqual(await tagsOf(out1["arn"] as string), { stage: "two" });

      // WHEN nothing changes THEN the second up has only "same" steps
      const again = await t.up();
      const notSame = again.steps.filter((s) => s.op !== "same");
      assert.deepEqual(notSame, [], JSON.stringify(notSame));
      // AND a refresh reads back what the state holds: the preview after it changes nothing either
      assert.deepEqual((await t.refresh()).drift, [], "the refresh reads back what the state holds");
      const drift = (await t.preview()).steps.filter((s) => s.op !== "same");
      assert.deepEqual(drift, [], JSON.stringify(drift));

      // AND invoking the function is refused with a message that says why (no Docker)
      await assert.rejects(
        lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from("{}") })),
        (err: Error) => /needs Docker/.test(`${err.message} ${JSON.stringify(err)}`),
      );

      // WHEN the stack is destroyed THEN the function is gone (withProviderStack lists the rest)
      const destroyed = await t.destroy();
      assert.deepEqual(opsOf(destroyed.steps, "fn"), ["delete"]);
      await assert.rejects(
        lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name })),
        (err: Error) => err.name === "ResourceNotFoundException",
      );
    });
  });

  async function tagsOf(arn: string): Promise<Record<string, string>> {
    return (await lambda.send(new ListTagsCommand({ Resource: arn }))).Tags ?? {};
  }

  /** The deployed `index.js`, downloaded from the code location LocalStack gives (its S3, reached on our endpoint). */
  async function deployedHandler(name: string): Promise<string> {
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
    const location = new URL(got.Code?.Location as string);
    const res = await fetch(new URL(location.pathname + location.search, localStackEndpoint()));
    assert.equal(res.status, 200, `code download: HTTP ${res.status}`);
    return zipEntry(Buffer.from(await res.arrayBuffer()), "index.js");
  }
});
