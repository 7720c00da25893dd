/**
 * The gRPC side of the LocalStack-backed `aws` provider.
 *
 * @pulumi/pulumi's own `provider.main` (3.248) answers Configure without passing the configuration on and leaves
 * CheckConfig/DiffConfig unimplemented, so settings on an explicit `new aws.Provider(...)` would be dropped silently.
 * This server implements the ResourceProviderService itself on the same generated stubs, so the provider sees its
 * configuration (and refuses what it cannot honour), Read sees the old inputs (import vs refresh), and Delete/Update
 * errors carry the AWS error code.
 */
import * as grpc from "@grpc/grpc-js";
import { exitWithEngine } from "./engine-lifetime";
import { type PausePoint, pauseCreate, pausesFromEnv } from "./pause";
import { type AwsProvider, type ProviderLogger, typeOf } from "./provider";
import { awsPackageSchemaJson } from "./schema";

// The generated stubs ship as CommonJS without usable typings for our purposes.
// biome-ignore lint/suspicious/noExplicitAny: generated protobuf modules
type Any = any;
const provrpc: Any = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto: Any = require("@pulumi/pulumi/proto/provider_pb");
const plugproto: Any = require("@pulumi/pulumi/proto/plugin_pb");
const enginerpc: Any = require("@pulumi/pulumi/proto/engine_grpc_pb");
const engineproto: Any = require("@pulumi/pulumi/proto/engine_pb");
const emptyproto: Any = require("google-protobuf/google/protobuf/empty_pb");
const structproto: Any = require("google-protobuf/google/protobuf/struct_pb");

type Callback = (err: grpc.ServiceError | null | Partial<grpc.StatusObject>, value?: unknown) => void;
type Call = { request: Any };

function toJs(s: Any): Record<string, unknown> {
  return s ? (s.toJavaScript() as Record<string, unknown>) : {};
}

function toStruct(v: unknown): Any {
  return structproto.Struct.fromJavaScript(v ?? {});
}

function fail(cb: Callback, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  cb({ code: grpc.status.UNKNOWN, details: message, message } as Partial<grpc.StatusObject>);
}

function handle<T>(cb: Callback, work: () => Promise<T>): void {
  work().then(
    (v) => cb(null, v),
    (e) => fail(cb, e),
  );
}

/** Logs through the engine's Log RPC, so warnings show in `pulumi up` output and in engine events. */
class EngineLogger implements ProviderLogger {
  private client: Any | undefined;
  constructor(address?: string) {
    this.attach(address);
  }
  attach(address?: string): void {
    if (address) this.client = new enginerpc.EngineClient(address, grpc.credentials.createInsecure());
  }
  warn(message: string, urn?: string): Promise<void> {
    if (!this.client) {
      process.stderr.write(`warning: ${message}\n`);
      return Promise.resolve();
    }
    const req = new engineproto.LogRequest();
    req.setSeverity(engineproto.LogSeverity.WARNING);
    req.setMessage(message);
    if (urn) req.setUrn(urn);
    return new Promise((resolve) => this.client.log(req, () => resolve()));
  }
}

