import { gzipSync } from "node:zlib";
import {
  environmentResourceTypes,
  noIamAccessKeys,
  noStaticCredentialsInEnvironment,
  noStaticCredentialsInUserData,
  policies,
  userDataResourceTypes,
} from "@keyless/policy-pack/policies";
import * as aws from "@pulumi/aws";
import {
  assertHasViolation,
  assertNotApplicable,
  assertNoViolations,
  assertUndecided,
  createResourceValidationArgs,
  runResourcePolicy,
  typeToken,
  UNKNOWN,
} from "../support/policy";
import { assertNoSecrets, check, credentials, plainSessionToken } from "../support/policy-credentials";

const creds = credentials();
const dirty = `#!/bin/bash\nexport AWS_ACCESS_KEY_ID=${creds.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${creds.secretAccessKey}\n`;
const clean = "#!/bin/bash\nyum install -y nginx\n";
const b64 = (s: string | Buffer): string => Buffer.from(s).toString("base64");

describe("#no-static-credentials-in-user-data", () => {
  const policy = noStaticCredentialsInUserData;
  const run = (type: Parameters<typeof typeToken>[0], props: Record<string, unknown>, config = {}) =>
    runResourcePolicy(policy, createResourceValidationArgs(type, props, policy, config));

  it("covers every @pulumi/aws type that carries user data", () => {
    for (const cls of [
      aws.ec2.Instance,
      aws.ec2.LaunchTemplate,
      aws.ec2.LaunchConfiguration,
      aws.ec2.SpotInstanceRequest,
      aws.ec2.SpotFleetRequest,
      aws.lightsail.Instance,
      aws.imagebuilder.ImageRecipe,
    ]) {
      check(userDataResourceTypes.includes(typeToken(cls)), `${typeToken(cls)} covered`);
    }
  });

  it("passes clean user data", async () => {
    assertNoViolations(await run(aws.ec2.Instance, { userData: clean }));
    assertNoViolations(await run(aws.ec2.LaunchTemplate, { userData: b64(clean) }));
  });

  it("flags keys in Instance.userData", async () => {
    const o = await run(aws.ec2.Instance, { userData: dirty });
    assertHasViolation(o, {
      message: "`userData` must not contain static AWS credentials: AWS access key id at raw, line 2",
    });
    assertHasViolation(o, { message: "AWS secret access key at raw, line 3" });
  });

  it("flags keys in gzip inside Instance.userDataBase64", async () => {
    const o = await run(aws.ec2.Instance, { userDataBase64: b64(gzipSync(dirty)) });
    assertHasViolation(o, {
      message: "`userDataBase64` must not contain static AWS credentials: AWS access key id at base64 > gzip",
    });
  });

  it("flags keys in LaunchTemplate.userData (base64)", async () => {
    assertHasViolation(await run(aws.ec2.LaunchTemplate, { userData: b64(dirty) }), { message: "at base64, line 2" });
  });

  it("flags launch configurations, spot requests, spot fleets, Lightsail and Image Builder", async () => {
    assertHasViolation(await run(aws.ec2.LaunchConfiguration, { userData: dirty }), { message: "`userData`" });
    assertHasViolation(await run(aws.ec2.SpotInstanceRequest, { userDataBase64: b64(dirty) }), {
      message: "`userDataBase64`",
    });
    assertHasViolation(
      await run(aws.ec2.SpotFleetRequest, { launchSpecifications: [{ userData: clean }, { userData: dirty }] }),
      { message: "`launchSpecifications[1].userData`" },
    );
    assertHasViolation(await run(aws.lightsail.Instance, { userData: dirty }), { message: "`userData`" });
    assertHasViolation(await run(aws.imagebuilder.ImageRecipe, { userDataBase64: b64(dirty) }), {
      message: "`userDataBase64`",
    });
  });

  it("never repeats the secret (values marked secret reach policies in plain text)", async () => {
    const o = await run(aws.ec2.Instance, { userData: dirty, userDataBase64: b64(gzipSync(dirty)) });
    check(o.violations.length === 2, `${o.violations.length} violations`);
    assertNoSecrets(JSON.stringify(o.violations), "violation messages");
  });

  it("shows no character of a session token in its messages", async () => {
    // GIVEN user data holding temporary credentials: STS's token, and one without the prefix, found by its name
    const temporary = credentials(undefined, "ASIA");
    const plain = plainSessionToken();
    const script =
      `#!/bin/bash\nexport AWS_ACCESS_KEY_ID=${temporary.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${temporary.secretAccessKey}\n` +
      `export AWS_SESSION_TOKEN=${temporary.sessionToken}\naws_session_token = ${plain}\n`;
    // WHEN the policy judges it, raw and gzipped
    const o = await run(aws.ec2.Instance, { userData: script, userDataBase64: b64(gzipSync(script)) });
    // THEN both fields are flagged for the tokens, and no message holds any of a token's first or last four characters
    const messages = o.violations.map((v) => v.message);
    check(
      messages.length === 2 && messages.every((m) => (m.match(/AWS session token at/g) ?? []).length === 2),
      "both fields flagged, each for two session tokens",
    );
    for (const token of [temporary.sessionToken, plain, temporary.secretAccessKey]) {
      const shown = messages.some((m) => m.includes(token.slice(0, 4)) || m.includes(token.slice(-4)));
      check(!shown, "a message shows four characters of a session token or a secret key");
    }
    assertNoSecrets(JSON.stringify(o.violations), "violation messages");
  });

  it("is not applicable to other types", async () => {
    assertNotApplicable(await run(aws.s3.Bucket, { bucket: "x" }));
  });

  it("leaves unknown user data to an advisory note during preview by default", async () => {
    assertUndecided(await run(aws.ec2.Instance, { userData: UNKNOWN }));
  });

  it("fails an undecidable preview with failOnUnknown", async () => {
    const o = await run(aws.ec2.Instance, { userData: UNKNOWN }, { failOnUnknown: true });
    assertHasViolation(o, { message: "`userData` is unknown during preview" });
  });

  it("still reports a known field when another is unknown", async () => {
    const o = await run(aws.ec2.Instance, { userData: dirty, userDataBase64: UNKNOWN });
    check(o.unknown !== undefined, "unknown recorded");
    assertHasViolation(o, { message: "`userData` must not contain" });
  });
});

