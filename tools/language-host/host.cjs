"use strict";
// pulumi-language-nodejs, written in Node.js: the LanguageRuntime gRPC service the Pulumi engine (3.248)
// drives for projects, policy packs and plugins whose runtime is `nodejs`.
//
//   node host.cjs [--tracing <url>] [-v=N] [--logtostderr] [--runtime nodejs] [<engine-address>]
//
// Like every plugin it prints the port it listens on as the first line of stdout. It exits when the engine
// goes away (health check on the engine address, stdin closed, SIGINT/SIGTERM). Programs run under
// @pulumi/pulumi/cmd/run (TypeScript through the SDK's own ts-node support), plugins under cmd/run-plugin,
// policy packs under cmd/run-policy-pack behind a small Analyzer proxy (see policy-proxy.cjs). Methods that
// need the Go code generators (GenerateProject, GenerateProgram, GeneratePackage, Link) answer UNIMPLEMENTED.

const { spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const { createRequire } = require("node:module");
const path = require("node:path");
const { watchEngine } = require("./engine-watch.cjs");
const { createPolicyProxy } = require("./policy-proxy.cjs");
const { ModuleNotFound, resolveFrom, nodePathWithRepo } = require("./resolve.cjs");

// The exit code @pulumi/pulumi/cmd/run uses after it has shown the user an actionable message.
const EXIT_AFTER_USER_ACTIONABLE_MESSAGE = 32;

// ---------------------------------------------------------------------------------------------------------
// Command line

function parseArgs(argv) {
  const opts = { tracing: "", runtime: "nodejs", engineAddress: "" };
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(a);
    if (!m) {
      positional.push(a);
      continue;
    }
    const [, key, inline] = m;
    const takesValue = key === "tracing" || key === "runtime" || key === "root";
    const value = inline ?? (takesValue ? argv[++i] : "true");
    if (key === "tracing") opts.tracing = value;
    else if (key === "runtime") opts.runtime = value;
    else if (key === "version") opts.version = true;
    // -v=N, --logtostderr, --logflow and friends are accepted and ignored.
  }
  // The engine passes its address as the last positional argument.
  if (positional.length > 0) opts.engineAddress = positional[positional.length - 1];
  return opts;
}

// ---------------------------------------------------------------------------------------------------------
// The gRPC stubs: from the @pulumi/pulumi the working directory resolves, else the repository's.

