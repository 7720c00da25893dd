import assert from "node:assert/strict";
import {
  CreateOpenIDConnectProviderCommand,
  DeleteOpenIDConnectProviderCommand,
  GetOpenIDConnectProviderCommand,
  IAMClient,
  UpdateOpenIDConnectProviderThumbprintCommand,
} from "@aws-sdk/client-iam";
import { localStackClientConfig, StackRunError } from "@keyless/testing";
import * as aws from "@pulumi/aws";
import { opsOf, withProviderStack } from "./support";

const THUMB_A = "a".repeat(40);
const THUMB_B = "0123456789abcdef0123456789abcdef01234567";

describe("provider: aws:iam OpenIdConnectProvider against LocalStack", function () {
  this.timeout(240_000);
  const iam = new IAMClient(localStackClientConfig());
  const held = (arn: string) => iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));

  it("creates, reads back, updates client ids, thumbprints and tags in place, finds drift, replaces on a new url, looks up", async () => {
    // GIVEN a program whose inputs change per stage; the URL is unique to the stack (IAM keys providers by URL)
    const stage = {
      url: "",
      clientIds: ["sts.amazonaws.com"],
      thumbprints: undefined as string[] | undefined,
      tags: { team: "payments" } as Record<string, string>,
    };
    const program = async () => {
      const p = new aws.iam.OpenIdConnectProvider("ci", {
        url: stage.url,
        clientIdLists: stage.clientIds,
        ...(stage.thumbprints ? { thumbprintLists: stage.thumbprints } : {}),
        tags: stage.tags,
      });
      const byUrl = aws.iam.getOpenIdConnectProviderOutput({ url: p.url.apply((u) => `https://${u}`) });
      const byArn = aws.iam.getOpenIdConnectProviderOutput({ arn: p.arn });
      return {
        arn: p.arn,
        url: p.url,
        thumbprints: p.thumbprintLists,
        byUrlArn: byUrl.arn,
        byUrlClientIds: byUrl.clientIdLists,
        byArnUrl: byArn.url,
        byArnTags: byArn.tags,
      };
    };
    await withProviderStack({ program }, async (t, seen) => {
      stage.url = `https://oidc.keyless.test/${t.name}`;
      // WHEN it is deployed without thumbprints (optional in pulumi-aws 7)
      const up1 = await t.up();
      seen(await t.resources());
      const out = up1.outputs as Record<string, unknown>;
      const arn = out["arn"] as string;

      // THEN IAM holds it under an ARN named by its URL, the URL without its scheme, as the real provider reports it
      assert.equal(arn, `arn:aws:iam::000000000000:oidc-provider/oidc.keyless.test/${t.name}`);
      assert.equal(out["url"], `oidc.keyless.test/${t.name}`);
      const got1 = await held(arn);
      assert.equal(got1.Url, `oidc.keyless.test/${t.name}`);
      assert.deepEqual(got1.ClientIDList, ["sts.amazonaws.com"]);
      assert.deepEqual(got1.ThumbprintList, []);
      assert.deepEqual(got1.Tags, [{ Key: "team", Value: "payments" }]);
      assert.deepEqual(out["thumbprints"], [], "thumbprintLists reports what IAM holds");
      // AND the invoke finds it by URL and by ARN
      assert.equal(out["byUrlArn"], arn);
      assert.deepEqual(out["byUrlClientIds"], ["sts.amazonaws.com"]);
      assert.equal(out["byArnUrl"], `oidc.keyless.test/${t.name}`);
      assert.deepEqual(out["byArnTags"], { team: "payments" });

      // WHEN nothing changes THEN nothing is updated: `https://x` in the program is `x` in IAM
      const up2 = await t.up();
      assert.deepEqual(opsOf(up2.steps, "ci"), ["same"]);

      // WHEN a client id, thumbprints and a tag are added THEN all change in place, under the same ARN
      Object.assign(stage, {
        clientIds: ["extra-audience", "sts.amazonaws.com"],
        thumbprints: [THUMB_A],
        tags: { team: "payments", env: "prod" },
      });
      const up3 = await t.up();
      assert.deepEqual(opsOf(up3.steps, "ci"), ["update"]);
      assert.equal(up3.outputs["arn"], arn);
      const got3 = await held(arn);
      assert.deepEqual([...(got3.ClientIDList ?? [])].sort(), ["extra-audience", "sts.amazonaws.com"]);
      assert.deepEqual(got3.ThumbprintList, [THUMB_A]);
      assert.deepEqual(Object.fromEntries((got3.Tags ?? []).map((x) => [x.Key, x.Value])), {
        team: "payments",
        env: "prod",
      });

      // WHEN the client ids are only reordered THEN nothing changes (a set)
      stage.clientIds = ["sts.amazonaws.com", "extra-audience"];
      assert.deepEqual(opsOf((await t.up()).steps, "ci"), ["same"]);

      // WHEN a client id is removed THEN it changes in place and IAM no longer lists it
      stage.clientIds = ["sts.amazonaws.com"];
      assert.deepEqual(opsOf((await t.up()).steps, "ci"), ["update"]);
      assert.deepEqual((await held(arn)).ClientIDList, ["sts.amazonaws.com"]);

      // WHEN the thumbprint changes outside Pulumi THEN a refresh reports it, read from IAM, not from the state
      await iam.send(
        new UpdateOpenIDConnectProviderThumbprintCommand({ OpenIDConnectProviderArn: arn, ThumbprintList: [THUMB_B] }),
      );
      const refreshed = await t.refresh();
      assert.deepEqual(
        refreshed.drift.map((d) => `${d.op} ${d.urn.split("::").pop()} ${d.diffs.join(",")}`),
        ["update ci thumbprintLists"],
      );
      // AND the next up puts the program's thumbprint back, in place
      assert.deepEqual(opsOf((await t.up()).steps, "ci"), ["update"]);
      assert.deepEqual((await held(arn)).ThumbprintList, [THUMB_A]);

      // WHEN the URL changes THEN the provider is replaced (a new ARN), the old one deleted
      stage.url = `https://oidc.keyless.test/${t.name}-2`;
      const up6 = await t.up();
      seen(await t.resources());
      assert.deepEqual(opsOf(up6.steps, "ci"), ["create-replacement", "replace", "delete-replaced"]);
      assert.notEqual(up6.outputs["arn"], arn);
      await assert.rejects(held(arn), /NoSuchEntity|not found/);
      assert.deepEqual((await held(up6.outputs["arn"] as string)).ThumbprintList, [THUMB_A]);
    });
  });

  it("imports an existing provider by its ARN", async () => {
    const stage = { arn: "", url: "" };
    await withProviderStack(
      {
        program: async () => {
          if (!stage.arn) return {};
          const p = new aws.iam.OpenIdConnectProvider(
            "adopted",
            { url: stage.url, clientIdLists: ["sts.amazonaws.com"], thumbprintLists: [THUMB_A] },
            { import: stage.arn },
          );
          return { arn: p.arn };
        },
      },
      async (t, seen) => {
        // GIVEN a provider made outside any stack
        stage.url = `https://oidc.keyless.test/import-${t.name}`;
        const made = await iam.send(
          new CreateOpenIDConnectProviderCommand({
            Url: stage.url,
            ClientIDList: ["sts.amazonaws.com"],
            ThumbprintList: [THUMB_A],
          }),
        );
        stage.arn = made.OpenIDConnectProviderArn as string;
        try {
          // WHEN the program adopts it
          const up = await t.up();
          seen(await t.resources());
          // THEN it is imported, not created, and the next up changes nothing
          assert.deepEqual(opsOf(up.steps, "adopted"), ["import"]);
          assert.equal(up.outputs["arn"], stage.arn);
          assert.deepEqual(opsOf((await t.up()).steps, "adopted"), ["same"]);
        } catch (err) {
          await iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: stage.arn }));
          throw err;
        }
      },
    );
  });

  it("refuses an http url and an empty client id list before anything is created, naming the property", async () => {
    const program = async () =>
      void new aws.iam.OpenIdConnectProvider("bad", { url: "http://oidc.keyless.test/plain", clientIdLists: [] });
    await withProviderStack({ program }, async (t) => {
      await assert.rejects(t.preview(), (err: unknown) => {
        assert.ok(err instanceof StackRunError, String(err));
        assert.match(err.message, /`url` must use the https scheme/);
        assert.match(err.message, /requires `clientIdLists` with at least one id/);
        return true;
      });
    });
  });
});
