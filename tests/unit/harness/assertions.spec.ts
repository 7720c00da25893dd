// assertRoleTrusts against an IAM endpoint stubbed on the wire: GetRole answers (AWS query protocol, as IAM speaks it)
// with the trust documents below, so the assertion reads them through the AWS SDK exactly as it reads LocalStack.
import * as assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { assertRoleTrusts, LocalStackAssertionError } from "@keyless/testing";

const EC2 = { Service: "ec2.amazonaws.com" };
const allow = (extra: object = {}) => ({ Effect: "Allow", Principal: EC2, Action: "sts:AssumeRole", ...extra });
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

/** Trusts that let more than EC2 assume the role, or EC2 under conditions: each must fail. */
const TOO_MUCH: Record<string, { trust: string; says: RegExp }> = {
  'a second statement trusting {"AWS": "*"}': {
    trust: doc(allow(), { Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }),
    says: /statement 1 names AWS "\*"/,
  },
  "a federated principal beside the service": {
    trust: doc(
      allow({ Principal: { ...EC2, Federated: "arn:aws:iam::000000000000:oidc-provider/token.example.test" } }),
    ),
    says: /statement 0 names Federated "arn:aws:iam::000000000000:oidc-provider\/token.example.test"/,
  },
  "another service beside EC2": {
    trust: doc(allow({ Principal: { Service: ["ec2.amazonaws.com", "lambda.amazonaws.com"] } })),
    says: /statement 0 names Service "lambda.amazonaws.com"/,
  },
  'a statement with Principal "*"': {
    trust: doc(allow(), { Sid: "Everyone", Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" }),
    says: /statement "Everyone" names every principal/,
  },
  "an Allow with NotPrincipal (everyone but the principal it names)": {
    trust: doc(allow(), { Effect: "Allow", NotPrincipal: { Service: "lambda.amazonaws.com" }, Action: "sts:*" }),
    says: /statement 1 has a NotPrincipal/,
  },
  "a NotAction instead of the action": {
    trust: doc({ Effect: "Allow", Principal: EC2, NotAction: "sts:TagSession" }),
    says: /statement 0 has a NotAction/,
  },
  "more actions than sts:AssumeRole": {
    trust: doc(allow({ Action: ["sts:AssumeRole", "sts:TagSession"] })),
    says: /statement 0 allows \[sts:assumerole, sts:tagsession\], not \[sts:assumerole\]/,
  },
  "a conditional Deny": {
    trust: doc(allow(), {
      Effect: "Deny",
      Principal: EC2,
      Action: "sts:AssumeRole",
      Condition: { StringNotEquals: { "aws:SourceAccount": "000000000000" } },
    }),
    says: /statement 1 is a Deny/,
  },
  "a condition not expected": {
    trust: doc(allow({ Condition: { StringEquals: { "aws:SourceAccount": "000000000000" } } })),
    says: /statement 0 has conditions not expected: StringEquals aws:SourceAccount/,
  },
  "a member written twice": {
    trust: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Action":"sts:AssumeRole"}]}`,
    says: /Statement\[0\] writes `Action` twice/,
  },
};

describe("harness: assertRoleTrusts reads the whole trust", () => {
  const trusts = new Map<string, string>();
  let server: Server;
  let saved: string | undefined;

  before(async () => {
    // GIVEN an IAM endpoint whose GetRole answers with the trust registered for the role name asked
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        const form = new URLSearchParams(body);
        const name = form.get("RoleName") ?? "";
        const trust = trusts.get(name);
        res.setHeader("content-type", "text/xml");
        if (form.get("Action") !== "GetRole" || trust === undefined) {
          res.statusCode = 404;
          res.end(
            `<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>no role</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
          );
          return;
        }
        res.end(
          `<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role>` +
            `<Path>/</Path><RoleName>${name}</RoleName><RoleId>AROAROLEID</RoleId>` +
            `<Arn>arn:aws:iam::000000000000:role/${name}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate>` +
            `<AssumeRolePolicyDocument>${encodeURIComponent(trust)}</AssumeRolePolicyDocument>` +
            `</Role></GetRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetRoleResponse>`,
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    saved = process.env["KEYLESS_LOCALSTACK_ENDPOINT"];
    process.env["KEYLESS_LOCALSTACK_ENDPOINT"] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    if (saved === undefined) delete process.env["KEYLESS_LOCALSTACK_ENDPOINT"];
    else process.env["KEYLESS_LOCALSTACK_ENDPOINT"] = saved;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("passes a role EC2 alone may assume", async () => {
    trusts.set("plain", doc(allow()));
    await assertRoleTrusts("plain", "ec2.amazonaws.com");
  });

  it("passes the conditions and actions it is told to expect, in any order and case", async () => {
    trusts.set(
      "conditioned",
      doc({
        Effect: "Allow",
        Principal: { service: "PODS.eks.amazonaws.com" },
        Action: ["sts:TagSession", "sts:assumerole"],
        Condition: { StringEquals: { "aws:SourceAccount": ["000000000000"] } },
      }),
    );
    await assertRoleTrusts("conditioned", "pods.eks.amazonaws.com", {
      actions: ["sts:AssumeRole", "sts:TagSession"],
      conditions: { StringEquals: { "aws:SourceAccount": "000000000000" } },
    });
  });

  for (const [what, { trust, says }] of Object.entries(TOO_MUCH)) {
    it(`fails a trust with ${what}`, async () => {
      // GIVEN a role whose trust names EC2, and more
      const name = `r${Object.keys(TOO_MUCH).indexOf(what)}`;
      trusts.set(name, trust);
      // WHEN / THEN the assertion fails, saying what is more
      await assert.rejects(assertRoleTrusts(name, "ec2.amazonaws.com"), (err: Error) => {
        assert.ok(err instanceof LocalStackAssertionError, String(err));
        assert.match(err.message, new RegExp(`^role ${name} must trust exactly ec2.amazonaws.com: `));
        assert.match(err.message, says);
        return true;
      });
    });
  }

  it("fails a trust without the conditions expected, naming them but never their values", async () => {
    trusts.set("unconditioned", doc(allow()));
    await assert.rejects(
      assertRoleTrusts("unconditioned", "ec2.amazonaws.com", {
        conditions: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      }),
      (err: Error) => {
        assert.match(err.message, /statement 0 lacks the expected conditions StringEquals aws:sourceaccount/);
        assert.ok(!err.message.includes("123456789012"), "the message must not repeat a condition's value");
        return true;
      },
    );
  });

  it("fails a role no statement lets the service assume", async () => {
    trusts.set("lambda", doc(allow({ Principal: { Service: "lambda.amazonaws.com" } })));
    await assert.rejects(assertRoleTrusts("lambda", "ec2.amazonaws.com"), /no statement lets ec2.amazonaws.com call/);
  });
});
