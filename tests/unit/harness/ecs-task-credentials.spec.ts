/**
 * serveTaskCredentials' argument checks, which come before any call to an emulator: run here with none.
 */
import assert from "node:assert/strict";
import { EcsTaskCredentialsError, serveTaskCredentials } from "@keyless/testing";

const TD = "arn:aws:ecs:us-east-1:000000000000:task-definition/app:1";

describe("harness: serveTaskCredentials arguments", () => {
  const saved = process.env["KEYLESS_MOTO_ENDPOINT"];
  // A port nothing listens on: a check that came after the DescribeTaskDefinition call would fail differently.
  before(() => {
    process.env["KEYLESS_MOTO_ENDPOINT"] = "http://127.0.0.1:9";
  });
  after(() => {
    if (saved === undefined) delete process.env["KEYLESS_MOTO_ENDPOINT"];
    else process.env["KEYLESS_MOTO_ENDPOINT"] = saved;
  });

  const cases: Array<[string, Parameters<typeof serveTaskCredentials>[1], RegExp]> = [
    ["a task id STS cannot take as a session name", { taskId: "task id with spaces" }, /`taskId` must be 2 to 64/],
    ["a task id over 64 characters", { taskId: "a".repeat(65) }, /`taskId` must be/],
    ["a cluster name ECS refuses", { cluster: "my/cluster" }, /`cluster` must be an ECS cluster name/],
    ["a session shorter than STS's 900 s", { durationSeconds: 600 }, /`durationSeconds` must be .* Received 600\./],
    ["a session longer than 12 hours", { durationSeconds: 43_201 }, /`durationSeconds` must be/],
  ];
  for (const [what, options, message] of cases) {
    it(`refuses ${what}, before reading ECS`, async () => {
      await assert.rejects(
        serveTaskCredentials(TD, options),
        (err: unknown) =>
          err instanceof EcsTaskCredentialsError && err.code === "InvalidArgument" && message.test(err.message),
      );
    });
  }

  it("reads ECS once the arguments hold (and says where it looked when it cannot)", async () => {
    await assert.rejects(serveTaskCredentials(TD, { taskId: "0123456789abcdef0123456789abcdef" }), (err: unknown) => {
      return !(err instanceof EcsTaskCredentialsError && err.code === "InvalidArgument");
    });
  });
});
