// `keyless-scan audit`'s web-identity inventory: the IAM roles whose trust policy lets a web identity it does not name
// assume them, and the IAM OIDC providers no role trusts. The judgement is `webIdentityTrustFindings` of
// @keyless/iam-rules, the analysis the policy pack's web-identity-trust-scoped and hardenStack() run: never a copy.
import { createHmac } from "node:crypto";
import type { AuditResult, CommandName } from "./audit";
import type { Finding, IamFindingDetail } from "./types";

/** How the inventory reads IAM: built by `audit()` on its IAM client, so errors fail the audit as every read does. */
export interface IamReader {
  /** Every page of a listing that pages with `Marker` (IAM's). */
  pages(name: CommandName, input: object, what: string): Promise<Record<string, unknown>[]>;
  /** One call that must succeed (a listing). */
  send(name: CommandName, input: object, what: string): Promise<Record<string, unknown>>;
  /** One call about one resource; `undefined` when it was deleted since it was listed (`NoSuchEntity`). */
  read(name: CommandName, input: object, what: string): Promise<Record<string, unknown> | undefined>;
  /** `fn` over `items`, at most `--concurrency` at a time, keeping their order. */
  map<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]>;
}

/** The code of a trust policy keyless could not read: reported, and failing, like an unscoped one. */
export const TRUST_POLICY_UNREADABLE = "TrustPolicyUnreadable";
/** The code of an `oidc-provider-unused` finding. */
export const OIDC_PROVIDER_UNUSED = "OidcProviderUnused";

interface Role {
  readonly RoleName?: string;
  readonly Arn?: string;
  readonly AssumeRolePolicyDocument?: string;
}

/**
 * The fingerprint of an IAM finding: HMAC-SHA-256 of the kind, the role's or provider's ARN and where in its trust
 * the reason sits (code, statement, issuer, key, value index). Never the value: `ForeignTokenAdmitted`'s is made up
 * anew on each run, and the fingerprint must stay the same between runs for a baseline to keep matching.
 */
function fingerprint(
  kind: Finding["kind"],
  d: IamFindingDetail,
  valueIndex: number | undefined,
  key: string | Uint8Array,
) {
  const parts = [kind, d.arn, d.code, d.statement ?? "", d.issuer ?? "", d.key ?? "", valueIndex ?? ""];
  return createHmac("sha256", key).update(parts.join("\0")).digest("hex").slice(0, 32);
}

/** Who a trust finding is about, for the message: the issuer, EKS Pod Identity, or every web identity. */
function trusted(issuer: string, kind: string): string {
  if (kind === "eks-pod-identity") return `EKS Pod Identity (${issuer})`;
  return issuer === "*" ? "every web identity" : issuer;
}

/**
 * The web-identity findings of the account: one `web-identity-trust-unscoped` result per role whose trust admits a
 * web identity it does not name (`iam/role/<name>/trust-policy`), then one `oidc-provider-unused` result per IAM OIDC
 * provider whose ARN no role's trust names as a `Federated` principal of an Allow statement
 * (`iam/oidc-provider/<host/path>`). `ListRoles` holds each role's trust policy as IAM stores it (URL-encoded on AWS),
 * so members written twice are still there to be reported.
 */
