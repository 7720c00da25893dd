/**
 * `pulumi up` killed for real (SIGKILL to the CLI and every process it started, as when a CI runner dies) at a
 * deterministic point, then the recovery runbook of the root README ("Recovering from an interrupted update"),
 * command by command with the real `pulumi` and `aws` CLIs: the next `up` and `destroy` converge, and nothing tagged
 * with the stack is left in the emulators.
 *
 * The kill point: the aws provider reaches LocalStack through a proxy that forwards the step's AWS call (CreateRole,
 * RunInstances, AddRoleToInstanceProfile and PutRolePolicy) and holds back its answer; once every one is held, the
 * process tree is killed. So the state holds a pending create of a resource that exists, every time.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { IAMClient, ListRolePoliciesCommand } from "@aws-sdk/client-iam";
import {
  awsCliBinDir,
  findLeftovers,
  findTaggedResources,
  LOCALSTACK_CREDENTIALS,
  localStackClientConfig,
  localStackEndpoint,
  localStackRegion,
  requireLocalStack,
  type StateResource,
  TestStack,
} from "@keyless/testing";
import { alive, descendants, type Proc, processes, until } from "../../support/processes";

const FIXTURE = path.resolve(__dirname, "..", "..", "fixtures", "interrupted-up");
const PROJECT = "keyless-interrupted";
const ROLE = "aws:iam/role:Role";
const POLICY = "aws:iam/rolePolicy:RolePolicy";
const PROFILE = "aws:iam/instanceProfile:InstanceProfile";
const INSTANCE = "aws:ec2/instance:Instance";
const COMPONENT = "keyless:aws:SecureInstance::web";

interface PendingOperation {
  readonly type: string;
  readonly resource: { readonly urn: string; readonly type: string; readonly inputs?: Record<string, unknown> };
}

/**
 * A pass-through proxy in front of LocalStack that, once armed, forwards a request for one of the `hold` actions (the
 * AWS query protocol's `Action=`) and keeps its answer back: AWS has done it, the provider never hears so, and
 * neither does the engine. `held` resolves when every action was held once.
 */
class HoldingProxy {
  private server: Server | undefined;
  private readonly waiting: ServerResponse[] = [];
  private hold = new Set<string>();
  private onAllHeld: (() => void) | undefined;
  url = "";

  async start(): Promise<void> {
    const target = localStackEndpoint();
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const body = Buffer.concat(chunks);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) {
          if (typeof v === "string" && !["host", "connection", "content-length"].includes(k)) headers[k] = v;
        }
        try {
          const answer = await fetch(`${target}${req.url}`, {
            method: req.method,
            headers,
            ...(body.length > 0 ? { body } : {}),
          });
          const payload = Buffer.from(await answer.arrayBuffer());
          const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body.toString("utf8"))?.[1];
          if (action !== undefined && this.hold.delete(action)) {
            this.waiting.push(res);
            if (this.hold.size === 0) this.onAllHeld?.();
            return;
          }
          const out: Record<string, string> = {};
          answer.headers.forEach((v, k) => {
            if (!["content-encoding", "content-length", "transfer-encoding", "connection"].includes(k)) out[k] = v;
          });
          res.writeHead(answer.status, out).end(payload);
        } catch (err) {
          res.writeHead(502).end(String(err));
        }
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Holds the next answer to each of `actions`; resolves once all are held. */
  arm(actions: readonly string[]): Promise<void> {
    this.hold = new Set(actions);
    return new Promise((resolve) => {
      this.onAllHeld = resolve;
    });
  }

  /** Drops the held answers (their connections are closed unanswered). */
  release(): void {
    this.hold.clear();
    for (const res of this.waiting.splice(0)) res.destroy();
  }

  async stop(): Promise<void> {
    this.release();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/**
 * Starts `pulumi up`, and once the emulator has done every one of `actions` (their answers held by `proxy`), kills
 * the CLI and every process below it with SIGKILL: the state keeps those creates pending. Resolves with the output.
 */
async function killUpAt(t: TestStack, proxy: HoldingProxy, actions: readonly string[]): Promise<string> {
  const held = proxy.arm(actions);
  const child: ChildProcess = spawn(
    "pulumi",
    ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", t.name],
    {
      cwd: FIXTURE,
      env: { ...process.env, ...t.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout?.on("data", (d) => {
    output += String(d);
  });
  child.stderr?.on("data", (d) => {
    output += String(d);
  });
  const exited = new Promise<void>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`pulumi up ended (exit ${code}) before the kill point:\n${output}`))),
  );
  const pid = child.pid as number;
  const killed: Proc[] = [];
  try {
    await Promise.race([held, exited]);
  } finally {
    // The whole tree, CLI first: the engine, its language host and program, the aws provider plugin.
    const table = processes();
    const cli = table.get(pid);
    for (const p of [...(cli ? [cli] : []), ...descendants(table, pid)]) {
      try {
        process.kill(p.pid, "SIGKILL");
        killed.push(p);
      } catch {
        // Already gone.
      }
    }
    await until("the killed processes to end", 10_000, () => (killed.some(alive) ? undefined : true), 20);
    proxy.release();
  }
  return output;
}

