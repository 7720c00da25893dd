import net from "node:net";

/**
 * A loopback port free right now, for a child process that takes its port as an argument (the metadata mock,
 * pebble); servers of the harness's own listen on port 0 instead.
 * @internal
 */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
