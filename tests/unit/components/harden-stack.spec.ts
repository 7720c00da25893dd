import * as assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import {
  HARDEN_OPT_OUT_TAG,
  HardenedType,
  type HardenStackOptions,
  hardeningTransform,
  hardenStack,
  KeylessErrorCode,
  SecureInstance,
} from "@keyless/aws";
import { webIdentityTrustFindings } from "@keyless/iam-rules";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as runtimeState from "@pulumi/pulumi/runtime/state";
import {
  deployFailures,
  expectFailure,
  expectValidationError,
  fakeAccessKeyId,
  fakeSecretAccessKey,
  resolved,
  useMocks,
} from "../../support/mocks";

const INSTANCE = "aws:ec2/instance:Instance";
const TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
const FUNCTION = "aws:lambda/function:Function";
const ACCESS_KEY = "aws:iam/accessKey:AccessKey";
const ROLE = "aws:iam/role:Role";
const GITHUB = "token.actions.githubusercontent.com";
const GITHUB_PROVIDER = `arn:aws:iam::111122223333:oidc-provider/${GITHUB}`;

/** A trust policy for GitHub's provider with the audience fixed and `sub` under StringLike, as JSON text. */
function githubTrust(sub: string | string[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: GITHUB_PROVIDER },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: { [`${GITHUB}:aud`]: "sts.amazonaws.com" },
          StringLike: { [`${GITHUB}:sub`]: sub },
        },
      },
    ],
  });
}
const IMDSV2 = { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 };
const ami = "ami-0123456789abcdef0";

type Props = Record<string, unknown>;

/** Runs `transform` on one custom resource as the engine calls it; returns the new props, or undefined (unchanged). */
function transformed(transform: pulumi.ResourceTransform, type: string, name: string, props: Props): Props | undefined {
  const result = transform({ custom: true, type, name, props, opts: {} }) as pulumi.ResourceTransformResult | undefined;
  assert.ok(!(result instanceof Promise), "the transform answers synchronously");
  return result?.props as Props | undefined;
}

/** What the engine does with a stack transform: the transform's props become the inputs the resource registers. */
function registerThrough(
  transform: pulumi.ResourceTransform,
  cls: typeof aws.ec2.Instance | typeof aws.ec2.LaunchTemplate | typeof aws.lambda.Function | typeof aws.iam.Role,
  name: string,
  props: Props,
): void {
  const type = Reflect.get(cls, "__pulumiType") as string;
  const result = transformed(transform, type, name, props) ?? props;
  new (cls as unknown as new (n: string, p: Props) => pulumi.CustomResource)(name, result);
}

/** The hop limit the transform set (the props must have changed). */
function hopOf(props: Props | undefined): unknown {
  assert.ok(props !== undefined, "expected the transform to change the props");
  return (props["metadataOptions"] as Props)["httpPutResponseHopLimit"];
}

/** An engine-shaped secret: how a transform receives a secret input. */
function engineSecret(value: unknown): unknown {
  return { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value };
}

/** Userdata carrying a key pair, generated at run time. */
function leakyScript(): { script: string; keyId: string; secret: string } {
  const keyId = fakeAccessKeyId();
  const secret = fakeSecretAccessKey();
  return {
    keyId,
    secret,
    script: `#!/bin/bash\nexport AWS_ACCESS_KEY_ID=${keyId}\nexport AWS_SECRET_ACCESS_KEY=${secret}\n`,
  };
}

function assertNoValue(text: string, ...values: string[]): void {
  for (const v of values) assert.ok(!text.includes(v), "the message must not print the credential");
}

