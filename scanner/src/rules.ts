import type { FindingKind } from "./types";

/**
 * The kinds a rule can report (`undecodable-layer` comes from the decoders, the IAM kinds from `keyless-scan audit`,
 * not from a rule).
 */
export type CredentialKind = Extract<FindingKind, "aws-access-key-id" | "aws-secret-access-key" | "aws-session-token">;

/**
 * A detection rule as data, in the manner of gitleaks: what it finds, the context names that make a
 * value a credential, and samples that must (and must not) be found. Samples are templates: the test
 * suite replaces `{{ACCESS_KEY_ID}}`, `{{SECRET_ACCESS_KEY}}` and `{{SESSION_TOKEN}}` with values
 * generated at test time, so no key is ever committed.
 */
export interface Rule {
  readonly id: CredentialKind;
  /** Reads "Identified ...". */
  readonly description: string;
  /**
   * Context names, normalised (lower case, without `_`, `-`, `.`): a value assigned to a name that ends
   * with one of these is a credential of this kind.
   */
  readonly keywords: readonly string[];
  readonly truePositives: readonly string[];
  readonly falsePositives: readonly string[];
}

/** What each documented IAM unique-id prefix means. */
export interface KeyIdPrefix {
  readonly meaning: string;
  /** True for access key ids (reported anywhere); false for other unique ids (reported only when assigned to an access-key-id name). */
  readonly credential: boolean;
}

/**
 * IAM unique-id prefixes.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids
 */
export const keyIdPrefixes: Readonly<Record<string, KeyIdPrefix>> = {
  AKIA: { meaning: "long-lived IAM access key", credential: true },
  ASIA: { meaning: "temporary STS access key", credential: true },
  ABIA: { meaning: "STS service bearer token", credential: true },
  ACCA: { meaning: "context-specific credential", credential: true },
  AGPA: { meaning: "IAM user group id", credential: false },
  AIDA: { meaning: "IAM user id", credential: false },
  AIPA: { meaning: "EC2 instance profile id", credential: false },
  ANPA: { meaning: "managed policy id", credential: false },
  ANVA: { meaning: "managed policy version id", credential: false },
  APKA: { meaning: "public key id", credential: false },
  AROA: { meaning: "IAM role id", credential: false },
  ASCA: { meaning: "certificate id", credential: false },
};

/**
 * Base64 prefixes of STS session tokens (`IQoJb3JpZ2lu...` today, `FwoGZXIvYXdz...`, `FQoGZXIvYXdz...`
 * and `AQoDYXdz...` in older tokens): a long token starting with one of these is reported without context.
 */
export const sessionTokenPrefixes: readonly string[] = ["IQoJb3JpZ2lu", "FwoGZXIvYXdz", "FQoGZXIvYXdz", "AQoDYXdz"];

/**
 * What a key id that cannot be real looks like. An access key id is its prefix then 16 characters of base32 (`A-Z`,
 * `2-7`, as gitleaks' `aws-access-token` rule matches it since 8.x: `[A-Z2-7]{16}`); the rest are placeholders people
 * paste into `.env.example` files, docs and READMEs. The floors were measured on 2,000,000 random ids (none below any
 * of them): see the README, "What is a key and what is not".
 */
export const keyIdPlaceholder = {
  /**
   * Shannon entropy (bits per character) of the 16 characters after the prefix below which the id is filler or a mask
   * (`XXXXXXXXXXXXXXXX` 0, `IOSFODNNXXXXXXXX` 2.25, `AAAABBBBCCCCDDDD` 2.0). gitleaks puts its floor at 3.0 over all
   * 20 characters, which about one random id in 5,000 falls below (the prefix's repeated `A`); over the 16 random
   * characters alone the smallest of 2,000,000 random ids was 2.375.
   */
  minBodyEntropy: 2.3,
  /** A run of this many times one character is filler or a mask (a random id has one about once in 3 million). */
  maxRun: 6,
  /** A run of this many consecutive characters (`ABCDEFGH`, `234567..`, either way) is a sequence, not randomness. */
  maxSequence: 8,
  /** Words that mark a placeholder, in the 16 characters after the prefix (each at least 5 letters: random ids hold none). */
  words: ["ACCESSKEY", "YOURKEY", "REPLACE", "CHANGEME", "REDACTED", "PLACEHOLDER", "DUMMY", "FAKEKEY"],
} as const;

/**
 * What a secret access key that cannot be real looks like: a mask (a run of this many times one character, which a
 * random 40-character base64 secret has about once in 10^11) or a placeholder word, matched without case.
 */
export const secretPlaceholder = {
  maxRun: 8,
  words: ["secretaccesskey", "yoursecret", "secretkey", "placeholder", "changeme", "redacted", "replaceme"],
} as const;