function loadStubs() {
  const candidates = [];
  try {
    candidates.push(resolveFrom("@pulumi/pulumi/package.json", process.cwd()));
  } catch (err) {
    if (!(err instanceof ModuleNotFound)) throw err;
  }
  try {
    const repo = resolveFrom("@pulumi/pulumi/package.json", undefined);
    candidates.push(repo);
  } catch (err) {
    if (!(err instanceof ModuleNotFound)) throw err;
  }
  const errors = [];
  for (const c of candidates) {
    try {
      const sdkDir = path.dirname(c.path);
      const req = createRequire(path.join(sdkDir, "package.json"));
      const languageGrpc = req("./proto/language_grpc_pb.js");
      if (!languageGrpc.LanguageRuntimeService?.getRequiredPackages) {
        errors.push(`${sdkDir}: LanguageRuntime has no GetRequiredPackages (SDK too old)`);
        continue;
      }
      const languagePb = req("./proto/language_pb.js");
      // RunPlugin's `kind` tells a policy pack from a plugin; older SDKs' stubs drop it, and the engine sends it.
      if (typeof languagePb.RunPluginRequest?.prototype.getKind !== "function") {
        errors.push(`${sdkDir}: RunPluginRequest has no kind (SDK too old)`);
        continue;
      }
      // @grpc/grpc-js and google-protobuf exactly as the generated stubs resolve them.
      const protoReq = createRequire(path.join(sdkDir, "proto", "language_grpc_pb.js"));
      return {
        sdkDir,
        sdkVersion: readJson(c.path).version,
        grpc: protoReq("@grpc/grpc-js"),
        languageGrpc,
        languagePb,
        pluginPb: req("./proto/plugin_pb.js"),
        analyzerGrpc: req("./proto/analyzer_grpc_pb.js"),
        analyzerPb: req("./proto/analyzer_pb.js"),
        emptyPb: protoReq("google-protobuf/google/protobuf/empty_pb.js"),
      };
    } catch (err) {
      errors.push(`${c.path}: ${err.message}`);
    }
  }
  console.error(
    "pulumi-language-nodejs: cannot load @pulumi/pulumi's gRPC definitions from the working directory " +
      `(${process.cwd()}) nor from the repository: run \`npm install\`.${errors.length ? `\n  ${errors.join("\n  ")}` : ""}`,
  );
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

/** Runtime options (Pulumi.yaml `runtime.options`) as the Go host parses them. */
function parseOptions(info) {
  const raw = info?.getOptions()?.toJavaScript() ?? {};
  const opts = { typescript: true, tsconfigpath: "", nodeargs: "", packagemanager: "auto" };
  if ("typescript" in raw) {
    if (typeof raw.typescript !== "boolean") throw new Error("typescript option must be a boolean");
    opts.typescript = raw.typescript;
  }
  if ("tsconfig" in raw) {
    if (typeof raw.tsconfig !== "string") throw new Error("tsconfigpath option must be a string");
    opts.tsconfigpath = raw.tsconfig;
  }
  if ("nodeargs" in raw) {
    if (typeof raw.nodeargs !== "string") throw new Error("nodeargs option must be a string");
    opts.nodeargs = raw.nodeargs;
  }
  if ("packagemanager" in raw) {
    const pm = raw.packagemanager;
    if (!["auto", "npm", "yarn", "pnpm", "bun"].includes(pm)) {
      throw new Error(`packagemanager option must be one of auto, npm, yarn, pnpm or bun, got ${JSON.stringify(pm)}`);
    }
    opts.packagemanager = pm;
  }
  return opts;
}

/** Shell-like word splitting (quotes and backslashes), as github.com/google/shlex does. */
function shellSplit(s) {
  const words = [];
  let cur = "";
  let has = false;
  let quote = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quote) {
      if (ch === quote) quote = "";
      else if (ch === "\\" && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      has = true;
    } else if (ch === "\\" && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else if (/\s/.test(ch)) {
      if (has) words.push(cur);
      cur = "";
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (quote) throw new Error(`nodeargs: unterminated quote in ${JSON.stringify(s)}`);
  if (has) words.push(cur);
  return words;
}

/** `<ns>:<name>` → `<ns>:config:<name>`, the shape @pulumi/pulumi's config reader accepts from every version. */
function constructConfig(configMap) {
  const out = {};
  for (const [k, v] of configMap.entries()) {
    const colons = k.split(":").length - 1;
    let ns;
    let name;
    if (colons === 1) [ns, name] = k.split(":");
    else if (colons === 2 && k.split(":")[1] === "config") [ns, , name] = k.split(":");
    else
      throw new Error(
        `could not parse ${k} as a configuration key (configuration keys should be of the form \`<namespace>:<name>\`)`,
      );
    out[`${ns}:config:${name}`] = v;
  }
  return JSON.stringify(out);
}

function envArrayToObject(list) {
  const env = {};
  for (const kv of list) {
    const i = kv.indexOf("=");
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}

/** Run and RunPlugin need the engine address, which only Handshake (or the command line) gives. */
function requireHandshake(state) {
  if (!state.engineAddress) {
    throw grpcError(
      grpc.status.FAILED_PRECONDITION,
      "when debugging or running explicitly, must call Handshake before Run",
    );
  }
}

function grpcError(code, message) {
  const err = new Error(message);
  err.code = code;
  err.details = message;
  return err;
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** Finds the nearest directory at or above `dir` containing `name`. */
function searchUp(dir, name) {
  let d = path.resolve(dir);
  for (;;) {
    if (fs.existsSync(path.join(d, name))) return d;
    const parent = path.dirname(d);
    if (parent === d) return undefined;
    d = parent;
  }
}

function globToRegExp(glob) {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === "*") {
      if (glob[i + 1] === "*") {
        re += ".*";
        i++;
      } else re += "[^/]*";
    } else re += ch.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}/?$`);
}

/** The npm/yarn workspace root whose `workspaces` include `dir`, if any. */
function findWorkspaceRoot(dir) {
  const abs = path.resolve(dir);
  let d = path.dirname(abs);
  for (;;) {
    const pj = path.join(d, "package.json");
    if (fs.existsSync(pj)) {
      try {
        const data = readJson(pj);
        const ws = Array.isArray(data.workspaces) ? data.workspaces : data.workspaces?.packages;
        if (Array.isArray(ws)) {
          const rel = path.relative(d, abs).split(path.sep).join("/");
          if (ws.some((w) => globToRegExp(w.replace(/^\.\//, "")).test(rel))) return d;
        }
      } catch {
        // not a usable package.json
      }
    }
    const parent = path.dirname(d);
    if (parent === d) return undefined;
    d = parent;
  }
}

/**
 * The version of package manager `pm` installed at `exe`. npm, pnpm and yarn are Node packages: their package.json sits
 * a few directories above the real file of the executable, and reading it spares the engine a second Node start on every
 * `pulumi preview`/`up` (the engine asks About each time). Anything else answers `--version`.
 */
function packageManagerVersion(exe, pm) {
  try {
    let dir = path.dirname(fs.realpathSync(exe));
    for (let i = 0; i < 4; i++, dir = path.dirname(dir)) {
      const manifest = path.join(dir, "package.json");
      if (fs.existsSync(manifest)) {
        const { name, version } = readJson(manifest);
        if (name === pm && typeof version === "string") return version;
      }
    }
  } catch {
    // not a Node package: ask it
  }
  const out = spawnSync(exe, ["--version"], { encoding: "utf8", timeout: 10000 });
  return out.status === 0 ? out.stdout.trim() : undefined;
}

function whichSync(exe) {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, exe);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // next
    }
  }
  return undefined;
}

/** The package manager for `dir`: the option, else the lockfile found walking up, else npm. */
function resolvePackageManager(option, dir) {
  if (option && option !== "auto") return option;
  let d = path.resolve(dir);
  for (;;) {
    if (fs.existsSync(path.join(d, "bun.lock")) || fs.existsSync(path.join(d, "bun.lockb"))) return "bun";
    if (fs.existsSync(path.join(d, "pnpm-lock.yaml"))) return "pnpm";
    if (fs.existsSync(path.join(d, "yarn.lock"))) return "yarn";
    if (fs.existsSync(path.join(d, "package-lock.json"))) return "npm";
    const parent = path.dirname(d);
    if (parent === d) return "npm";
    d = parent;
  }
}

/** The installed package.json of `name` as seen from `dir` (node_modules lookup walking up). */
function installedPackageJson(name, dir) {
  let d = path.resolve(dir);
  for (;;) {
    const pj = path.join(d, "node_modules", name, "package.json");
    if (fs.existsSync(pj)) return pj;
    const parent = path.dirname(d);
    if (parent === d) return undefined;
    d = parent;
  }
}

function hasTypeScriptSources(dir) {
  try {
    return fs.readdirSync(dir).some((f) => /\.[cm]?ts$/.test(f) && !f.endsWith(".d.ts"));
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// GetRequiredPackages: every node_modules package whose package.json says `"pulumi": {"resource": true}`.

function pluginName(info) {
  if (info.pulumi?.name) return info.pulumi.name;
  if (!info.name) throw new Error('missing expected "name" property');
  if (info.name.startsWith("@pulumi/")) return info.name.slice("@pulumi/".length);
  throw new Error(
    `Missing property "name" for the third-party plugin '${info.name}' inside package.json under the "pulumi" section.`,
  );
}

function pluginVersion(info) {
  const v = info.pulumi?.version || info.version;
  if (!v) throw new Error('Missing expected "version" property');
  return v.startsWith("v") ? v : `v${v}`;
}

function findPulumiPackages(root) {
  const found = [];
  const errors = [];
  const sdkVersions = new Map();
  const visited = new Set();
  const walk = (dir, inNodeModules) => {
    let real;
    try {
      real = fs.realpathSync(dir);
    } catch (err) {
      errors.push(err.message);
      return;
    }
    if (visited.has(real)) return;
    visited.add(real);
    let entries;
    try {
      entries = fs.readdirSync(real, { withFileTypes: true });
    } catch (err) {
      errors.push(`reading plugin dir ${real}: ${err.message}`);
      return;
    }
    for (const e of entries) {
      const curr = path.join(real, e.name);
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) {
        try {
          isDir = fs.statSync(curr).isDirectory();
        } catch (err) {
          errors.push(`resolving link in plugin dir ${curr}: ${err.message}`);
          continue;
        }
      }
      if (isDir) {
        // A nested policy pack's plugins are not the program's.
        if (fs.existsSync(path.join(curr, "PulumiPolicy.yaml")) || fs.existsSync(path.join(curr, "PulumiPolicy.yml"))) {
          continue;
        }
        walk(curr, inNodeModules || path.basename(real) === "node_modules");
      } else if (inNodeModules && e.name === "package.json") {
        let info;
        try {
          info = readJson(curr);
        } catch (err) {
          errors.push(`unmarshaling package.json ${curr}: ${err.message}`);
          continue;
        }
        if (info.name === "@pulumi/pulumi" && info.version) sdkVersions.set(curr, info.version);
        if (info.pulumi?.resource) {
          try {
            found.push({
              name: pluginName(info),
              version: pluginVersion(info),
              server: info.pulumi.server ?? "",
              parameterization: info.pulumi.parameterization,
            });
          } catch (err) {
            errors.push(`${curr}: ${err.message}`);
          }
        }
      }
    }
  };
  walk(root, false);
  const majors = new Map();
  for (const [p, v] of sdkVersions) majors.set(v.split(".")[0], `${v} referenced at ${p}`);
  if (majors.size > 1) {
    process.stderr.write(
      `Found incompatible versions of @pulumi/pulumi. Differing major versions are not supported.\n  ${[...majors.values()].join("\n  ")}\n`,
    );
  }
  return { found, errors };
}

// ---------------------------------------------------------------------------------------------------------
// The service

function createHost(stubs, args) {
  const { grpc, languagePb, pluginPb, emptyPb } = stubs;
  const state = { engineAddress: args.engineAddress, tracing: args.tracing };
  const children = new Set();

  const unimplemented = (name) => (call, callback) => {
    const err = grpcError(
      grpc.status.UNIMPLEMENTED,
      `method ${name} not implemented by keyless pulumi-language-nodejs`,
    );
    if (callback) callback(err);
    else call.emit("error", err); // streaming: grpc-js sends the status after 'error' (destroy() would not)
  };

  /** Wraps an async unary handler: thrown errors become gRPC errors (UNKNOWN unless they carry a code). */
  const unary = (fn) => (call, callback) => {
    Promise.resolve()
      .then(() => fn(call))
      .then(
        (res) => callback(null, res),
        (err) => callback(err?.code !== undefined ? err : grpcError(grpc.status.UNKNOWN, err?.message ?? String(err))),
      );
  };

  function locate(request, dir, isPlugin) {
    try {
      return resolveFrom(request, dir);
    } catch (err) {
      if (err instanceof ModuleNotFound) {
        const hint = isPlugin ? `npm install in ${dir}` : "pulumi install";
        throw new Error(`It looks like the Pulumi SDK has not been installed. Have you run ${hint}? (${err.message})`);
      }
      throw err;
    }
  }

  function track(child) {
    children.add(child);
    child.once("exit", () => children.delete(child));
    return child;
  }

  function interrupt(child) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGINT");
    const t = setTimeout(() => child.kill("SIGKILL"), 5000);
    t.unref();
    child.once("exit", () => clearTimeout(t));
  }

  // --- Handshake ----------------------------------------------------------------------------------------
  const handshake = unary((call) => {
    state.engineAddress = call.request.getEngineAddress();
    startHealthCheck(grpc, state.engineAddress);
    return new languagePb.LanguageHandshakeResponse();
  });

  // --- GetRequiredPackages / GetRequiredPlugins ---------------------------------------------------------
  function requiredPackages(dir) {
    const { found, errors } = findPulumiPackages(dir);
    if (errors.length && process.env.PULUMI_DEBUG)
      process.stderr.write(`errors while discovering plugins: ${errors.join("; ")}\n`);
    return found;
  }

  const getRequiredPackages = unary((call) => {
    const info = call.request.getInfo();
    const res = new languagePb.GetRequiredPackagesResponse();
    for (const p of requiredPackages(info.getProgramDirectory())) {
      const dep = new pluginPb.PackageDependency();
      dep.setName(p.name);
      dep.setKind("resource");
      dep.setVersion(p.version);
      dep.setServer(p.server);
      if (p.parameterization) {
        const param = new pluginPb.PackageParameterization();
        param.setName(p.parameterization.name ?? "");
        param.setVersion(p.parameterization.version ?? "");
        param.setValue(Buffer.from(p.parameterization.value ?? "", "base64"));
        dep.setParameterization(param);
      }
      res.addPackages(dep);
    }
    return res;
  });

  // Deprecated; the engine only calls it when GetRequiredPackages is unimplemented. Same answer, without
  // parameterization (which the old message cannot carry).
  const getRequiredPlugins = unary((call) => {
    const info = call.request.getInfo();
    const dir = info ? info.getProgramDirectory() : call.request.getProgram();
    const res = new languagePb.GetRequiredPluginsResponse();
    for (const p of requiredPackages(dir)) {
      if (p.parameterization) continue;
      const dep = new pluginPb.PluginDependency();
      dep.setName(p.name);
      dep.setKind("resource");
      dep.setVersion(p.version);
      dep.setServer(p.server);
      res.addPlugins(dep);
    }
    return res;
  });

  // --- Run ----------------------------------------------------------------------------------------------
  const run = (call, callback) => {
    const req = call.request;
    const respond = (error, bail = false) => {
      const res = new languagePb.RunResponse();
      res.setError(error);
      res.setBail(bail);
      callback(null, res);
    };
    let child;
    try {
      requireHandshake(state);
      const info = req.getInfo();
      const programDir = info.getProgramDirectory();
      let opts;
      try {
        opts = parseOptions(info);
      } catch (err) {
        return respond(err.message);
      }
      let located;
      try {
        located = locate(process.env.PULUMI_LANGUAGE_NODEJS_RUN_PATH || "@pulumi/pulumi/cmd/run", programDir, false);
      } catch (err) {
        return respond(err.message);
      }
      const argv = [located.path];
      const add = (k, v) => {
        if (v !== undefined && v !== null && v !== "") argv.push(`--${k}`, String(v));
      };
      add("monitor", req.getMonitorAddress());
      add("engine", state.engineAddress);
      add("organization", req.getOrganization());
      add("project", req.getProject());
      add("root-directory", info.getRootDirectory());
      add("stack", req.getStack());
      add("pwd", programDir);
      if (req.getDryrun()) argv.push("--dry-run");
      add("parallel", req.getParallel());
      add("tracing", state.tracing);
      argv.push(info.getEntryPoint() || ".");
      argv.push(...req.getArgsList());

      const env = { ...process.env };
      env.PULUMI_CONFIG = constructConfig(req.getConfigMap());
      env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(req.getConfigsecretkeysList());
      if (opts.typescript) env.PULUMI_NODEJS_TYPESCRIPT = "true";
      if (opts.tsconfigpath) env.PULUMI_NODEJS_TSCONFIG_PATH = opts.tsconfigpath;
      if (located.fromRepo) {
        // The program has no @pulumi/pulumi of its own: it runs on the repository's, found through NODE_PATH.
        // TypeScript's type checker ignores NODE_PATH, so such programs are transpiled without type checks.
        env.NODE_PATH = nodePathWithRepo(env.NODE_PATH);
        if (opts.typescript && env.PULUMI_NODEJS_TRANSPILE_ONLY === undefined && hasTypeScriptSources(programDir)) {
          env.PULUMI_NODEJS_TRANSPILE_ONLY = "true";
          process.stderr.write(
            `pulumi-language-nodejs: no @pulumi/pulumi installed for ${programDir}; using the repository's (TypeScript: transpile only)\n`,
          );
        }
      }
      const nodeArgs = shellSplit(opts.nodeargs);
      if (req.getAttachDebugger()) {
        return respond("attaching a debugger is not supported by keyless pulumi-language-nodejs");
      }

      child = track(
        spawn(process.execPath, [...nodeArgs, ...argv], {
          cwd: programDir,
          env,
          stdio: ["ignore", "inherit", "inherit"],
        }),
      );
    } catch (err) {
      return callback(err?.code !== undefined ? err : grpcError(grpc.status.UNKNOWN, err.message));
    }
    const onCancel = () => interrupt(child);
    call.on("cancelled", onCancel);
    child.once("error", (err) => {
      call.removeListener("cancelled", onCancel);
      respond(`Problem executing program (could not run language executor): ${err.message}`);
    });
    child.once("exit", (code, signal) => {
      call.removeListener("cancelled", onCancel);
      if (code === 0) respond("");
      else if (code === EXIT_AFTER_USER_ACTIONABLE_MESSAGE) respond("", true);
      else if (code !== null) respond(`Program exited with non-zero exit code: ${code}`);
      else respond(`Program exited unexpectedly: signal: ${signal}`);
    });
  };

  // --- GetPluginInfo ------------------------------------------------------------------------------------
  const getPluginInfo = unary(() => {
    const info = new pluginPb.PluginInfo();
    info.setVersion(stubs.sdkVersion);
    return info;
  });

  // --- InstallDependencies (server streaming) -----------------------------------------------------------
  const installDependencies = (call) => {
    const req = call.request;
    const send = (stream, data) => {
      const res = new languagePb.InstallDependenciesResponse();
      if (stream === "stdout") res.setStdout(data);
      else res.setStderr(data);
      call.write(res);
    };
    (async () => {
      const info = req.getInfo();
      const programDir = info ? info.getProgramDirectory() : req.getDirectory();
      const opts = parseOptions(info);
      send("stdout", Buffer.from("Installing dependencies...\n\n"));
      let root = programDir;
      const wsRoot = findWorkspaceRoot(programDir);
      if (wsRoot) {
        send("stdout", Buffer.from(`Detected workspace root at ${wsRoot}\n`));
        root = wsRoot;
      }
      const pm = resolvePackageManager(opts.packagemanager, root);
      const exe = whichSync(pm);
      if (!exe) throw new Error(`could not find ${pm} on the $PATH`);
      const cmdArgs = ["install"];
      if (pm === "npm") cmdArgs.push("--loglevel=error");
      send("stdout", Buffer.from(`$ ${pm} ${cmdArgs.join(" ")}\n`));
      await new Promise((resolve, reject) => {
        const child = track(spawn(exe, cmdArgs, { cwd: root, env: process.env, stdio: ["ignore", "pipe", "pipe"] }));
        call.on("cancelled", () => interrupt(child));
        child.stdout.on("data", (d) => send("stdout", d));
        child.stderr.on("data", (d) => send("stderr", d));
        child.once("error", reject);
        child.once("close", (code, signal) =>
          code === 0 ? resolve() : reject(new Error(`${pm} install failed: exit ${code ?? signal}`)),
        );
      });
      send("stdout", Buffer.from("Finished installing dependencies\n\n"));
    })().then(
      () => call.end(),
      (err) => call.emit("error", grpcError(grpc.status.UNKNOWN, err.message)),
    );
  };

  // --- RuntimeOptionsPrompts ----------------------------------------------------------------------------
  const runtimeOptionsPrompts = unary((call) => {
    const info = call.request.getInfo();
    const raw = info?.getOptions()?.toJavaScript() ?? {};
    const res = new languagePb.RuntimeOptionsResponse();
    if (!("packagemanager" in raw)) {
      const P = languagePb.RuntimeOptionPrompt;
      const value = (s) => {
        const v = new P.RuntimeOptionValue();
        v.setPrompttype(P.RuntimeOptionType.STRING);
        v.setStringvalue(s);
        return v;
      };
      const prompt = new P();
      prompt.setKey("packagemanager");
      prompt.setDescription("The package manager to use for installing dependencies");
      prompt.setPrompttype(P.RuntimeOptionType.STRING);
      const choices = ["npm", "pnpm", "yarn", "bun"].filter((pm) => whichSync(pm)).map(value);
      prompt.setChoicesList(choices.length ? choices : [value("npm")]);
      prompt.setDefault(value("npm"));
      res.addPrompts(prompt);
    }
    return res;
  });

  // --- Template: nothing to do for Node.js (as the Go host) ---------------------------------------------
  const template = unary(() => new languagePb.TemplateResponse());

  // --- About --------------------------------------------------------------------------------------------
  const about = unary((call) => {
    const info = call.request.getInfo();
    const opts = parseOptions(info);
    const dir = info?.getProgramDirectory() || process.cwd();
    const pm = resolvePackageManager(opts.packagemanager, dir);
    const res = new languagePb.AboutResponse();
    res.setExecutable(process.execPath);
    res.setVersion(process.version);
    const meta = res.getMetadataMap();
    meta.set("packagemanager", pm);
    const exe = whichSync(pm);
    const version = exe && packageManagerVersion(exe, pm);
    if (version) meta.set("packagemanagerVersion", version);
    return res;
  });

  // --- GetProgramDependencies ---------------------------------------------------------------------------
  const getProgramDependencies = unary((call) => {
    const info = call.request.getInfo();
    const dir = info.getProgramDirectory();
    const transitive = call.request.getTransitivedependencies();
    const manifestDir = searchUp(dir, "package.json");
    if (!manifestDir) throw new Error(`failed to get node dependencies: no package.json in or above ${dir}`);
    const manifest = readJson(path.join(manifestDir, "package.json"));
    const res = new languagePb.GetProgramDependenciesResponse();
    const seen = new Set();
    const queue = [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})].map(
      (name) => [name, manifestDir],
    );
    while (queue.length) {
      const [name, from] = queue.shift();
      const pj = installedPackageJson(name, from);
      if (!pj || seen.has(pj)) continue;
      seen.add(pj);
      const data = readJson(pj);
      const dep = new languagePb.DependencyInfo();
      dep.setName(name);
      dep.setVersion(data.version ?? "");
      res.addDependencies(dep);
      if (transitive) {
        for (const n of Object.keys(data.dependencies ?? {})) queue.push([n, path.dirname(pj)]);
      }
    }
    return res;
  });

  // --- RunPlugin (server streaming) ---------------------------------------------------------------------
  const runPlugin = (call) => {
    const req = call.request;
    const sendOut = (data) => {
      const r = new languagePb.RunPluginResponse();
      r.setStdout(data);
      call.write(r);
    };
    const sendErr = (data) => {
      const r = new languagePb.RunPluginResponse();
      r.setStderr(data);
      call.write(r);
    };
    let cancelled = false;
    let child;
    let proxy;
    call.on("cancelled", () => {
      cancelled = true;
      if (child) interrupt(child);
      proxy?.close();
    });
    (async () => {
      requireHandshake(state);
      const info = req.getInfo();
      const programDir = info.getProgramDirectory();
      const kind = req.getKind();
      const isAnalyzer = kind === "analyzer";
      const opts = parseOptions(info);
      const env = envArrayToObject(req.getEnvList());
      if (opts.typescript) env.PULUMI_NODEJS_TYPESCRIPT = "true";
      if (opts.tsconfigpath) env.PULUMI_NODEJS_TSCONFIG_PATH = opts.tsconfigpath;
      const request = isAnalyzer
        ? "@pulumi/pulumi/cmd/run-policy-pack"
        : process.env.PULUMI_LANGUAGE_NODEJS_RUN_PATH || "@pulumi/pulumi/cmd/run-plugin";
      const located = locate(request, programDir, true);
      if (located.fromRepo) env.NODE_PATH = nodePathWithRepo(env.NODE_PATH);
      if (req.getAttachDebugger())
        throw new Error("attaching a debugger is not supported by keyless pulumi-language-nodejs");

      // Policy packs get the program directory last, everything else first.
      const scriptArgs = isAnalyzer ? [...req.getArgsList(), programDir] : [programDir, ...req.getArgsList()];
      const argv = [...shellSplit(opts.nodeargs), located.path, ...scriptArgs];

      if (isAnalyzer) {
        proxy = createPolicyProxy(stubs);
        const port = await proxy.listen();
        sendOut(Buffer.from(`${port}\n`));
        const cfg = await proxy.awaitConfiguration();
        if (cfg) {
          const put = (k, v) => {
            if (v) env[k] = v;
          };
          put("PULUMI_NODEJS_ORGANIZATION", cfg.getOrganization());
          put("PULUMI_NODEJS_PROJECT", cfg.getProject());
          put("PULUMI_NODEJS_STACK", cfg.getStack());
          put("PULUMI_NODEJS_DRY_RUN", String(cfg.getDryRun()));
          put("PULUMI_ORGANIZATION", cfg.getOrganization());
          put("PULUMI_PROJECT", cfg.getProject());
          put("PULUMI_STACK", cfg.getStack());
          put("PULUMI_DRY_RUN", String(cfg.getDryRun()));
          const config = Object.fromEntries(cfg.getConfigMap().entries());
          if (Object.keys(config).length) env.PULUMI_CONFIG = JSON.stringify(config);
          const secretKeys = cfg.getConfigSecretKeysList?.() ?? [];
          if (secretKeys.length) env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(secretKeys);
        }
      }
      if (cancelled) return;

      child = track(
        spawn(process.execPath, argv, {
          // Node policy packs always ran in the pack's directory; other plugins in the engine's.
          cwd: isAnalyzer ? programDir : req.getPwd() || programDir,
          env,
          stdio: ["ignore", "pipe", "pipe"],
        }),
      );
      child.stderr.on("data", sendErr);
      if (proxy) {
        // The pack's first stdout line is its own port: the proxy attaches to it, the rest is passed on.
        let buffered = Buffer.alloc(0);
        let attached = false;
        child.stdout.on("data", (d) => {
          if (attached) return sendOut(d);
          buffered = Buffer.concat([buffered, d]);
          const nl = buffered.indexOf(10);
          if (nl < 0) return;
          attached = true;
          const line = buffered.subarray(0, nl).toString().trim();
          const rest = buffered.subarray(nl + 1);
          if (rest.length) sendOut(rest);
          const port = Number.parseInt(line, 10);
          if (!(port > 0 && port < 65536)) {
            proxy.fail(new Error(`policy pack wrote an invalid port to stdout: ${JSON.stringify(line)}`));
            sendErr(Buffer.from(`${line}\n`));
            return;
          }
          proxy
            .attach(port)
            .catch((err) => sendErr(Buffer.from(`could not attach policy pack proxy: ${err.message}\n`)));
        });
      } else {
        child.stdout.on("data", sendOut);
      }
      const [code, signal] = await new Promise((resolve, reject) => {
        child.once("error", reject);
        child.once("close", (c, s) => resolve([c, s]));
      });
      proxy?.fail(new Error("policy pack exited"));
      if (code !== 0 && !cancelled) {
        throw new Error(
          code !== null
            ? `Program exited with non-zero exit code: ${code}`
            : `Program exited unexpectedly: signal: ${signal}`,
        );
      }
    })().then(
      () => {
        proxy?.close();
        call.end();
      },
      (err) => {
        proxy?.close();
        call.emit("error", err?.code !== undefined ? err : grpcError(grpc.status.UNKNOWN, err?.message ?? String(err)));
      },
    );
  };

  // --- Pack ---------------------------------------------------------------------------------------------
  const pack = unary((call) => {
    const pkgDir = call.request.getPackageDirectory();
    const dest = call.request.getDestinationDirectory();
    const manifest = readJson(path.join(pkgDir, "package.json"));
    if (manifest.name === "@pulumi/pulumi") {
      throw grpcError(
        grpc.status.UNIMPLEMENTED,
        "packing the core @pulumi/pulumi SDK is not supported by keyless pulumi-language-nodejs",
      );
    }
    const npm = whichSync("npm");
    if (!npm) throw new Error("find npm: npm not found on the $PATH");
    const runStep = (args) => {
      process.stderr.write(`$ npm ${args.join(" ")}\n`);
      const r = spawnSync(npm, args, { cwd: pkgDir, stdio: ["ignore", process.stderr, process.stderr] });
      if (r.status !== 0) throw new Error(`npm ${args.join(" ")}: exit ${r.status ?? r.signal}`);
    };
    runStep(["install"]);
    runStep(["run", "build"]);
    fs.copyFileSync(path.join(pkgDir, "package.json"), path.join(pkgDir, "bin", "package.json"));
    process.stderr.write("$ npm pack\n");
    const r = spawnSync(npm, ["pack", path.join(pkgDir, "bin"), "--pack-destination", dest], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", process.stderr],
    });
    if (r.status !== 0) throw new Error(`npm pack: exit ${r.status ?? r.signal}`);
    const res = new languagePb.PackResponse();
    res.setArtifactPath(path.join(dest, r.stdout.trim().split("\n").pop()));
    return res;
  });

  // --- Cancel -------------------------------------------------------------------------------------------
  const cancel = unary(() => {
    for (const c of children) interrupt(c);
    return new emptyPb.Empty();
  });

  const impl = {
    handshake,
    getRequiredPlugins,
    getRequiredPackages,
    run,
    getPluginInfo,
    installDependencies,
    runtimeOptionsPrompts,
    template,
    about,
    getProgramDependencies,
    runPlugin,
    pack,
    cancel,
  };
  // Everything else the service defines (code generation: GenerateProgram, GenerateProject,
  // GeneratePackage, Link, and anything newer) answers UNIMPLEMENTED.
  for (const [name, def] of Object.entries(stubs.languageGrpc.LanguageRuntimeService)) {
    if (!impl[name]) impl[name] = unimplemented(def.path.split("/").pop());
  }
  return { impl, children, interrupt };
}

