/**
 * The packages as a user installs them: every workspace packed with `npm pack`, the tarballs installed into a fresh
 * temp project beside the Pulumi packages the user chose, and used there as a user would (tests/fixtures/user-install):
 * a plain-JavaScript mocha test under Pulumi mocks builds a SecureInstance; `pulumi preview` of a small program runs on
 * the real engine against LocalStack, driven by the installed @keyless/testing, with the installed keyless-aws pack;
 * the installed `keyless-scan` bin scans files. The program must see one @pulumi/pulumi.
 *
 * Two runs show the peer ranges are honest. Newest: the workspace's own pins (@pulumi/pulumi, @pulumi/aws,
 * @pulumi/policy), every package. Oldest: the floors of the peer ranges of @keyless/aws and @keyless/testing, in the
 * same project reinstalled, without @keyless/policy-pack: its only peer is @pulumi/policy ^1.21.0, whose oldest and
 * newest are the same 1.21.0 (the newest run covers it), and @pulumi/policy 1.21.0 itself needs @pulumi/pulumi
 * ^3.204.0, so it cannot join a program at the components' floor without a second SDK.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { accessSync, constants, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { requireLocalStack } from "@keyless/testing";
import semver from "semver";
import { npmCommand } from "../../support/npm";
import { assertNoSecrets, check, credentials } from "../../support/policy-credentials";

const root = path.resolve(__dirname, "..", "..", "..");
const fixture = path.join(root, "tests", "fixtures", "user-install");

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly workspaces?: string[];
  readonly devDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}
const readManifest = (dir: string) => JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as Manifest;
const rootManifest = readManifest(root);
const manifests = (rootManifest.workspaces ?? []).map((ws) => readManifest(path.join(root, ws)));

/** The workspace's pin of a package: the newest version the repository supports. */
function pinned(name: string): string {
  const v = rootManifest.devDependencies?.[name];
  assert.ok(v && semver.valid(v), `the root package.json pins ${name} exactly`);
  return v;
}

/** The oldest version of `name` every package's peer range accepts: the highest of their floors. */
function floor(name: string): string {
  const floors = manifests
    .map((m) => m.peerDependencies?.[name])
    .filter((r): r is string => r !== undefined)
    .map((r) => semver.minVersion(r)?.version ?? "");
  assert.ok(floors.length > 0, `no package has a peer dependency on ${name}`);
  return floors.sort(semver.rcompare)[0]!;
}

const NEWEST = {
  "@pulumi/pulumi": pinned("@pulumi/pulumi"),
  "@pulumi/aws": pinned("@pulumi/aws"),
  "@pulumi/policy": pinned("@pulumi/policy"),
};
const OLDEST = { "@pulumi/pulumi": floor("@pulumi/pulumi"), "@pulumi/aws": floor("@pulumi/aws") };

/**
 * Where the project goes: /dev/shm when the machine has it (a tmpfs: the 250 MB of node_modules, mostly @pulumi/aws,
 * are written and removed in a fraction of the time a disk takes), else the OS temp directory.
 */
function scratch(): string {
  try {
    accessSync("/dev/shm", constants.W_OK);
    return "/dev/shm";
  } catch {
    return os.tmpdir();
  }
}

interface Run {
  readonly code: number;
  readonly output: string;
}

/**
 * Runs a command in the user's project, with this Node.js first on PATH (for `#!/usr/bin/env node` bins) and without
 * the `npm_*` variables of the `npm test` that started us (npm_config_local_prefix would point npm at the repository).
 */