export const accessKeyIdRule: Rule = {
  id: "aws-access-key-id",
  description: "Identified an AWS access key id",
  keywords: ["accesskeyid", "accesskey"],
  truePositives: [
    "{{ACCESS_KEY_ID}}",
    "export AWS_ACCESS_KEY_ID={{ACCESS_KEY_ID}}",
    'aws_access_key_id = "{{ACCESS_KEY_ID}}"',
    '{"AccessKeyId":"{{ACCESS_KEY_ID}}"}',
    "{{ACCESS_KEY_ID:ASIA}}",
    // The legacy credential file of the AWS CLI's predecessors: a key, not a signed link (no Expires, no Signature).
    "AWSAccessKeyId={{ACCESS_KEY_ID}}\nAWSSecretKey={{SECRET_ACCESS_KEY}}",
    // A query parameter that is not part of a credential scope.
    "https://example.com/callback?key={{ACCESS_KEY_ID}}&Credential=x",
  ],
  falsePositives: [
    "export AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable reference, on purpose
    "aws_access_key_id = ${ACCESS_KEY}",
    // An IAM role's unique id is not a credential.
    '"Condition": {"StringLike": {"aws:userid": "AROA{{UPPER16}}:*"}}',
    // Too short, too long, lower case.
    "id=AKIA{{UPPER15}}",
    "id=AKIA{{UPPER16}}Z",
    "id=akia{{LOWER16}}",
    // Cannot be real: a digit AWS never uses (0, 1, 8, 9), filler, a mask, an ascending sequence, a placeholder word.
    "AWS_ACCESS_KEY_ID=AKIA{{NOT_BASE32_16}}",
    "AWS_ACCESS_KEY_ID=AKIA{{FILLER16}}",
    "aws_access_key_id = ASIA{{MASKED16}}",
    "AWS_ACCESS_KEY_ID=AKIA{{ASCENDING16}}",
    // Split so that no scanner of this repository reads the placeholder as a key.
    ["AWS_ACCESS_KEY_ID=AKIA", "YOURACCESSKEYIDX"].join(""),
    ["AWS_ACCESS_KEY_ID=AKIA", "REPLACEWITHYOURS"].join(""),
    // The public half of a signed request: the SigV4 credential scope of a presigned URL (also percent-encoded) and of
    // an Authorization header as SDK debug logs print it, and a SigV2 presigned URL.
    "url=https://example.com/?X-Amz-Credential={{ACCESS_KEY_ID}}/20260101/us-east-1/s3/aws4_request",
    "https://b.s3.amazonaws.com/o?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={{ACCESS_KEY_ID}}%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature={{HEX64}}",
    "[DEBUG] Authorization: AWS4-HMAC-SHA256 Credential={{ACCESS_KEY_ID:ASIA}}/20260101/eu-west-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature={{HEX64}}",
    "https://b.s3.amazonaws.com/o?AWSAccessKeyId={{ACCESS_KEY_ID}}&Expires=1767225600&Signature={{RANDOM27}}%3D",
  ],
};

export const secretAccessKeyRule: Rule = {
  id: "aws-secret-access-key",
  description: "Identified an AWS secret access key",
  keywords: ["secretaccesskey", "awssecretkey", "awssecret", "secretkey"],
  truePositives: [
    "export AWS_SECRET_ACCESS_KEY={{SECRET_ACCESS_KEY}}",
    "aws configure set aws_secret_access_key {{SECRET_ACCESS_KEY}}",
    "aws_secret_access_key = {{SECRET_ACCESS_KEY}}",
    '{"SecretAccessKey": "{{SECRET_ACCESS_KEY}}"}',
    "Set-AWSCredential -AccessKey {{ACCESS_KEY_ID}} -SecretKey {{SECRET_ACCESS_KEY}}",
    'new AWS.Credentials("{{ACCESS_KEY_ID}}", "{{SECRET_ACCESS_KEY}}")',
    // A name/value pair (ECS task definitions, Kubernetes env): the label is the neighbouring field.
    '{"name": "AWS_SECRET_ACCESS_KEY", "value": "{{SECRET_ACCESS_KEY}}"}',
    "- name: AWS_SECRET_ACCESS_KEY\n  value: {{SECRET_ACCESS_KEY}}",
    // A signed URL beside it does not hide the secret.
    "https://b.s3.amazonaws.com/o?X-Amz-Credential={{ACCESS_KEY_ID}}%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature={{HEX64}}\nexport AWS_SECRET_ACCESS_KEY={{SECRET_ACCESS_KEY}}",
    // Labels that enclose the value: an HCL block, a TOML table, an INI section, a YAML parent key, an XML property.
    'provider "aws" {\n  region     = "us-east-1"\n  secret_key = "{{SECRET_ACCESS_KEY}}"\n}',
    'terraform {\n  backend "s3" {\n    bucket = "state"\n    secret_key = "{{SECRET_ACCESS_KEY}}"\n  }\n}',
    '[aws.credentials]\nregion = "us-east-1"\nsecret = "{{SECRET_ACCESS_KEY}}"',
    "[aws]\nregion=us-east-1\n; rotated quarterly\nsecret_key={{SECRET_ACCESS_KEY}}",
    "storage:\n  aws:\n    region: us-east-1\n    credentials:\n      secret: {{SECRET_ACCESS_KEY}}",
    "<property>\n  <name>fs.s3a.secret.key</name>\n  <value>{{SECRET_ACCESS_KEY}}</value>\n</property>",
    "<aws>\n  <region>us-east-1</region>\n  <secretKey>{{SECRET_ACCESS_KEY}}</secretKey>\n</aws>",
    "fs.s3a.secret.key={{SECRET_ACCESS_KEY}}",
  ],
  falsePositives: [
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable reference, on purpose
    "export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY}",
    "aws_secret_access_key = %AWS_SECRET_ACCESS_KEY%",
    "$env:AWS_SECRET_ACCESS_KEY = $env:VAULT_SECRET",
    "sha1sum: {{HEX40}}",
    "commit {{HEX40}}",
    // A 40-character random string with no AWS context.
    "checksum={{RANDOM40}}",
    // Secret-looking name, but not mixed case: not an AWS secret.
    "aws_secret_access_key = {{LOWER40}}",
    // A name/value pair whose name is not an AWS secret's.
    '{"name": "SIGNING_SALT", "value": "{{SECRET_ACCESS_KEY}}"}',
    // Placeholders: one character 40 times, a mask, a <your-...> placeholder.
    "AWS_SECRET_ACCESS_KEY={{FILLER40}}",
    "aws_secret_access_key = {{MASKED_SECRET}}",
    "AWS_SECRET_ACCESS_KEY=<your-secret-access-key>",
    // A placeholder word in a 40-character token (entropy alone would pass it).
    "aws_secret_access_key = YourSecretAccessKeyGoesHere{{RANDOM13}}",
    // The enclosing block, section or parent key names something other than AWS.
    'provider "google" {\n  secret_key = "{{SECRET_ACCESS_KEY}}"\n}',
    "[slack]\nsecret={{SECRET_ACCESS_KEY}}",
    "github:\n  secret: {{SECRET_ACCESS_KEY}}\naws:\n  region: us-east-1",
    "<property>\n  <name>oauth.client.secret</name>\n  <value>{{SECRET_ACCESS_KEY}}</value>\n</property>",
  ],
};