/** The AWS CLI as the runbook runs it; pointed at LocalStack through AWS_ENDPOINT_URL. Resolves with stdout. */
function aws(args: readonly string[]): Promise<string> {
  const env = {
    ...process.env,
    AWS_ENDPOINT_URL: localStackEndpoint(),
    AWS_REGION: localStackRegion(),
    AWS_DEFAULT_REGION: localStackRegion(),
    AWS_ACCESS_KEY_ID: LOCALSTACK_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCALSTACK_CREDENTIALS.secretAccessKey,
  };
  return new Promise((resolve, reject) => {
    execFile(path.join(awsCliBinDir(), "aws"), [...args], { env }, (err, stdout, stderr) =>
      err ? reject(new Error(`aws ${args.join(" ")} failed: ${stderr}`)) : resolve(stdout),
    );
  });
}

/** Runbook step 2: `pulumi stack export`, read `deployment.pending_operations`. */
async function pendingOperations(t: TestStack): Promise<PendingOperation[]> {
  const { stdout } = await t.pulumi(["stack", "export"]);
  return (
    (JSON.parse(stdout) as { deployment: { pending_operations?: PendingOperation[] } }).deployment.pending_operations ??
    []
  );
}

/**
 * Runbook step 4, for a resource that exists: `pulumi import <type> <name> <id> --parent <component>=<URN>`, unprotected
 * (`pulumi import` protects by default, and a protected resource stops `destroy`). The parent is the pending
 * create's own parent, read from its URN's type chain: the keyless component.
 */
async function importUnder(t: TestStack, type: string, name: string, id: string, childUrn: string): Promise<void> {
  const parent = (await t.resources()).find(
    (r) => !r.custom && r.type.startsWith("keyless:") && childUrn.includes(`::${r.type}$`),
  );
  assert.ok(parent, `the component holding ${childUrn} is in the state`);
  const parentName = parent.urn.split("::").pop() as string;
  await t.pulumi([
    "import",
    type,
    name,
    id,
    "--parent",
    `${parentName}=${parent.urn}`,
    "--protect=false",
    "--generate-code=false",
    "--yes",
    "--skip-preview",
  ]);
}

