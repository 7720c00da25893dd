"use strict";
// An Analyzer gRPC server standing in front of a Node.js policy pack started through RunPlugin.
//
// The engine (3.248) starts policy packs of runtime nodejs through the language host's RunPlugin and then
// calls Handshake and ConfigureStack on the port printed first. Node policy packs (@pulumi/policy) read
// project, stack, organization, dry-run and config from PULUMI_NODEJS_* / PULUMI_CONFIG at start-up, so,
// as the Go language host does with sdk.PolicyProxy, we answer Handshake and ConfigureStack ourselves,
// start the pack with that environment, then forward every other call (and the stack configuration) to it.

const { EventEmitter } = require("node:events");

/**
 * @param {object} deps { grpc, analyzerGrpc, analyzerPb }: modules from the @pulumi/pulumi in use.
 */
function createPolicyProxy({ grpc, analyzerGrpc, analyzerPb }) {
  const service = analyzerGrpc.AnalyzerService;
  const events = new EventEmitter();
  let stackConfig; // undefined: not yet known; null: none (another call came first)
  let configured = false;
  let client;
  let clientError;

  function settleConfig(value) {
    if (configured) return;
    configured = true;
    stackConfig = value;
    events.emit("configured");
  }

  function awaitClient() {
    settleConfig(null);
    if (client) return Promise.resolve(client);
    if (clientError) return Promise.reject(clientError);
    return new Promise((resolve, reject) => {
      events.once("client", resolve);
      events.once("client-error", reject);
    });
  }

  const handlers = {};
  for (const name of Object.keys(service)) {
    handlers[name] = (call, callback) => {
      awaitClient().then(
        (c) => c[name](call.request, (err, res) => callback(err, res)),
        (err) => callback({ code: grpc.status.UNAVAILABLE, details: `policy pack not started: ${err.message}` }),
      );
    };
  }
  handlers.handshake = (_call, callback) => callback(null, new analyzerPb.AnalyzerHandshakeResponse());
  handlers.configureStack = (call, callback) => {
    settleConfig(call.request);
    callback(null, new analyzerPb.AnalyzerStackConfigureResponse());
  };

  const server = new grpc.Server();
  server.addService(service, handlers);

  return {
    /** Starts listening; resolves with the port. */
    listen() {
      return new Promise((resolve, reject) => {
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) =>
          err ? reject(err) : resolve(port),
        );
      });
    },
    /** Resolves with the AnalyzerStackConfigureRequest, or null when the engine sent none first. */
    awaitConfiguration() {
      if (configured) return Promise.resolve(stackConfig);
      return new Promise((resolve) => events.once("configured", () => resolve(stackConfig)));
    },
    /** Connects to the real pack's port and forwards the stack configuration to it. */
    async attach(port) {
      try {
        const Client = grpc.makeGenericClientConstructor(service, "Analyzer");
        const c = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        if (stackConfig) {
          await new Promise((resolve, reject) => {
            c.configureStack(stackConfig, (err) => {
              // Older packs do not implement ConfigureStack: that is fine.
              if (err && err.code !== grpc.status.UNIMPLEMENTED) {
                reject(new Error(`policy pack configuration failed: ${err.message}`));
              } else resolve();
            });
          });
        }
        client = c;
        events.emit("client", c);
      } catch (err) {
        this.fail(err);
        throw err;
      }
    },
    /** Makes pending and later calls fail (the pack did not start). */
    fail(err) {
      if (client || clientError) return;
      clientError = err;
      events.emit("client-error", err);
    },
    close() {
      client?.close();
      server.forceShutdown();
    },
  };
}

module.exports = { createPolicyProxy };