export const sessionTokenRule: Rule = {
  id: "aws-session-token",
  description: "Identified an AWS session token",
  keywords: ["sessiontoken", "securitytoken"],
  truePositives: [
    "export AWS_SESSION_TOKEN={{SESSION_TOKEN}}",
    "aws_session_token = {{SESSION_TOKEN}}",
    '"SessionToken": "{{SESSION_TOKEN}}"',
    "X-Amz-Security-Token: {{SESSION_TOKEN}}",
    '[{"value": "{{PLAIN_SESSION_TOKEN}}", "name": "AWS_SESSION_TOKEN"}]',
  ],
  falsePositives: [
    "export AWS_SESSION_TOKEN=$(curl -s http://169.254.169.254/latest/api/token)",
    "token: {{RANDOM120}}",
    // The public half of a signed request: the token travels in clear in a presigned URL and beside the
    // Authorization header; without the secret it signs nothing.
    "https://b.s3.amazonaws.com/o?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={{ACCESS_KEY_ID:ASIA}}%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token={{SESSION_TOKEN}}&X-Amz-Signature={{HEX64}}&X-Amz-SignedHeaders=host",
    "Authorization: AWS4-HMAC-SHA256 Credential={{ACCESS_KEY_ID:ASIA}}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-security-token, Signature={{HEX64}}\nX-Amz-Security-Token: {{SESSION_TOKEN}}",
  ],
};

/**
 * What an `undecodable-layer` finding means. It comes from the layer walker, not from a rule with
 * samples, but reports (SARIF) list it beside the rules under the same stable id.
 */
export const undecodableLayerRule = {
  id: "undecodable-layer",
  description:
    "Identified a layer the scanner could not open (decompression bomb, corrupt or unsupported compression, nesting or budget beyond the limits, file over the size cap): what could not be read could hide a key",
} as const;

/**
 * What a `web-identity-trust-unscoped` finding means. `keyless-scan audit` reports it for a role's trust policy, from
 * `webIdentityTrustFindings` of `@keyless/iam-rules`, the analysis the policy pack's `web-identity-trust-scoped` runs.
 */
export const webIdentityTrustRule = {
  id: "web-identity-trust-unscoped",
  description:
    "Identified an IAM role whose trust policy lets a web identity it does not name assume it: an OIDC provider (GitHub Actions, GitLab, Pulumi Cloud, EKS, another issuer) trusted without a condition that fixes the audience and pins the repository, project or service account, or with a pin a wildcard, a negated or absent-tolerant operator, a later list value or a duplicated JSON member leaves open; or EKS Pod Identity trusted without fixed session tags",
} as const;

/**
 * What an `oidc-provider-unused` finding means: `keyless-scan audit` reports an IAM OIDC provider no role trusts, as a
 * warning (it fails the audit only with `--fail-on-warnings`).
 */
export const oidcProviderUnusedRule = {
  id: "oidc-provider-unused",
  description:
    "Identified an IAM OIDC provider that no role in the account trusts as a Federated principal: attack surface (a role that trusts it can be added without anyone creating the provider, which is where a reviewer looks) and migration debris",
} as const;

/** Every rule, in reporting order. */
export const rules: readonly Rule[] = [accessKeyIdRule, secretAccessKeyRule, sessionTokenRule];