describe("#no-static-credentials-in-environment", () => {
  const policy = noStaticCredentialsInEnvironment;
  const run = (type: Parameters<typeof typeToken>[0], props: Record<string, unknown>, config = {}) =>
    runResourcePolicy(policy, createResourceValidationArgs(type, props, policy, config));
  const happyLambda = () => ({ environment: { variables: { LOG_LEVEL: "info", AWS_REGION_HINT: "eu-west-1" } } });

  it("covers Lambda, ECS, Batch, App Runner, CodeBuild and Beanstalk", () => {
    for (const cls of [
      aws.lambda.Function,
      aws.ecs.TaskDefinition,
      aws.batch.JobDefinition,
      aws.apprunner.Service,
      aws.codebuild.Project,
      aws.elasticbeanstalk.Environment,
    ]) {
      check(environmentResourceTypes.includes(typeToken(cls)), `${typeToken(cls)} covered`);
    }
  });

  it("passes clean Lambda variables", async () => {
    assertNoViolations(await run(aws.lambda.Function, happyLambda()));
  });

  it("flags a Lambda secret assigned by name", async () => {
    const props = happyLambda();
    (props.environment.variables as Record<string, string>)["AWS_SECRET_ACCESS_KEY"] = creds.secretAccessKey;
    const o = await run(aws.lambda.Function, props);
    assertHasViolation(o, {
      message: "`environment.variables` must not contain static AWS credentials: AWS secret access key",
    });
    assertNoSecrets(JSON.stringify(o.violations), "violations");
  });

  it("flags ECS container environment, even under unrelated names next to a key id", async () => {
    const defs = JSON.stringify([
      {
        name: "app",
        image: "app:1",
        environment: [
          { name: "ID", value: creds.accessKeyId },
          { name: "S", value: creds.secretAccessKey },
        ],
      },
    ]);
    const o = await run(aws.ecs.TaskDefinition, { family: "app", containerDefinitions: defs });
    assertHasViolation(o, { message: "AWS access key id" });
    assertHasViolation(o, { message: "AWS secret access key" });
  });

  it("flags keys in an ECS command line and in Batch container properties", async () => {
    const defs = JSON.stringify([
      { name: "app", command: ["sh", "-c", `AWS_SECRET_ACCESS_KEY=${creds.secretAccessKey} ./run`] },
    ]);
    assertHasViolation(await run(aws.ecs.TaskDefinition, { containerDefinitions: defs }), {
      message: "`containerDefinitions`",
    });
    const props = JSON.stringify({
      image: "x",
      environment: [{ name: "AWS_ACCESS_KEY_ID", value: creds.accessKeyId }],
    });
    assertHasViolation(await run(aws.batch.JobDefinition, { containerProperties: props }), {
      message: "`containerProperties`",
    });
  });

  it("flags App Runner, CodeBuild plaintext and Beanstalk settings; ignores CodeBuild references", async () => {
    assertHasViolation(
      await run(aws.apprunner.Service, {
        sourceConfiguration: {
          imageRepository: {
            imageConfiguration: { runtimeEnvironmentVariables: { AWS_ACCESS_KEY_ID: creds.accessKeyId } },
          },
        },
      }),
      { message: "runtimeEnvironmentVariables" },
    );
    assertHasViolation(
      await run(aws.codebuild.Project, {
        environment: { environmentVariables: [{ name: "AWS_SECRET_ACCESS_KEY", value: creds.secretAccessKey }] },
      }),
      { message: "`environment.environmentVariables`" },
    );
    assertNoViolations(
      await run(aws.codebuild.Project, {
        environment: {
          environmentVariables: [{ name: "AWS_ACCESS_KEY_ID", value: creds.accessKeyId, type: "PARAMETER_STORE" }],
        },
      }),
    );
    assertHasViolation(
      await run(aws.elasticbeanstalk.Environment, {
        settings: [
          {
            namespace: "aws:elasticbeanstalk:application:environment",
            name: "AWS_ACCESS_KEY_ID",
            value: creds.accessKeyId,
          },
        ],
      }),
      { message: "`settings`" },
    );
  });

  it("handles unknown environments as configured", async () => {
    assertUndecided(await run(aws.lambda.Function, { environment: UNKNOWN }));
    assertHasViolation(await run(aws.lambda.Function, { environment: UNKNOWN }, { failOnUnknown: true }), {
      message: "is unknown during preview",
    });
  });

  it("shows no character of a session token in its messages", async () => {
    // GIVEN a Lambda function whose variables hold a session token, with STS's prefix and without
    const props = happyLambda();
    const temporary = credentials(undefined, "ASIA");
    const plain = plainSessionToken();
    Object.assign(props.environment.variables as Record<string, string>, {
      AWS_SESSION_TOKEN: temporary.sessionToken,
      AWS_SECURITY_TOKEN: plain,
    });
    // WHEN / THEN it is flagged, and the message holds none of either token's first or last four characters
    const o = await run(aws.lambda.Function, props);
    const message = o.violations.map((v) => v.message).join("\n");
    check(/AWS session token/.test(message), "the token is flagged");
    for (const token of [temporary.sessionToken, plain]) {
      check(
        !message.includes(token.slice(0, 4)) && !message.includes(token.slice(-4)),
        "a message shows four characters of a session token",
      );
    }
    assertNoSecrets(message, "violations");
  });

  it("is not applicable to other types", async () => {
    assertNotApplicable(await run(aws.ec2.Instance, {}));
  });
});

