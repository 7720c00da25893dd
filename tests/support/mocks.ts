// Recording Pulumi mocks for component unit tests (awsx style): every registered resource is kept with its inputs.
// Mocks are process-global and other spec files may install their own, so each suite re-installs them before every
// test (useMocks) and the record is cleared then.
import * as pulumi from "@pulumi/pulumi";

export interface Recorded {
  readonly type: string;
  readonly name: string;
  // biome-ignore lint/suspicious/noExplicitAny: mock inputs are untyped JSON
  readonly inputs: any;
}

export interface MockOptions {
  /** Run as `pulumi preview`. */
  readonly preview?: boolean;
  /** In preview, leave computed outputs (names, ARNs, ids) unknown, as the engine does for resources to create. */
  readonly unknownComputed?: boolean;
}

const ACCOUNT = "123456789012";

/** A deterministic stand-in for the provider's auto-naming (`<name>-<7 chars>`). */
function autoName(name: string): string {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `${name}-${h.toString(36).padStart(7, "0").slice(0, 7)}`;
}

/** The ARN IAM gives the OIDC provider of an issuer URL in the mock account. */
function oidcProviderArn(url: string): string {
  return `arn:aws:iam::${ACCOUNT}:oidc-provider/${String(url).replace(/^https:\/\//, "")}`;
}

// biome-ignore lint/suspicious/noExplicitAny: mock state is untyped JSON
function computed(type: string, name: string, inputs: any): Record<string, unknown> {
  const physical = inputs.name ?? autoName(name);
  switch (type) {
    case "aws:iam/role:Role":
      return {
        name: physical,
        arn: `arn:aws:iam::${ACCOUNT}:role${inputs.path ?? "/"}${physical}`,
        // IAM's RoleId is new on every creation; here one per name and path, so a path change (a replacement) shows.
        uniqueId: `AROA${autoName(`${inputs.path ?? "/"}${physical}`)
          .slice(-7)
          .toUpperCase()}`,
      };
    case "aws:iam/instanceProfile:InstanceProfile":
      return { name: physical, arn: `arn:aws:iam::${ACCOUNT}:instance-profile${inputs.path ?? "/"}${physical}` };
    case "aws:iam/rolePolicy:RolePolicy":
      return { name: physical };
    case "aws:eks/podIdentityAssociation:PodIdentityAssociation":
      return {
        associationArn: `arn:aws:eks:eu-west-1:${ACCOUNT}:podidentityassociation/${inputs.clusterName}/a-${autoName(name).slice(-7)}`,
      };
    case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
      return { arn: oidcProviderArn(inputs.url) };
    case "aws:ec2/instance:Instance":
      return { arn: `arn:aws:ec2:eu-west-1:${ACCOUNT}:instance/i-0mock`, privateIp: "10.0.0.10" };
    case "aws:ec2/launchTemplate:LaunchTemplate":
      return { name: physical, arn: `arn:aws:ec2:eu-west-1:${ACCOUNT}:launch-template/lt-0mock`, latestVersion: 1 };
    default:
      return {};
  }
}

export class MockRecorder {
  public readonly resources: Recorded[] = [];
  /** Stack transforms the program registered (the mock monitor hands them over; it does not run them). */
  public readonly transforms: pulumi.ResourceTransform[] = [];
  /** @internal set by useMocks */
  public install: (options?: MockOptions) => Promise<void> = async () => {};

  /** Re-installs the mocks with other options for the current test (for example preview with unknowns). */
  public reinstall(options: MockOptions): Promise<void> {
    return this.install(options);
  }