export async function webIdentityInventory(
  iam: IamReader,
  fingerprintKey: string | Uint8Array,
  progress: (line: string) => void,
): Promise<Pick<AuditResult, "file" | "findings">[]> {
  // Loaded here, not at the top: scanning files (and the pre-commit hook, installed without the workspace packages)
  // never needs it.
  const rules = require("@keyless/iam-rules") as typeof import("@keyless/iam-rules");
  const roles = (await iam.pages("ListRoles", { MaxItems: 1000 }, "iam roles")).flatMap(
    (p) => (p["Roles"] as Role[] | undefined) ?? [],
  );
  progress(`iam: ${roles.length} roles`);
  const results: Pick<AuditResult, "file" | "findings">[] = [];
  const used = new Set<string>();
  for (const role of roles) {
    const name = role.RoleName ?? "";
    const arn = role.Arn ?? "";
    const text = role.AssumeRolePolicyDocument ?? "";
    const findings: Finding[] = [];
    try {
      for (const id of rules.trustedFederatedPrincipals(text)) used.add(id);
      for (const f of rules.webIdentityTrustFindings(text)) {
        const iamDetail: IamFindingDetail = {
          code: f.code,
          arn,
          issuer: f.issuer,
          statement: f.statement.index,
          ...(f.key === undefined ? {} : { key: f.key }),
          ...(f.value === undefined ? {} : { value: f.value }),
          awsRefuses: f.awsRefuses,
        };
        const aws = f.awsRefuses
          ? " The role predates that check: it keeps its trust until the trust is next updated."
          : " AWS itself accepts this trust policy.";
        findings.push({
          kind: "web-identity-trust-unscoped",
          layer: "IAM",
          line: 1,
          preview: "",
          // Every message but a duplicated member's names the issuer already.
          description: `Role ${name}${f.code === rules.WebIdentityFindingCode.DuplicateMember ? `, trusting ${trusted(f.issuer, f.issuerKind)}` : ""}: ${f.message}${aws}`,
          fingerprint: fingerprint("web-identity-trust-unscoped", iamDetail, f.valueIndex, fingerprintKey),
          iam: iamDetail,
        });
      }
    } catch (err) {
      if (!(err instanceof rules.TrustPolicyError)) throw err;
      // What keyless cannot read could admit anyone: fail closed, as for an undecodable layer.
      const iamDetail: IamFindingDetail = { code: TRUST_POLICY_UNREADABLE, arn };
      findings.push({
        kind: "web-identity-trust-unscoped",
        layer: "IAM",
        line: 1,
        preview: "",
        description:
          `Role ${name}: keyless could not read its trust policy (${err.message.replace(/\.$/, "")}), so cannot tell whether it lets a ` +
          `web identity it does not name assume the role: read it (aws iam get-role --role-name ${name}) and fix it.`,
        fingerprint: fingerprint("web-identity-trust-unscoped", iamDetail, undefined, fingerprintKey),
        iam: iamDetail,
      });
    }
    if (findings.length > 0) results.push({ file: `iam/role/${name}/trust-policy`, findings });
  }

  const providers = (
    (await iam.send("ListOpenIDConnectProviders", {}, "iam oidc providers"))["OpenIDConnectProviderList"] as
      | { Arn?: string }[]
      | undefined
  )
    ?.map((p) => p.Arn ?? "")
    .filter((a) => a !== "" && !used.has(a));
  let done = 0;
  const unused = await iam.map(providers ?? [], async (arn) => {
    const p = await iam.read("GetOpenIDConnectProvider", { OpenIDConnectProviderArn: arn }, `iam oidc provider ${arn}`);
    progress(`iam: oidc providers ${++done}/${providers?.length ?? 0}`);
    return p === undefined ? undefined : { arn, provider: p };
  });
  for (const u of unused) {
    if (u === undefined) continue; // deleted since it was listed
    const url = rules.issuerHostPath(typeof u.provider["Url"] === "string" ? u.provider["Url"] : u.arn);
    const audiences = (u.provider["ClientIDList"] as string[] | undefined) ?? [];
    const created = u.provider["CreateDate"];
    const iamDetail: IamFindingDetail = { code: OIDC_PROVIDER_UNUSED, arn: u.arn, issuer: url };
    results.push({
      file: `iam/oidc-provider/${url}`,
      findings: [
        {
          kind: "oidc-provider-unused",
          layer: "IAM",
          line: 1,
          preview: "",
          description:
            `IAM OIDC provider ${url} (${u.arn}${created === undefined ? "" : `, created ${new Date(created as Date).toISOString().slice(0, 10)}`}` +
            `${audiences.length > 0 ? `, audiences ${audiences.join(", ")}` : ""}) is trusted by no role of the account: ` +
            "an unused provider is attack surface and migration debris. Delete it if nothing is to use it " +
            `(aws iam delete-open-id-connect-provider --open-id-connect-provider-arn ${u.arn}).`,
          fingerprint: fingerprint("oidc-provider-unused", iamDetail, undefined, fingerprintKey),
          iam: iamDetail,
        },
      ],
    });
  }
  return results;
}
