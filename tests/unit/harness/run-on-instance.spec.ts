/**
 * runOnInstance's environment: exactly what software on an instance has (its IMDS, the endpoint, the region, the AWS
 * CLI first on PATH, an empty HOME), nothing of the test process's, and no credential variable let in.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { awsCliBinDir, RunOnInstanceError, runOnInstance } from "@keyless/testing";
import { accessKeyId } from "../../support/policy-credentials";

const imds = { endpoint: "http://127.0.0.1:9" };

describe("harness runOnInstance", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });

  it("gives the command the instance's environment and nothing of the test process's", async () => {
    // Keys in the parent must not reach the child.
    const parentKey = accessKeyId("ASIA"); // generated now: nothing key-shaped is committed
    process.env["AWS_ACCESS_KEY_ID"] = parentKey;
    process.env["AWS_PROFILE"] = "parent";
    const run = await runOnInstance(imds, ["env"], {
      endpoint: "http://127.0.0.1:10",
      region: "eu-west-3",
      env: { REPORT_DIR: "/srv/reports" },
      awsCliBinDir: "/opt/aws-cli/bin",
    });
    assert.equal(run.exitCode, 0, run.stderr);
    // Checked first, as a boolean, so that a failure never prints the key.
    assert.ok(!run.stdout.includes(parentKey), "the parent's access key id reached the child's environment");
    const env = Object.fromEntries(
      run.stdout
        .trim()
        .split("\n")
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    const home = env["HOME"] ?? "";
    // Node itself hands NODE_V8_COVERAGE to every child it spawns, whatever env is given, while c8 records coverage.
    if (process.env["NODE_V8_COVERAGE"] !== undefined) delete env["NODE_V8_COVERAGE"];
    assert.deepEqual(env, {
      AWS_DEFAULT_REGION: "eu-west-3",
      AWS_EC2_METADATA_SERVICE_ENDPOINT: "http://127.0.0.1:9",
      AWS_EC2_METADATA_V1_DISABLED: "true",
      AWS_ENDPOINT_URL: "http://127.0.0.1:10",
      AWS_REGION: "eu-west-3",
      HOME: home,
      LANG: "C.UTF-8",
      PATH: "/opt/aws-cli/bin:/usr/local/bin:/usr/bin:/bin",
      REPORT_DIR: "/srv/reports",
    });
    assert.match(path.basename(home), /^keyless-instance-home-/);
    assert.ok(!existsSync(home), "the temporary HOME is deleted afterwards");
  });

  it("refuses credential variables in `env`, naming them", async () => {
    for (const name of [
      "AWS_ACCESS_KEY_ID",
      "AWS_PROFILE",
      "AWS_CONTAINER_CREDENTIALS_FULL_URI",
      "AWS_EC2_METADATA_DISABLED",
    ]) {
      await assert.rejects(
        runOnInstance(imds, ["true"], { env: { [name]: "x" }, awsCliBinDir: "/opt/aws-cli/bin" }),
        (err: unknown) =>
          err instanceof RunOnInstanceError && err.code === "InvalidOptions" && err.message.includes(name),
      );
    }
  });

  it("finds the pinned AWS CLI, and says how to get it when KEYLESS_AWS_CLI_BIN names none", () => {
    assert.ok(existsSync(path.join(awsCliBinDir(), "aws")));
    process.env["KEYLESS_AWS_CLI_BIN"] = "/nonexistent/bin";
    assert.throws(
      () => awsCliBinDir(),
      (err: unknown) =>
        err instanceof RunOnInstanceError && err.code === "AwsCliMissing" && /KEYLESS_AWS_CLI_BIN/.test(err.message),
    );
  });
});