  /** All recorded resources of `type`. */
  public ofType(type: string): Recorded[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The one recorded resource of `type` (and `name`, when given); throws when there is not exactly one. */
  public one(type: string, name?: string): Recorded {
    const found = this.ofType(type).filter((r) => name === undefined || r.name === name);
    if (found.length !== 1) {
      throw new Error(
        `expected exactly one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${this.resources
          .map((r) => `${r.type}::${r.name}`)
          .join(", ")}`,
      );
    }
    return found[0]!;
  }

  /** `type::name` of every recorded resource, sorted. */
  public summary(): string[] {
    return this.resources.map((r) => `${r.type}::${r.name}`).sort();
  }

  /** Waits until registrations stop arriving. */
  public async settle(): Promise<void> {
    let last = -1;
    let stable = 0;
    for (let i = 0; i < 400 && stable < 8; i++) {
      await new Promise((r) => setImmediate(r));
      if (this.resources.length === last) stable++;
      else {
        stable = 0;
        last = this.resources.length;
      }
    }
  }
}

/**
 * The ownership tags (`keyless:stack`, `keyless:component`) a component registered under {@link useMocks} puts on
 * what it creates: the mocks run project "keyless", stack "unit", with Pulumi's self-managed organization.
 *
 * @example
 * assert.deepEqual(inputs.tags, { app: "web", ...ownedBy("keyless:aws:SecureInstance::web") });
 */
export function ownedBy(component: string): Record<string, string> {
  return { "keyless:stack": "organization/keyless/unit", "keyless:component": component };
}

/**
 * Installs recording mocks before every test of the calling suite, and returns the recorder (cleared each time).
 * Call inside `describe`.
 */
export function useMocks(defaults: MockOptions = {}): MockRecorder {
  const recorder = new MockRecorder();
  const install = async (options: MockOptions = defaults) => {
    recorder.resources.length = 0;
    recorder.transforms.length = 0;
    await pulumi.runtime.setMocks(
      {
        registerTransform(transform: pulumi.ResourceTransform) {
          recorder.transforms.push(transform);
        },
        newResource(args: pulumi.runtime.MockResourceArgs) {
          recorder.resources.push({ type: args.type, name: args.name, inputs: args.inputs });
          const unknown = options.preview === true && options.unknownComputed === true;
          const state = unknown
            ? { ...args.inputs }
            : { ...args.inputs, ...computed(args.type, args.name, args.inputs) };
          return { id: unknown ? undefined : `${args.name}-id`, state };
        },
        call(args: pulumi.runtime.MockCallArgs) {
          if (args.token === "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider") {
            // An existing provider, as IAM lists it: the URL without scheme, the audience AWS's own clients use.
            const arn = oidcProviderArn(args.inputs.url);
            return { arn, id: arn, url: arn.split("oidc-provider/")[1], clientIdLists: ["sts.amazonaws.com"] };
          }
          if (args.token === "aws:index/getPartition:getPartition") {
            return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws", reverseDnsPrefix: "com.amazonaws" };
          }
          return args.inputs;
        },
      },
      "keyless",
      "unit",
      options.preview ?? false,
    );
  };
  recorder.install = install;
  beforeEach(() => install());
  return recorder;
}

/** The value of an output, or `undefined` when unknown (preview). Rejects when the output failed. */
export function resolved<T>(output: pulumi.Output<T>): Promise<T | undefined> {
  // biome-ignore lint/suspicious/noExplicitAny: reaching the SDK's internal promise is the only way to see rejections
  const internal = output as any;
  return Promise.all([internal.promise(), internal.isKnown]).then(([value, known]) => (known ? value : undefined));
}

/** Generates an AWS-shaped access key id at run time (never committed): `AKIA` + 16 random base32-ish characters. */
export function fakeAccessKeyId(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let s = "";
  for (let i = 0; i < 16; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return ["AK", "IA", s].join("");
}

/** Generates a 40-character secret-access-key-shaped string at run time. */
export function fakeSecretAccessKey(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let s = "";
  for (let i = 0; i < 40; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return s;
}

/** Asserts that `fn` throws a KeylessValidationError with `code` (and `argument`), and returns it. */
export function expectValidationError(
  fn: () => unknown,
  code: string,
  argument?: string,
): Error & { code: string; argument: string } {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  return checkValidationError(caught, code, argument);
}

/** Asserts that `promise` rejects with a KeylessValidationError with `code` (and `argument`), and returns it. */
export async function expectRejection(
  promise: Promise<unknown>,
  code: string,
  argument?: string,
): Promise<Error & { code: string; argument: string }> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  return checkValidationError(caught, code, argument);
}

function checkValidationError(
  caught: unknown,
  code: string,
  argument?: string,
): Error & { code: string; argument: string } {
  if (!(caught instanceof Error)) throw new Error(`expected a KeylessValidationError ${code}, nothing was thrown`);
  const err = caught as Error & { code?: string; argument?: string };
  if (err.name !== "KeylessValidationError" || err.code !== code) {
    throw new Error(`expected KeylessValidationError ${code}, got ${err.name} ${err.code ?? ""}: ${err.message}`);
  }
  if (argument !== undefined && err.argument !== argument) {
    throw new Error(`expected argument ${argument}, got ${err.argument}`);
  }
  return err as Error & { code: string; argument: string };
}

/**
 * Runs `program` and collects the errors that fail resource registrations at deploy time (an input whose apply
 * threw). The Pulumi SDK reports them as unhandled rejections, which the engine turns into a failed update.
 */
export async function deployFailures(recorder: MockRecorder, program: () => void): Promise<Error[]> {
  const errors: Error[] = [];
  const listener = (reason: unknown) => {
    if (reason instanceof Error) errors.push(reason);
  };
  const others = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", listener);
  try {
    program();
    await recorder.settle();
    await new Promise((r) => setTimeout(r, 20));
    await recorder.settle();
  } finally {
    process.off("unhandledRejection", listener);
    for (const l of others) process.on("unhandledRejection", l);
  }
  return errors;
}

/** Asserts that `errors` holds a KeylessValidationError with `code` (and `argument`). */
export function expectFailure(errors: readonly Error[], code: string, argument?: string): Error & { code: string } {
  const found = errors.find((e) => (e as { code?: string }).code === code);
  if (found === undefined) {
    throw new Error(
      `expected a deploy-time ${code}, got: ${errors.map((e) => `${e.name} ${e.message}`).join(" | ") || "none"}`,
    );
  }
  return checkValidationError(found, code, argument);
}
