// `keyless-scan audit`'s web-identity inventory against LocalStack's IAM, through the real bin and the SDK's default
// chain: roles with scoped and unscoped trust in a GitHub Enterprise issuer (`token.actions.githubusercontent.com/<slug>`,
// random, so that no other spec's provider for the same URL collides: IAM holds one provider per URL), EKS Pod
// Identity without session tags, a trust whose text writes a member twice, and two OIDC providers, one trusted, one
// not (a random EKS cluster id). Other specs' roles and providers may be in the account: assertions are about ours.
import { randomBytes } from "node:crypto";
import {
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  DeleteOpenIDConnectProviderCommand,
  DeleteRoleCommand,
  IAMClient,
  ListOpenIDConnectProvidersCommand,
  paginateListRoles,
} from "@aws-sdk/client-iam";
import { localStackClientConfig, localStackRegion, requireLocalStack } from "@keyless/testing";
import { assertNoSecrets, check } from "../../support/policy-credentials";
import { runAudit } from "./support";

interface Entry {
  file: string;
  findings: {
    kind: string;
    level: string;
    description: string;
    fingerprint: string;
    iam?: { code: string; arn: string; issuer?: string; key?: string; value?: string; awsRefuses?: boolean };
  }[];
}

describe("keyless-scan audit: web-identity trust and OIDC providers against LocalStack", function () {
  this.timeout(300_000);
  const iam = new IAMClient(localStackClientConfig());
  const suffix = randomBytes(4).toString("hex");
  const github = `token.actions.githubusercontent.com/keyless-${suffix}`;
  const eks = `oidc.eks.${localStackRegion()}.amazonaws.com/id/${randomBytes(16).toString("hex").toUpperCase()}`;
  const providerArns: string[] = [];
  const roles: string[] = [];
  const name = (what: string) => `keyless-wi-${suffix}-${what}`;
  let githubArn = "";
  let doc: Entry[] = [];
  let status: number | null = null;
  let output = "";

  /** The audit as a user runs it: the bin, nothing but the SDK's standard settings. */
  function audit(args: readonly string[]) {
    const res = runAudit(args);
    assertNoSecrets(`${res.stdout}${res.stderr}`, "audit output");
    return res;
  }

  /** Deletes what this spec created; idempotent, so the last test and the safety net can both call it. */
  async function cleanUp(): Promise<void> {
    for (const role of roles) await iam.send(new DeleteRoleCommand({ RoleName: role })).catch(() => undefined);
    for (const arn of providerArns) {
      await iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })).catch(() => undefined);
    }
  }

  async function createRole(what: string, trust: string): Promise<void> {
    const role = name(what);
    await iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: trust }));
    roles.push(role);
  }

  before(async () => {
    await requireLocalStack(["iam"]);
    // GIVEN two providers: GitHub Enterprise's (the roles trust it) and an EKS cluster's (no role trusts it)
    for (const url of [github, eks]) {
      const p = await iam.send(
        new CreateOpenIDConnectProviderCommand({
          Url: `https://${url}`,
          ClientIDList: ["sts.amazonaws.com"],
          ThumbprintList: [randomBytes(20).toString("hex")],
        }),
      );
      providerArns.push(p.OpenIDConnectProviderArn ?? "");
    }
    githubArn = providerArns[0] ?? "";
    const trust = (condition: string) =>
      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"${githubArn}"},` +
      `"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"${github}:aud":"sts.amazonaws.com"},${condition}}}]}`;
    // AND a role scoped to one environment of one repository, and its unscoped twin (any repository)
    await createRole("scoped", trust(`"StringLike":{"${github}:sub":"repo:octo/app:environment:prod"}`));
    await createRole("any-repo", trust(`"StringLike":{"${github}:sub":"repo:*"}`));
    // AND one whose text writes StringLike twice: a reviewer reads the first pin, IAM keeps the second
    await createRole(
      "duplicate",
      trust(
        `"StringLike":{"${github}:sub":"repo:octo/app:ref:refs/heads/main"},"StringLike":{"${github}:sub":"repo:octo/app:environment:prod"}`,
      ),
    );
    // AND EKS Pod Identity without session tags
    await createRole(
      "pods",
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "pods.eks.amazonaws.com" },
            Action: ["sts:AssumeRole", "sts:TagSession"],
          },
        ],
      }),
    );

    // WHEN the audit runs
    const res = audit(["--format", "json"]);
    status = res.status;
    output = `${res.stdout}${res.stderr}`;
    check(status === 1, `exit ${status}: ${res.stderr}`);
    doc = JSON.parse(res.stdout) as Entry[];
  });

  after(cleanUp);

  const role = (what: string) => doc.find((e) => e.file === `iam/role/${name(what)}/trust-policy`);

  it("names the role trusting any repository, with the issuer, the value and its ARN, and not its scoped twin", () => {
    const f = role("any-repo")?.findings[0];
    check(
      f?.kind === "web-identity-trust-unscoped" &&
        f.level === "error" &&
        f.iam?.code === "UnscopedValue" &&
        f.iam.issuer === github &&
        f.iam.value === "repo:*" &&
        f.iam.awsRefuses === false &&
        f.iam.arn.endsWith(`:role/${name("any-repo")}`) &&
        f.description.startsWith(`Role ${name("any-repo")}: statement 0 trusts ${github} with `),
      JSON.stringify(role("any-repo")),
    );
    check(role("scoped") === undefined, JSON.stringify(role("scoped")));
  });

  it("reports the member written twice: ListRoles returns the text as stored, not re-serialised", () => {
    const f = role("duplicate")?.findings;
    check(
      f?.length === 1 && f[0]?.iam?.code === "DuplicateMember" && f[0].iam.key === "StringLike",
      JSON.stringify(role("duplicate")),
    );
  });

  it("names Pod Identity without fixed namespace, service account and cluster tags", () => {
    check(
      role("pods")
        ?.findings.map((f) => `${f.iam?.code} ${f.iam?.key}`)
        .join() ===
        [
          "PodIdentityTagUnbounded aws:RequestTag/kubernetes-namespace",
          "PodIdentityTagUnbounded aws:RequestTag/kubernetes-service-account",
          "PodIdentityTagUnbounded aws:RequestTag/eks-cluster-arn",
        ].join(),
      JSON.stringify(role("pods")),
    );
  });

  it("names the provider no role trusts, as a warning, and not the one the roles trust", () => {
    const unused = doc.find((e) => e.file === `iam/oidc-provider/${eks}`)?.findings[0];
    check(
      unused?.kind === "oidc-provider-unused" &&
        unused.level === "warning" &&
        unused.iam?.arn === providerArns[1] &&
        unused.description.includes(`IAM OIDC provider ${eks} (${providerArns[1]}`),
      output,
    );
    check(!doc.some((e) => e.file === `iam/oidc-provider/${github}`), "the trusted provider is not named");
  });

  it("gives the same fingerprints on a second run", () => {
    const ours = (d: Entry[]) =>
      d
        .filter((e) => e.file.includes(suffix) || e.file.includes(eks))
        .flatMap((e) => e.findings.map((f) => `${e.file} ${f.fingerprint}`))
        .join("\n");
    const again = JSON.parse(audit(["--format", "json"]).stdout) as Entry[];
    check(ours(doc) !== "" && ours(again) === ours(doc), `${ours(doc)}\n---\n${ours(again)}`);
  });

  it("deletes every role and provider it created", async () => {
    await cleanUp();
    const left: string[] = [];
    for await (const page of paginateListRoles({ client: iam }, {})) {
      for (const r of page.Roles ?? []) if (r.RoleName?.startsWith(`keyless-wi-${suffix}-`)) left.push(r.RoleName);
    }
    const providers = await iam.send(new ListOpenIDConnectProvidersCommand({}));
    for (const p of providers.OpenIDConnectProviderList ?? [])
      if (providerArns.includes(p.Arn ?? "")) left.push(p.Arn ?? "");
    check(left.length === 0, `left behind: ${left.join(", ")}`);
  });
});