describe("#no-iam-access-keys", () => {
  const policy = noIamAccessKeys;
  const run = (props: Record<string, unknown>, config = {}) =>
    runResourcePolicy(policy, createResourceValidationArgs(aws.iam.AccessKey, props, policy, config));

  it("flags any access key by default", async () => {
    assertHasViolation(await run({ user: "ci" }), { message: "IAM access keys must not be created" });
  });

  it("allows allowlisted users only", async () => {
    assertNoViolations(await run({ user: "ci" }, { allowedUsers: ["ci"] }));
    assertHasViolation(await run({ user: "app" }, { allowedUsers: ["ci"] }), {
      message: "user `app` is not in `allowedUsers`",
    });
  });

  it("cannot decide an unknown user against an allowlist during preview", async () => {
    assertUndecided(await run({ user: UNKNOWN }, { allowedUsers: ["ci"] }));
    assertHasViolation(await run({ user: UNKNOWN }, { allowedUsers: ["ci"], failOnUnknown: true }), {
      message: "unknown during preview",
    });
  });

  it("is not applicable to other types", async () => {
    assertNotApplicable(await runResourcePolicy(policy, createResourceValidationArgs(aws.iam.User, {}, policy)));
  });
});

describe("pack", () => {
  it("has the nine policies with kebab-case names, 'Checks whether' descriptions and valid levels", () => {
    check(policies.length === 9, `${policies.length} policies`);
    for (const p of policies) {
      check(/^[a-z0-9]+(-[a-z0-9]+)*$/.test(p.name), p.name);
      check(p.description.startsWith("Checks whether"), p.name);
      check(
        p.enforcementLevel === "mandatory" || ["instance-profile-required", "exemptions-in-use"].includes(p.name),
        `${p.name} level`,
      );
      check(p.configSchema?.properties["enforcementLevel"] === undefined, `${p.name} schema`);
    }
  });
});
