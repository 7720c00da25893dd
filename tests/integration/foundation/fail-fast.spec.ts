import assert from "node:assert/strict";
import net from "node:net";
import { LocalStackUnavailableError, requireLocalStack } from "@keyless/testing";

/** A loopback port nothing listens on: bound, then closed. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("foundation: LocalStack down", () => {
  it("makes the integration helpers fail fast, saying how to start it", async () => {
    const endpoint = `http://127.0.0.1:${await deadPort()}`;
    await assert.rejects(requireLocalStack(["iam"], { endpoint }), (err: unknown) => {
      assert.ok(err instanceof LocalStackUnavailableError);
      assert.match(err.message, new RegExp(`not reachable at ${endpoint}`));
      assert.match(err.message, /npm run localstack -- start/);
      // Fail fast: the refused connection itself is the reason, not a timeout or an SDK retry loop.
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    });
  });
});