function run(cmd: string, args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  // Nor this repository's Node.js compile cache: a user's project has none, and its temp paths would only fill it.
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== "NODE_COMPILE_CACHE"),
  );
  const PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env["PATH"] ?? ""}`;
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      [...args],
      { cwd, env: { ...base, PATH, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 400_000 },
      (err, stdout, stderr) => {
        const code = err ? (err as { code?: unknown }).code : 0;
        if (typeof code !== "number") return reject(err);
        resolve({ code, output: `${stdout}\n${stderr}`.trim() });
      },
    );
  });
}

const [npm, npmPre] = npmCommand();
const npmRun = (args: readonly string[], cwd: string) => run(npm, [...npmPre, ...args], cwd);

async function mustSucceed(what: string, r: Promise<Run>): Promise<string> {
  const { code, output } = await r;
  assert.equal(code, 0, `${what} exited with ${code}:\n${output}`);
  return output;
}

/** Every installed copy of `name` (`npm ls --all --long`), as "version path". */
async function copiesOf(project: string, name: string): Promise<string[]> {
  const out = await mustSucceed(`npm ls ${name}`, npmRun(["ls", name, "--all", "--long", "--json"], project));
  interface Node {
    version?: string;
    path?: string;
    dependencies?: Record<string, Node>;
  }
  const seen = new Set<string>();
  const walk = (n: Node) => {
    for (const [dep, child] of Object.entries(n.dependencies ?? {})) {
      if (dep === name) seen.add(`${child.version} ${child.path}`);
      walk(child);
    }
  };
  walk(JSON.parse(out) as Node);
  return [...seen].sort();
}

describe("packages as users install them: npm pack, a fresh project, newest and oldest supported Pulumi", function () {
  this.timeout(900_000);
  const timings: string[] = [];
  let work = "";
  let project = "";
  /** name -> absolute path of its packed tarball */
  const tarballs = new Map<string, string>();
  let installed: "newest" | "oldest" | undefined;

  async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await fn();
    } finally {
      timings.push(`${what} ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  }

  /** Writes the project's package.json for `versions` (with the pack or without) and runs `npm install`. */
  async function install(label: "newest" | "oldest", versions: Record<string, string>, withPack: boolean) {
    const keyless = [...tarballs].filter(([name]) => withPack || name !== "@keyless/policy-pack");
    const file = (name: string) => `file:${tarballs.get(name)}`;
    const manifest = {
      name: "keyless-user-install",
      private: true,
      dependencies: {
        ...Object.fromEntries(
          keyless.filter(([name]) => name !== "@keyless/iam-rules").map(([name]) => [name, file(name)]),
        ),
        ...versions,
        mocha: pinned("mocha"),
      },
      // @keyless/aws and the pack depend on @keyless/scanner and @keyless/iam-rules 0.1.0: the tarballs, never the registry.
      overrides: { "@keyless/scanner": file("@keyless/scanner"), "@keyless/iam-rules": file("@keyless/iam-rules") },
    };
    writeFileSync(path.join(project, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    await timed(`install ${label}`, () =>
      mustSucceed(
        "npm install",
        npmRun(["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], project),
      ),
    );
    installed = label;

    // The @keyless packages came from the tarballs, and the program has one SDK.
    const lock = JSON.parse(readFileSync(path.join(project, "package-lock.json"), "utf8")) as {
      packages: Record<string, { resolved?: string; version?: string; hasInstallScript?: boolean }>;
    };
    const keylessNodes = Object.entries(lock.packages).filter(([p]) => /(^|\/)node_modules\/@keyless\//.test(p));
    assert.deepEqual(
      keylessNodes.map(([p, n]) => `${p} ${n.resolved?.startsWith("file:") ? "tarball" : n.resolved}`).sort(),
      keyless.map(([name]) => `node_modules/${name} tarball`).sort(),
    );
    // npm 11 runs no install script it was not allowed to, and asks the user about each one. Keyless brings none:
    // the only one in the tree is protobufjs's (through @pulumi/pulumi), a check of its dependents' version ranges.
    const withScripts = Object.entries(lock.packages)
      .filter(([, n]) => n.hasInstallScript)
      .map(([p]) => p.replace(/^.*node_modules\//, ""));
    assert.deepEqual([...new Set(withScripts)], ["protobufjs"], `packages with install scripts: ${withScripts}`);
    const pulumiVersion = versions["@pulumi/pulumi"]!;
    assert.deepEqual(await copiesOf(project, "@pulumi/pulumi"), [
      `${pulumiVersion} ${path.join(project, "node_modules", "@pulumi", "pulumi")}`,
    ]);
    assert.deepEqual(await copiesOf(project, "@pulumi/aws"), [
      `${versions["@pulumi/aws"]} ${path.join(project, "node_modules", "@pulumi", "aws")}`,
    ]);
  }

  /** The user's mocha tests (test/*.test.js), with the pack when given. */
  async function userTests(label: string, pack: string | undefined) {
    const env: Record<string, string> = pack ? { KEYLESS_INSTALL_POLICY_PACK: pack } : {};
    const bin = path.join(project, "node_modules", ".bin", "mocha");
    const { code, output } = await timed(`user mocha ${label}`, () => run(bin, ["test/"], project, env));
    assert.equal(code, 0, `the user's mocha tests failed:\n${output}`);
    assert.match(output, /\b3 passing\b/, output);
  }

  before(async function () {
    this.timeout(120_000);
    await requireLocalStack(["iam", "sts", "ec2"]);
    work = mkdtempSync(path.join(scratch(), "keyless-user-install-"));
    const packs = path.join(work, "packs");
    project = path.join(work, "project");
    mkdirSync(packs);
    mkdirSync(project);
    cpSync(fixture, project, { recursive: true });
    // One pack serves both runs.
    const out = await timed("npm pack", () =>
      mustSucceed(
        "npm pack",
        npmRun(["pack", "--workspaces", "--ignore-scripts", "--json", "--pack-destination", packs], root),
      ),
    );
    for (const p of JSON.parse(out) as Array<{ name: string; filename: string }>) {
      tarballs.set(p.name, path.join(packs, p.filename));
    }
    assert.deepEqual([...tarballs.keys()].sort(), manifests.map((m) => m.name).sort());
  });

  after(async () => {
    if (work) await timed("remove temp dir", async () => rmSync(work, { recursive: true, force: true }));
    console.log(`      [user-install] ${timings.join(", ")}`);
  });

  it(`newest: @pulumi/pulumi ${NEWEST["@pulumi/pulumi"]}, @pulumi/aws ${NEWEST["@pulumi/aws"]}, @pulumi/policy ${NEWEST["@pulumi/policy"]}: one SDK; mocks, and preview with the packed pack`, async () => {
    await install("newest", NEWEST, true);
    await userTests("newest", path.join(project, "node_modules", "@keyless", "policy-pack"));
  });

  it("keyless-scan from the installed bin fails on a key generated now, without printing it, and passes a clean file", async () => {
    assert.ok(installed, "needs the project installed by the test before");
    const bin = path.join(project, "node_modules", ".bin", "keyless-scan");
    const creds = credentials();
    const dirty = path.join(work, "deploy.env");
    const clean = path.join(work, "clean.sh");
    writeFileSync(dirty, `AWS_ACCESS_KEY_ID=${creds.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${creds.secretAccessKey}\n`);
    writeFileSync(clean, "#!/bin/bash\naws s3 sync s3://reports/daily/ /srv/reports/\n");

    const found = await timed("keyless-scan", () => run(bin, [dirty], work));
    assertNoSecrets(found.output, "keyless-scan output");
    check(found.code === 1, `keyless-scan on a file with a key must exit 1, exited ${found.code}`);
    check(found.output.includes("deploy.env"), "keyless-scan names the file");
    check(/access key/i.test(found.output), "keyless-scan says what it found");

    const passed = await run(bin, [clean], work);
    assert.equal(passed.code, 0, passed.output);
  });

  it(`oldest: @pulumi/pulumi ${OLDEST["@pulumi/pulumi"]}, @pulumi/aws ${OLDEST["@pulumi/aws"]}: components, scanner and harness (no pack); one SDK; mocks and preview`, async () => {
    // The same project, reinstalled at the floors: npm moves the SDK and provider down and removes the pack.
    await install("oldest", OLDEST, false);
    await userTests("oldest", undefined);
  });
});