describe("hardenStack", () => {
  const mocks = useMocks();
  const logs: { info: string[]; warn: string[] } = { info: [], warn: [] };
  const original = { info: pulumi.log.info, warn: pulumi.log.warn };

  beforeEach(() => {
    logs.info = [];
    logs.warn = [];
    pulumi.log.info = async (msg: string) => void logs.info.push(msg);
    pulumi.log.warn = async (msg: string) => void logs.warn.push(msg);
  });
  afterEach(() => {
    pulumi.log.info = original.info;
    pulumi.log.warn = original.warn;
  });

  describe("options", () => {
    const cases: Array<[string, HardenStackOptions, string]> = [
      [
        "an unknown type",
        { types: [HardenedType.Instance, "aws:s3/bucket:Bucket" as HardenedType] },
        "options.types[1]",
      ],
      ["types that is not a list", { types: HardenedType.Instance as unknown as HardenedType[] }, "options.types"],
      ["an empty opt-out reason", { optOuts: { web: " " } }, "options.optOuts.web"],
      ["an opt-out reason with characters a tag refuses", { optOuts: { web: "because; drop" } }, "options.optOuts.web"],
      ["an opt-out that is not a reason", { optOuts: { web: true as unknown as string } }, "options.optOuts.web"],
      ["opt-outs that are not a map", { optOuts: ["web"] as unknown as Record<string, string> }, "options.optOuts"],
      [
        "a hop limit option that is neither a flag nor names",
        { containerMetadataAccess: 2 as unknown as boolean },
        "options.containerMetadataAccess",
      ],
      ["an unknown onViolation", { onViolation: "ignore" as "warn" }, "options.onViolation"],
      [
        "a non-boolean applyReplacingChanges",
        { applyReplacingChanges: "yes" as unknown as boolean },
        "options.applyReplacingChanges",
      ],
    ];
    for (const [what, options, argument] of cases) {
      it(`refuses ${what}, naming \`${argument}\`, before registering anything`, async () => {
        const err = expectValidationError(() => hardenStack(options), KeylessErrorCode.InvalidArgument, argument);
        assert.match(err.message, new RegExp(`\`${argument.replace(/[[\].]/g, "\\$&")}\``));
        await mocks.settle();
        assert.equal(mocks.transforms.length, 0);
        expectValidationError(() => hardeningTransform(options), KeylessErrorCode.InvalidArgument, argument);
      });
    }

    it("refuses options that are not an object", () => {
      expectValidationError(
        () => hardenStack("all" as HardenStackOptions),
        KeylessErrorCode.InvalidArgument,
        "options",
      );
    });
  });

  describe("registration", () => {
    it("registers one resource transform, which hardens what is registered after it", async () => {
      // GIVEN Pulumi's unit-test mocks, which hand a registered stack transform over (they do not run it)
      // WHEN
      hardenStack();
      await mocks.settle();
      // THEN exactly one transform was registered, and it is the hardening one
      assert.equal(mocks.transforms.length, 1);
      registerThrough(mocks.transforms[0]!, aws.ec2.Instance, "web", { ami, instanceType: "t3.micro" });
      await mocks.settle();
      assert.deepEqual(mocks.one(INSTANCE).inputs.metadataOptions, IMDSV2);
    });

    it("says what to do where the engine runs no transforms (mocks before @pulumi/pulumi 3.260)", () => {
      withoutTransformSupport(() =>
        assert.throws(
          () => hardenStack(),
          /hardenStack\(\) must run inside a Pulumi program .* hardeningTransform\(\)/,
        ),
      );
    });

    it("leaves other types and component resources alone", () => {
      const t = hardeningTransform();
      assert.equal(transformed(t, "aws:s3/bucket:Bucket", "b", { bucket: "b" }), undefined);
      const component = t({ custom: false, type: INSTANCE, name: "c", props: {}, opts: {} });
      assert.equal(component, undefined);
      assert.deepEqual(logs.info, []);
    });
  });

  describe("IMDSv2 metadata options", () => {
    it("an instance without metadata options gets IMDSv2 required, endpoint enabled, hop limit 1, and one log line", async () => {
      // GIVEN / WHEN
      registerThrough(hardeningTransform(), aws.ec2.Instance, "web", {
        ami,
        instanceType: "t3.micro",
        tags: { app: "web" },
      });
      await mocks.settle();
      // THEN
      const i = mocks.one(INSTANCE).inputs;
      assert.deepEqual(i.metadataOptions, IMDSV2);
      assert.deepEqual(i.tags, { app: "web" });
      assert.equal(logs.info.filter((l) => l.includes('"web"')).length, 1);
      assert.match(
        logs.info[0]!,
        /^hardenStack: aws:ec2\/instance:Instance "web": set metadataOptions httpTokens="required" \(was unset\), httpEndpoint="enabled" \(was unset\), httpPutResponseHopLimit=1 \(was unset\); advice: rootBlockDevice\.encrypted=true not applied: it replaces the instance \(applyReplacingChanges applies it\)$/,
      );
    });

    it("a launch template gets the same, and advice to make the hardened version the default", async () => {
      registerThrough(hardeningTransform(), aws.ec2.LaunchTemplate, "lt", { imageId: ami });
      await mocks.settle();
      assert.deepEqual(mocks.one(TEMPLATE).inputs.metadataOptions, IMDSV2);
      assert.equal(logs.info.length, 1);
      assert.match(
        logs.info[0]!,
        /aws:ec2\/launchTemplate:LaunchTemplate "lt": set .*; advice: set updateDefaultVersion/,
      );
      // with updateDefaultVersion there is nothing to advise
      logs.info = [];
      transformed(hardeningTransform(), TEMPLATE, "lt2", { updateDefaultVersion: true });
      assert.equal(logs.info.length, 1);
      assert.doesNotMatch(logs.info[0]!, /advice/);
    });

    it("raises weaker values and keeps the fields it does not own", () => {
      const props = transformed(hardeningTransform(), INSTANCE, "web", {
        metadataOptions: {
          httpTokens: "optional",
          httpPutResponseHopLimit: 3,
          instanceMetadataTags: "enabled",
          httpProtocolIpv6: "enabled",
        },
        rootBlockDevice: { encrypted: true },
      });
      assert.deepEqual(props?.["metadataOptions"], {
        ...IMDSV2,
        instanceMetadataTags: "enabled",
        httpProtocolIpv6: "enabled",
      });
      assert.match(logs.info[0]!, /httpTokens="required" \(was "optional"\).*httpPutResponseHopLimit=1 \(was 3\)/);
    });

    it("keeps values that are already as strict or stricter: no change, no log line", () => {
      const t = hardeningTransform();
      const strict = { metadataOptions: { ...IMDSV2 }, rootBlockDevice: { encrypted: true } };
      assert.equal(transformed(t, INSTANCE, "web", strict), undefined);
      assert.equal(transformed(t, TEMPLATE, "lt", { metadataOptions: { ...IMDSV2 } }), undefined);
      assert.deepEqual(logs.info, []);
      // no IMDS at all is stricter than IMDSv2: the endpoint stays disabled
      const off = transformed(t, TEMPLATE, "off", { metadataOptions: { httpEndpoint: "disabled" } });
      assert.deepEqual(off?.["metadataOptions"], {
        httpEndpoint: "disabled",
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
      });
    });

    it("sets hop limit 2 for container hosts, for all or by name, and keeps a stricter 1", () => {
      const all = hardeningTransform({ containerMetadataAccess: true });
      assert.equal(hopOf(transformed(all, INSTANCE, "a", {})), 2);
      const kept = transformed(all, INSTANCE, "b", { metadataOptions: { httpPutResponseHopLimit: 1 } });
      assert.equal(hopOf(kept), 1);
      const named = hardeningTransform({ containerMetadataAccess: ["ecs-hosts"] });
      assert.equal(hopOf(transformed(named, TEMPLATE, "ecs-hosts", {})), 2);
      assert.equal(hopOf(transformed(named, TEMPLATE, "web", {})), 1);
      const lowered = transformed(named, TEMPLATE, "web", {
        metadataOptions: { ...IMDSV2, httpPutResponseHopLimit: 2 },
      });
      assert.equal(hopOf(lowered), 1);
    });

    it("leaves values not known yet (preview) for the run that knows them", () => {
      const t = hardeningTransform();
      const partly = transformed(t, INSTANCE, "web", { metadataOptions: { httpTokens: pulumi.unknown } });
      const mo = partly?.["metadataOptions"] as Props;
      assert.ok(pulumi.isUnknown(mo["httpTokens"]));
      assert.equal(mo["httpPutResponseHopLimit"], 1);
      const whole = transformed(t, TEMPLATE, "lt", { metadataOptions: pulumi.unknown });
      assert.equal(whole, undefined);
    });

    it("hardens metadata options given as an Output inside its apply, and logs the change then", async () => {
      const props = transformed(hardeningTransform(), TEMPLATE, "lt", {
        metadataOptions: pulumi.output({ httpTokens: "optional" }),
        updateDefaultVersion: true,
      });
      assert.deepEqual(await resolved(props?.["metadataOptions"] as pulumi.Output<unknown>), IMDSV2);
      assert.equal(logs.info.length, 1);
      assert.match(
        logs.info[0]!,
        /"lt": set metadataOptions httpTokens="required" \(was "optional"\), httpEndpoint="enabled" \(was unset\), httpPutResponseHopLimit=1 \(was unset\)$/,
      );
    });

    it("keeps secret metadata options secret", () => {
      const props = transformed(hardeningTransform(), INSTANCE, "web", {
        metadataOptions: engineSecret({ httpTokens: "optional" }),
        rootBlockDevice: { encrypted: true },
      });
      const mo = props?.["metadataOptions"];
      assert.ok(pulumi.runtime.isRpcSecret(mo));
      assert.deepEqual(pulumi.runtime.unwrapRpcSecret(mo), IMDSV2);
    });

    it("only hardens the types asked for", () => {
      const t = hardeningTransform({ types: [HardenedType.LambdaFunction] });
      assert.equal(transformed(t, INSTANCE, "web", {}), undefined);
      assert.equal(transformed(t, TEMPLATE, "lt", {}), undefined);
      assert.equal(transformed(t, ACCESS_KEY, "key", { user: "ci" }), undefined);
    });
  });

  describe("credentials in user data and environments", () => {
    it("refuses an instance whose user data carries a key, with the same code and message as SecureInstance, never the value", () => {
      // GIVEN user data with a key pair
      const { script, keyId, secret } = leakyScript();
      // WHEN the transform sees it
      const err = expectValidationError(
        () => transformed(hardeningTransform(), INSTANCE, "web", { userData: script }),
        KeylessErrorCode.UserDataContainsCredentials,
        "web.userData",
      );
      // THEN the message is the component's, for the argument `web.userData`
      const component = expectValidationError(
        () => new SecureInstance("web", { ami, instanceType: "t3.micro", userData: script }),
        KeylessErrorCode.UserDataContainsCredentials,
        "userData",
      );
      assert.equal(err.message, component.message.replace("`userData`", "`web.userData`"));
      assertNoValue(err.message, keyId, secret);
    });

    it("passes user data without keys", () => {
      const props = transformed(hardeningTransform(), INSTANCE, "web", { userData: "#!/bin/bash\necho hi\n" });
      assert.equal(props?.["userData"], "#!/bin/bash\necho hi\n");
    });

    it("looks through base64 and gzip: userDataBase64 and launch template user data", () => {
      const { script, keyId } = leakyScript();
      const gz = gzipSync(Buffer.from(script)).toString("base64");
      const e1 = expectValidationError(
        () => transformed(hardeningTransform(), INSTANCE, "web", { userDataBase64: gz }),
        KeylessErrorCode.UserDataContainsCredentials,
        "web.userDataBase64",
      );
      assertNoValue(e1.message, keyId);
      expectValidationError(
        () => transformed(hardeningTransform(), TEMPLATE, "lt", { userData: Buffer.from(script).toString("base64") }),
        KeylessErrorCode.UserDataContainsCredentials,
        "lt.userData",
      );
      const clean = Buffer.from("#!/bin/bash\necho hi\n").toString("base64");
      assert.equal(transformed(hardeningTransform(), TEMPLATE, "ok", { userData: clean })?.["userData"], clean);
    });

    it("checks user data known only at deploy time inside its apply: the instance is never registered", async () => {
      const { script, keyId } = leakyScript();
      const errors = await deployFailures(mocks, () =>
        registerThrough(hardeningTransform(), aws.ec2.Instance, "web", {
          ami,
          instanceType: "t3.micro",
          userData: pulumi.secret(script),
        }),
      );
      const err = expectFailure(errors, KeylessErrorCode.UserDataContainsCredentials, "web.userData");
      assertNoValue(err.message, keyId);
      assert.equal(mocks.ofType(INSTANCE).length, 0);
    });

    it("passes clean user data known only at deploy time, still secret", async () => {
      const props = transformed(hardeningTransform(), INSTANCE, "web", { userData: pulumi.secret("#!/bin/bash\n") });
      const out = props?.["userData"] as pulumi.Output<string>;
      assert.equal(await resolved(out), "#!/bin/bash\n");
      assert.equal(await pulumi.isSecret(out), true);
    });

    it("scans secret user data as the engine hands it, and hands it back untouched when clean", () => {
      const { script } = leakyScript();
      expectValidationError(
        () => transformed(hardeningTransform(), INSTANCE, "web", { userData: engineSecret(script) }),
        KeylessErrorCode.UserDataContainsCredentials,
        "web.userData",
      );
      const clean = engineSecret("#!/bin/bash\n");
      assert.equal(transformed(hardeningTransform(), INSTANCE, "ok", { userData: clean })?.["userData"], clean);
    });

    it("leaves user data not known yet (preview) for the update, which sees it", () => {
      const props = transformed(hardeningTransform(), INSTANCE, "web", { userData: pulumi.unknown });
      assert.ok(pulumi.isUnknown(props?.["userData"]));
    });

    it("refuses a Lambda function whose environment carries a key, naming the variable", () => {
      const keyId = fakeAccessKeyId();
      const err = expectValidationError(
        () =>
          transformed(hardeningTransform(), FUNCTION, "fn", {
            environment: { variables: { STAGE: "prod", AWS_ACCESS_KEY_ID: keyId } },
          }),
        KeylessErrorCode.EnvironmentContainsCredentials,
        "fn.environment.variables.AWS_ACCESS_KEY_ID",
      );
      assert.match(err.message, /must not carry AWS credentials.*execution role/);
      assertNoValue(err.message, keyId);
    });

    it("refuses a secret key split from its context across variables", () => {
      const secret = fakeSecretAccessKey();
      const err = expectValidationError(
        () =>
          transformed(hardeningTransform(), FUNCTION, "fn", {
            environment: { variables: { AWS_SECRET_ACCESS_KEY: secret } },
          }),
        KeylessErrorCode.EnvironmentContainsCredentials,
      );
      assert.match(err.argument, /^fn\.environment\.variables/);
      assertNoValue(err.message, secret);
    });

    it("passes a clean environment unchanged, and functions without one", () => {
      const t = hardeningTransform();
      assert.equal(transformed(t, FUNCTION, "fn", { environment: { variables: { STAGE: "prod" } } }), undefined);
      assert.equal(transformed(t, FUNCTION, "bare", { runtime: "nodejs20.x" }), undefined);
      assert.deepEqual(logs.info, []);
    });

    it("checks environment variables known only at deploy time inside their apply", async () => {
      const keyId = fakeAccessKeyId();
      const props = transformed(hardeningTransform(), FUNCTION, "fn", {
        environment: { variables: { AWS_ACCESS_KEY_ID: pulumi.output(keyId), STAGE: "prod" } },
      });
      const env = props?.["environment"] as pulumi.Output<unknown>;
      await assert.rejects(resolved(env), (err: Error & { code?: string; argument?: string }) => {
        assert.equal(err.code, KeylessErrorCode.EnvironmentContainsCredentials);
        assert.equal(err.argument, "fn.environment.variables.AWS_ACCESS_KEY_ID");
        assertNoValue(err.message, keyId);
        return true;
      });
    });

    it("with onViolation warn, logs the refusal as a warning (never the value) and lets the resource through", () => {
      const { script, keyId, secret } = leakyScript();
      const props = transformed(hardeningTransform({ onViolation: "warn" }), INSTANCE, "web", { userData: script });
      assert.equal(props?.["userData"], script);
      assert.deepEqual(props?.["metadataOptions"], IMDSV2);
      assert.equal(logs.warn.length, 1);
      assert.match(
        logs.warn[0]!,
        /^hardenStack: aws:ec2\/instance:Instance "web": `web\.userData` must not carry AWS credentials.*\[UserDataContainsCredentials\]$/,
      );
      assertNoValue(logs.warn[0]!, keyId, secret);
    });
  });

  describe("access keys", () => {
    it("refuses an access key, naming it and the opt-out", () => {
      const err = expectValidationError(
        () => transformed(hardeningTransform(), ACCESS_KEY, "ci-key", { user: "ci" }),
        KeylessErrorCode.StaticAccessKey,
        "ci-key",
      );
      assert.match(
        err.message,
        /`ci-key` \(aws\.iam\.AccessKey\) must not be created.*optOuts: \{ "ci-key": "<why>" \}/,
      );
    });

    it("lets an access key opted out by name through, logging the reason", () => {
      const t = hardeningTransform({ optOuts: { "ci-key": "ticket SEC-9: on-prem CI until OIDC lands" } });
      assert.equal(transformed(t, ACCESS_KEY, "ci-key", { user: "ci" }), undefined);
      assert.deepEqual(logs.info, [
        'hardenStack: aws:iam/accessKey:AccessKey "ci-key": left as it is, opted out by options.optOuts: ticket SEC-9: on-prem CI until OIDC lands',
      ]);
      // another key is still refused
      expectValidationError(
        () => transformed(t, ACCESS_KEY, "other", { user: "ci" }),
        KeylessErrorCode.StaticAccessKey,
      );
    });

    it("with onViolation warn, warns instead", () => {
      assert.equal(
        transformed(hardeningTransform({ onViolation: "warn" }), ACCESS_KEY, "k", { user: "ci" }),
        undefined,
      );
      assert.equal(logs.warn.length, 1);
      assert.match(logs.warn[0]!, /\[StaticAccessKey\]$/);
    });
  });

  describe("roles trusting web identities", () => {
    it("refuses a role that trusts any GitHub repository, with the pack's finding and the opt-out", () => {
      // GIVEN a deploy role trusting `repo:*` (AWS itself accepts it)
      const trust = githubTrust("repo:*");
      // WHEN the transform sees it
      const err = expectValidationError(
        () => transformed(hardeningTransform(), ROLE, "deploy", { assumeRolePolicy: trust }),
        KeylessErrorCode.UnscopedWebIdentityTrust,
        "deploy.assumeRolePolicy",
      );
      // THEN the message is the shared analysis's, for this role, and says how to opt out
      const [finding] = webIdentityTrustFindings(trust);
      assert.ok(finding !== undefined);
      assert.ok(err.message.includes(`${finding.message} (UnscopedValue)`), err.message);
      assert.match(
        err.message,
        /^`deploy\.assumeRolePolicy` must not let a web identity it does not name assume the role: /,
      );
      assert.match(err.message, /optOuts: \{ "deploy": "<why>" \}.*\[UnscopedWebIdentityTrust\]$/);
    });

    it("passes scoped trust and service roles unchanged, with no log line", () => {
      const t = hardeningTransform();
      assert.equal(
        transformed(t, ROLE, "deploy", { assumeRolePolicy: githubTrust("repo:octo/app:ref:refs/heads/*") }),
        undefined,
      );
      const ec2 = JSON.stringify({
        Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
      });
      assert.equal(transformed(t, ROLE, "web", { assumeRolePolicy: ec2 }), undefined);
      assert.deepEqual([...logs.info, ...logs.warn], []);
    });

    it("reads the trust policy's text: a sub pin dropped by a duplicated operator is refused", () => {
      const text =
        `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"${GITHUB_PROVIDER}"},` +
        `"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"${GITHUB}:sub":"repo:octo/app:*"},` +
        `"StringEquals":{"${GITHUB}:aud":"sts.amazonaws.com"},"StringLike":{"${GITHUB}:aud":"sts.amazonaws.com"}}}]}`;
      const err = expectValidationError(
        () => transformed(hardeningTransform(), ROLE, "deploy", { assumeRolePolicy: text }),
        KeylessErrorCode.UnscopedWebIdentityTrust,
      );
      assert.match(err.message, /writes `StringLike` twice in `Statement\[0\]\.Condition`.*\(DuplicateMember\)/);
      assert.match(err.message, /\(NoSubjectCondition\)/);
      assert.match(err.message, /AWS itself also refuses this trust policy/);
    });

    it("reads an object-valued trust policy, and refuses EKS Pod Identity without its session tags", () => {
      const pod = {
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "pods.eks.amazonaws.com" },
            Action: ["sts:AssumeRole", "sts:TagSession"],
          },
        ],
      };
      const err = expectValidationError(
        () => transformed(hardeningTransform(), ROLE, "pods", { assumeRolePolicy: pod }),
        KeylessErrorCode.UnscopedWebIdentityTrust,
        "pods.assumeRolePolicy",
      );
      assert.match(err.message, /aws:RequestTag\/kubernetes-namespace.*aws:RequestTag\/kubernetes-service-account/);
    });

    it("checks a trust policy known only at deploy time inside its apply: the role is never registered", async () => {
      const errors = await deployFailures(mocks, () =>
        registerThrough(hardeningTransform(), aws.iam.Role, "deploy", {
          assumeRolePolicy: pulumi.output(githubTrust(["repo:octo/app:*", "*"])),
        }),
      );
      const err = expectFailure(errors, KeylessErrorCode.UnscopedWebIdentityTrust, "deploy.assumeRolePolicy");
      assert.match(err.message, /\(UnscopedValueInList\)/);
      assert.equal(mocks.ofType(ROLE).length, 0);
    });

    it("leaves a trust policy not known yet (preview), or holding an unknown, for the update that knows it", () => {
      const t = hardeningTransform();
      assert.equal(transformed(t, ROLE, "deploy", { assumeRolePolicy: pulumi.unknown }), undefined);
      // `repo:*` would be refused; the Sid not known yet makes the whole document wait for the update
      const withUnknown = JSON.parse(githubTrust("repo:*")) as { Statement: { Sid?: unknown }[] };
      withUnknown.Statement[0]!.Sid = pulumi.unknown;
      assert.equal(transformed(t, ROLE, "deploy", { assumeRolePolicy: withUnknown }), undefined);
    });

    it("leaves a trust policy that is not one to IAM, which refuses it", () => {
      assert.equal(transformed(hardeningTransform(), ROLE, "bad", { assumeRolePolicy: "{not json" }), undefined);
    });

    it("with onViolation warn, warns and lets the role through", () => {
      const trust = githubTrust("repo:*/app:*");
      const t = hardeningTransform({ onViolation: "warn" });
      assert.equal(transformed(t, ROLE, "deploy", { assumeRolePolicy: trust }), undefined);
      assert.equal(logs.warn.length, 1);
      assert.match(
        logs.warn[0]!,
        /^hardenStack: aws:iam\/role:Role "deploy": `deploy\.assumeRolePolicy` must not.*the owner is open.*\[UnscopedWebIdentityTrust\]$/,
      );
    });

    it("lets a role opted out by name or by its tag through, recording the reason as a tag", () => {
      const trust = githubTrust("repo:*");
      const reason = "ticket SEC-12: shared sandbox role until 2026-12";
      const props = transformed(hardeningTransform({ optOuts: { sandbox: reason } }), ROLE, "sandbox", {
        assumeRolePolicy: trust,
      });
      assert.deepEqual(props?.["tags"], { [HARDEN_OPT_OUT_TAG]: reason });
      assert.equal(props?.["assumeRolePolicy"], trust);
      assert.equal(
        transformed(hardeningTransform(), ROLE, "tagged", {
          assumeRolePolicy: trust,
          tags: { [HARDEN_OPT_OUT_TAG]: reason },
        }),
        undefined,
      );
    });

    it("only when roles are among the types asked for", () => {
      const t = hardeningTransform({ types: [HardenedType.Instance] });
      assert.equal(transformed(t, ROLE, "deploy", { assumeRolePolicy: githubTrust("repo:*") }), undefined);
    });
  });

  describe("opt-outs", () => {
    it("by name: the resource is left as it is, and the reason recorded as a tag", async () => {
      const { script } = leakyScript();
      const reason = "ticket OPS-42: vendor agent needs IMDSv1";
      registerThrough(hardeningTransform({ optOuts: { legacy: reason } }), aws.ec2.Instance, "legacy", {
        ami,
        instanceType: "t3.micro",
        metadataOptions: { httpTokens: "optional" },
        userData: script,
        tags: { app: "legacy" },
      });
      await mocks.settle();
      const i = mocks.one(INSTANCE).inputs;
      assert.deepEqual(i.metadataOptions, { httpTokens: "optional" });
      assert.deepEqual(i.tags, { app: "legacy", [HARDEN_OPT_OUT_TAG]: reason });
      assert.deepEqual(logs.info, [
        `hardenStack: aws:ec2/instance:Instance "legacy": left as it is, opted out by options.optOuts: ${reason}`,
      ]);
    });

    it("by name on a resource without tags, and with tags known only at deploy time", async () => {
      const t = hardeningTransform({ optOuts: { fn: "reason one", lt: "reason two" } });
      assert.deepEqual(transformed(t, FUNCTION, "fn", {})?.["tags"], { [HARDEN_OPT_OUT_TAG]: "reason one" });
      const later = transformed(t, TEMPLATE, "lt", { tags: pulumi.output({ team: "x" }) })?.["tags"];
      assert.deepEqual(await resolved(later as pulumi.Output<unknown>), {
        team: "x",
        [HARDEN_OPT_OUT_TAG]: "reason two",
      });
    });

    it("by the resource's own tag: nothing changes", () => {
      const tags = { [HARDEN_OPT_OUT_TAG]: "ticket OPS-7: appliance AMI without IMDSv2" };
      assert.equal(transformed(hardeningTransform(), TEMPLATE, "appliance", { tags }), undefined);
      assert.match(logs.info[0]!, /"appliance": left as it is, opted out by tag keyless:harden-opt-out: ticket OPS-7/);
      // tags known only at deploy time cannot opt out: the resource is hardened
      const later = transformed(hardeningTransform(), TEMPLATE, "later", { tags: pulumi.output(tags) });
      assert.deepEqual(later?.["metadataOptions"], IMDSV2);
      // a tag whose value is not known yet (preview) still opts out
      assert.equal(
        transformed(hardeningTransform(), TEMPLATE, "p", { tags: { [HARDEN_OPT_OUT_TAG]: pulumi.unknown } }),
        undefined,
      );
    });

    it("refuses an opt-out tag without a usable reason, naming the tag", () => {
      expectValidationError(
        () => transformed(hardeningTransform(), INSTANCE, "web", { tags: { [HARDEN_OPT_OUT_TAG]: "" } }),
        KeylessErrorCode.InvalidArgument,
        `web.tags["${HARDEN_OPT_OUT_TAG}"]`,
      );
    });
  });

  describe("changes that replace", () => {
    it("advises root volume encryption instead of replacing the instance", () => {
      const props = transformed(hardeningTransform(), INSTANCE, "web", {
        metadataOptions: { ...IMDSV2 },
        rootBlockDevice: { volumeSize: 20 },
      });
      assert.equal(props, undefined, "nothing changed");
      assert.equal(logs.info.length, 1);
      assert.match(
        logs.info[0]!,
        /"web": advice: rootBlockDevice\.encrypted=true not applied: it replaces the instance/,
      );
    });

    it("encrypts the root volume only with applyReplacingChanges, keeping its other settings", () => {
      const props = transformed(hardeningTransform({ applyReplacingChanges: true }), INSTANCE, "web", {
        metadataOptions: { ...IMDSV2 },
        rootBlockDevice: { volumeSize: 20, encrypted: false },
      });
      assert.deepEqual(props?.["rootBlockDevice"], { volumeSize: 20, encrypted: true });
      // That this replaces the instance is the engine's answer, not this transform's: shown by the integration test
      // (tests/integration/harden/harden-stack.spec.ts) from the steps of a preview and an update.
      assert.equal(logs.info.length, 1);
      assert.match(logs.info[0]!, /"web": set rootBlockDevice\.encrypted=true \(was false/);
    });
  });
});

/** Runs `fn` as if the engine ran no transforms, as the mocks of @pulumi/pulumi before 3.260 do. */
function withoutTransformSupport(fn: () => void): void {
  // The SDK's run state is internal: reached here only to stand in for an engine (or older mocks) without transforms.
  const store = (runtimeState as unknown as { getStore(): { supportsTransforms: boolean } }).getStore();
  const saved = store.supportsTransforms;
  store.supportsTransforms = false;
  try {
    fn();
  } finally {
    store.supportsTransforms = saved;
  }
}