function serviceFor(
  provider: AwsProvider,
  logger: EngineLogger,
  pause: (point: PausePoint, urn: string) => Promise<void>,
): Record<string, unknown> {
  const unimplemented = (name: string) => (_call: Call, cb: Callback) =>
    cb({ code: grpc.status.UNIMPLEMENTED, details: `${name} is not implemented by the keyless LocalStack provider` });
  return {
    handshake: unimplemented("Handshake"),
    parameterize: unimplemented("Parameterize"),
    call: unimplemented("Call"),
    construct: unimplemented("Construct"),
    list: unimplemented("List"),
    getMapping: unimplemented("GetMapping"),
    getMappings: unimplemented("GetMappings"),
    getPluginInfo: (_call: Call, cb: Callback) => {
      const info = new plugproto.PluginInfo();
      info.setVersion(provider.version);
      cb(null, info);
    },
    getSchema: (_call: Call, cb: Callback) =>
      handle(cb, async () => {
        // The aws package schema for the types and functions this provider serves (schema.ts): what
        // `pulumi package add` and Pulumi YAML bind component and program types against.
        const resp = new provproto.GetSchemaResponse();
        resp.setSchema(awsPackageSchemaJson());
        return resp;
      }),
    attach: (call: Call, cb: Callback) => {
      logger.attach(call.request.getAddress());
      cb(null, new emptyproto.Empty());
    },
    cancel: (_call: Call, cb: Callback) => cb(null, new emptyproto.Empty()),
    checkConfig: (call: Call, cb: Callback) =>
      handle(cb, async () => {
        const news = toJs(call.request.getNews());
        const failures = provider.checkConfig(news);
        const resp = new provproto.CheckResponse();
        resp.setInputs(toStruct(news));
        resp.setFailuresList(failures.map(checkFailure));
        return resp;
      }),
    diffConfig: (call: Call, cb: Callback) =>
      handle(cb, async () => {
        const changed = provider.diffConfig(toJs(call.request.getOlds()), toJs(call.request.getNews()));
        const resp = new provproto.DiffResponse();
        resp.setChanges(
          changed.length > 0
            ? provproto.DiffResponse.DiffChanges.DIFF_SOME
            : provproto.DiffResponse.DiffChanges.DIFF_NONE,
        );
        resp.setDiffsList(changed);
        return resp;
      }),
    configure: (call: Call, cb: Callback) =>
      handle(cb, async () => {
        const req = call.request;
        const args = req.getArgs() ? toJs(req.getArgs()) : undefined;
        const variables: Record<string, string> = {};
        for (const [k, v] of req.getVariablesMap().entries()) variables[k as string] = v as string;
        provider.configure(args, variables);
        const resp = new provproto.ConfigureResponse();
        // Secrets and resource references are unwrapped by the engine before they reach us.
        resp.setAcceptsecrets(false);
        resp.setAcceptresources(false);
        resp.setSupportspreview(false);
        return resp;
      }),
    invoke: (call: Call, cb: Callback) =>
      handle(cb, async () => {
        const out = await provider.invoke(call.request.getTok(), toJs(call.request.getArgs()));
        const resp = new provproto.InvokeResponse();
        resp.setReturn(toStruct(out));
        return resp;
      }),
    check: (call: Call, cb: Callback) =>
      handle(cb, async () => {
        const req = call.request;
        const result = provider.check(req.getUrn(), toJs(req.getOlds()), toJs(req.getNews()));
        const resp = new provproto.CheckResponse();
        resp.setInputs(toStruct(result.inputs));
        resp.setFailuresList(result.failures.map(checkFailure));
        return resp;
      }),
    diff: (call: Call, cb: Callback) =>
      handle(cb, async () => {
        const req = call.request;
        const d = provider.diff(
          req.getUrn(),
          toJs(req.getOlds()),
          toJs(req.getNews()),
          req.getOldInputs() ? toJs(req.getOldInputs()) : undefined,
          req.getIgnorechangesList(),
        );
        const resp = new provproto.DiffResponse();
        const { DIFF_SOME, DIFF_NONE } = provproto.DiffResponse.DiffChanges;
        resp.setChanges(d.changes.length > 0 ? DIFF_SOME : DIFF_NONE);
        resp.setReplacesList(d.replaces);
        resp.setDiffsList(d.changes);
        resp.setDeletebeforereplace(d.deleteBeforeReplace);
        const kinds = provproto.PropertyDiff.Kind;
        const detailed = resp.getDetaileddiffMap();
        for (const key of d.changes) {
          const pd = new provproto.PropertyDiff();
          const replace = d.replaces.includes(key);
          pd.setKind(replace ? kinds.UPDATE_REPLACE : kinds.UPDATE);
          pd.setInputdiff(true);
          detailed.set(key, pd);
        }
        resp.setHasdetaileddiff(true);
        return resp;
      }),
    create: (call: Call, cb: Callback) =>
      handle(cb, async () => {
        const req = call.request;
        await pause("before", req.getUrn());
        const { id, outs } = await provider.create(req.getUrn(), toJs(req.getProperties()), req.getPreview());
        await pause("after", req.getUrn());
        const resp = new provproto.CreateResponse();
        resp.setId(id);
        resp.setProperties(toStruct(outs));
        return resp;
      }),
    read: (call: Call, cb: Callback) =>
      handle(cb, async () => {
        const req = call.request;
        const result = await provider.read(req.getId(), req.getUrn(), toJs(req.getProperties()), toJs(req.getInputs()));
        const resp = new provproto.ReadResponse();
        resp.setId(result?.id ?? "");
        if (result) {
          resp.setProperties(toStruct(result.outs));
          resp.setInputs(toStruct(result.inputs));
        }
        return resp;
      }),
    update: (call: Call, cb: Callback) =>
      handle(cb, async () => {
        const req = call.request;
        const outs = await provider.update(
          req.getId(),
          req.getUrn(),
          toJs(req.getOlds()),
          toJs(req.getNews()),
          req.getPreview(),
        );
        const resp = new provproto.UpdateResponse();
        resp.setProperties(toStruct(outs));
        return resp;
      }),
    delete: (call: Call, cb: Callback) =>
      handle(cb, async () => {
        const req = call.request;
        await provider.delete(req.getId(), req.getUrn(), toJs(req.getProperties()));
        return new emptyproto.Empty();
      }),
  };
}

function checkFailure(f: { property: string; reason: string }): Any {
  const failure = new provproto.CheckFailure();
  failure.setProperty(f.property);
  failure.setReason(f.reason);
  return failure;
}

/**
 * Serves `provider` on a loopback port and prints the port, as the engine expects of a plugin.
 * `args` are the plugin's command line: the engine address first (flags are skipped).
 */
export async function serve(
  makeProvider: (logger: ProviderLogger) => AwsProvider,
  args: readonly string[],
): Promise<grpc.Server> {
  const engineAddress = args.find((a) => !a.startsWith("-") && /:\d+$/.test(a));
  // Read before serving: a malformed test-only pause fails the start-up, naming its variable.
  const pauses = pausesFromEnv();
  const pause = (point: PausePoint, urn: string) => pauseCreate(pauses, point, typeOf(urn));
  const logger = new EngineLogger(engineAddress);
  const provider = makeProvider(logger);
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  const service = serviceFor(provider, logger, pause);
  server.addService(provrpc.ResourceProviderService, service as grpc.UntypedServiceImplementation);
  // No engine address: started by hand (attach mode), with nothing to outlive.
  if (engineAddress) {
    exitWithEngine(engineAddress, {
      onGone: (reason) => {
        // Exit now rather than drain: a call still in flight would change AWS for an engine that cannot record it.
        process.stderr.write(`keyless LocalStack aws provider: ${reason}; exiting\n`);
        process.exit(1);
      },
    });
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  process.stdout.write(`${port}\n`);
  return server;
}