// ---------------------------------------------------------------------------------------------------------
// Lifetime: leave when the engine does.

let shuttingDown = false;
let shutdownHook = () => {};
let killHook = () => {};

function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  process.exitCode = code;
  shutdownHook();
  // Give children a moment to act on SIGINT; never linger, and leave none behind (a pack that ignores SIGINT would
  // otherwise outlive us, and the engine that could kill it may be gone).
  setTimeout(() => {
    killHook();
    process.exit(code);
  }, 200).unref();
}

let watchedAddress = "";
/** Watches the engine once: its address from the command line, else from Handshake. */
function startHealthCheck(grpc, address, watchStdin = false) {
  if (watchedAddress && address) return;
  if (address) watchedAddress = address;
  watchEngine({
    grpc,
    address,
    watchStdin,
    onGone: (reason, how) => {
      // A closed pipe is the engine's own ending (or death): nobody is left to read a message about it.
      if (how === "pipe") return shutdown(0);
      process.stderr.write(`pulumi-language-nodejs: ${reason}; exiting\n`);
      shutdown(1);
    },
  });
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const stubs = loadStubs();
  if (args.version) {
    console.log(stubs.sdkVersion);
    return;
  }
  if (args.runtime !== "nodejs") {
    console.error(`pulumi-language-nodejs: unsupported runtime: ${args.runtime}`);
    process.exit(1);
  }
  const { grpc, languageGrpc } = stubs;
  const host = createHost(stubs, args);
  const server = new grpc.Server({
    "grpc.max_receive_message_length": 400 * 1024 * 1024,
    "grpc.max_send_message_length": 400 * 1024 * 1024,
  });
  server.addService(languageGrpc.LanguageRuntimeService, host.impl);
  shutdownHook = () => {
    for (const c of host.children) host.interrupt(c);
    server.forceShutdown();
  };
  killHook = () => {
    for (const c of host.children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  };
  server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) {
      console.error(`could not start language host RPC server: ${err.message}`);
      process.exit(1);
    }
    // The engine reads exactly one line: our port.
    process.stdout.write(`${port}\n`);
    // The engine holds our stdin pipe open for as long as it lives; its address answers health checks.
    startHealthCheck(grpc, args.engineAddress, true);
  });

  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => shutdown(0));
}

main();