const iam = new IAMClient(localStackClientConfig());
async function inlinePolicies(role: string): Promise<string[]> {
  return (await iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? [];
}

/**
 * After the final `up`: the emulator holds exactly one role, profile and instance tagged for the component, the role
 * exactly one inline policy, and every tagged resource is one the state knows.
 */
async function assertConverged(t: TestStack, stackTag: string): Promise<StateResource[]> {
  const state = await t.resources();
  const tagged = await findTaggedResources(stackTag);
  const count = (type: string) => tagged.filter((r) => r.type === type && r.component === COMPONENT).length;
  assert.deepEqual(
    [count(ROLE), count(PROFILE), count(INSTANCE)],
    [1, 1, 1],
    `one role, profile and instance: ${JSON.stringify(tagged)}`,
  );
  const ids = new Set(state.map((r) => String(r.id)));
  assert.deepEqual(
    tagged.filter((r) => !ids.has(r.id)),
    [],
    "every resource tagged with the stack is in the state",
  );
  const role = tagged.find((r) => r.type === ROLE)?.id as string;
  assert.deepEqual(await inlinePolicies(role), ["web-policy"], "the role holds its one inline policy, once");
  return state;
}

/** Destroys the stack and shows nothing is left, neither by the snapshot's ids nor by the stack's tag. */
async function assertDestroyLeavesNothing(t: TestStack, stackTag: string, held: StateResource[]): Promise<void> {
  await t.pulumi(["destroy", "--yes", "--skip-preview"]);
  assert.deepEqual(await findLeftovers(held, [], { stackTag }), [], "nothing left after destroy");
}

describe("an interrupted `pulumi up` (CLI killed) recovers by the README's runbook", function () {
  this.timeout(900_000);

  let t: TestStack;
  let stackTag: string;
  const proxy = new HoldingProxy();

  before(async () => {
    await requireLocalStack(["iam", "sts", "ec2"]);
    awsCliBinDir();
    await proxy.start();
  });

  after(() => proxy.stop());

  beforeEach(async () => {
    // The engine's aws provider reaches LocalStack through the proxy; the runbook's aws CLI goes to LocalStack itself.
    t = await TestStack.create({ workDir: FIXTURE, env: { KEYLESS_LOCALSTACK_ENDPOINT: proxy.url } });
    stackTag = `organization/${PROJECT}/${t.name}`;
  });

  afterEach(async () => {
    try {
      await t.pulumi(["cancel", "--yes"]).catch(() => undefined);
      await t.dispose();
    } finally {
      // Whatever the test did, the stack's tag lists nothing afterwards (a failed dispose is reported above).
      assert.deepEqual(await findTaggedResources(stackTag), [], "nothing tagged with the stack after dispose");
    }
  });

  it("killed while the instance is created: import what its tags find under its component, clear the pending create, then up", async () => {
    // GIVEN an up killed once the instance exists but before the engine recorded it
    await killUpAt(t, proxy, ["RunInstances"]);

    // WHEN following the runbook: 1. the killed update's lock
    await assert.rejects(t.pulumi(["up", "--yes", "--skip-preview"]), /locked/, "the file backend keeps the lock");
    await t.pulumi(["cancel", "--yes"]);
    // 2. the pending operations
    const pending = await pendingOperations(t);
    assert.deepEqual(
      pending.map((p) => [p.type, p.resource.type]),
      [["creating", INSTANCE]],
    );
    const urn = pending[0]?.resource.urn as string;
    // 3. the resource, by the stack's and the component's tags
    const ids = (
      await aws([
        "ec2",
        "describe-instances",
        "--filters",
        `Name=tag:keyless:stack,Values=${stackTag}`,
        `Name=tag:keyless:component,Values=${COMPONENT}`,
        "Name=instance-state-name,Values=pending,running",
        "--query",
        "Reservations[].Instances[].InstanceId",
        "--output",
        "text",
      ])
    )
      .split(/\s+/)
      .filter(Boolean);
    assert.equal(ids.length, 1, `one instance of the interrupted create: ${ids.join(", ")}`);
    // 4. it exists: import it under its component, then clear the pending create it answers
    await importUnder(t, INSTANCE, "web-instance", ids[0] as string, urn);
    await t.pulumi(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
    assert.deepEqual(await pendingOperations(t), [], "no pending operation left");
    assert.equal((await t.resources()).find((r) => r.type === INSTANCE)?.id, ids[0], "the state holds the instance");
    // 5. up: nothing to create
    const up = await t.pulumi(["up", "--yes", "--skip-preview"]);
    assert.doesNotMatch(up.stdout, /web-instance\s+created|web-instance\s+replaced/, up.stdout);

    // THEN one of each, every one in the state, and destroy leaves nothing
    const held = await assertConverged(t, stackTag);
    const instance = held.find((r) => r.type === INSTANCE);
    assert.equal(instance?.id, ids[0], "the instance of the interrupted create is the stack's, not a second one");
    await assertDestroyLeavesNothing(t, stackTag, held);
  });

  it("killed while the role is created: delete what it made, clear the pending create, then up", async () => {
    // GIVEN an up killed once the role exists but before the engine recorded it
    await killUpAt(t, proxy, ["CreateRole"]);

    // WHEN following the runbook's other branch: delete the resource and clear its pending create
    await t.pulumi(["cancel", "--yes"]);
    const pending = await pendingOperations(t);
    assert.deepEqual(
      pending.map((p) => [p.type, p.resource.type]),
      [["creating", ROLE]],
    );
    // An IAM resource's pending create holds its physical name: the auto-name was chosen before the create.
    const roleName = String(pending[0]?.resource.inputs?.["name"]);
    const tags = JSON.parse(
      await aws(["iam", "list-role-tags", "--role-name", roleName, "--query", "Tags", "--output", "json"]),
    ) as Array<{ Key: string; Value: string }>;
    assert.ok(
      tags.some((x) => x.Key === "keyless:stack" && x.Value === stackTag),
      "the role carries the stack's tag",
    );
    await aws(["iam", "delete-role", "--role-name", roleName]);
    await t.pulumi(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
    assert.deepEqual(await pendingOperations(t), []);
    await t.pulumi(["up", "--yes", "--skip-preview"]);

    // THEN
    const held = await assertConverged(t, stackTag);
    await assertDestroyLeavesNothing(t, stackTag, held);
  });

  it("killed between the instance profile and the role policy: a plain up rewrites the policy, the profile is imported", async () => {
    // GIVEN an up killed once the profile exists and the role holds its inline policy, neither recorded
    await killUpAt(t, proxy, ["AddRoleToInstanceProfile", "PutRolePolicy"]);
    await t.pulumi(["cancel", "--yes"]);
    const pending = await pendingOperations(t);
    assert.deepEqual(pending.map((p) => p.resource.type).sort(), [POLICY, PROFILE].sort());
    const profileName = String(pending.find((p) => p.resource.type === PROFILE)?.resource.inputs?.["name"]);

    // WHEN someone runs a plain `up` first (no runbook): it must not add a second grant, and it names the profile
    const failed = await t.pulumi(["up", "--yes", "--skip-preview"]).then(
      () => "",
      (err: Error) => err.message,
    );
    assert.match(failed, /EntityAlreadyExists/, "the profile's create is refused, not repeated under a new name");
    assert.ok(failed.includes(profileName), "the error names the profile");
    const role = (await findTaggedResources(stackTag)).find((r) => r.type === ROLE)?.id as string;
    assert.deepEqual(await inlinePolicies(role), ["web-policy"], "the retry overwrote the policy, no second grant");
    // ... and then the runbook: import the profile under its component, clear the pending creates the state now
    // answers (the profile by the import, the policy by the plain up), then up
    const profileUrn = pending.find((p) => p.resource.type === PROFILE)?.resource.urn as string;
    await importUnder(t, PROFILE, "web-profile", profileName, profileUrn);
    await t.pulumi(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
    assert.deepEqual(await pendingOperations(t), []);
    await t.pulumi(["up", "--yes", "--skip-preview"]);

    // THEN
    const held = await assertConverged(t, stackTag);
    assert.equal(held.find((r) => r.type === PROFILE)?.id, profileName);
    await assertDestroyLeavesNothing(t, stackTag, held);
  });
});
