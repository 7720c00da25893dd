// The stand-in provider's replace-or-update table against the real provider's rules, read from terraform-provider-aws
// and pulumi-aws sources (harness/src/provider/real-provider-replacements.ts): both directions, every property.
import assert from "node:assert/strict";
import { RESOURCE_HANDLERS } from "@keyless/testing";
import {
  REAL_PROVIDER_REPLACEMENTS,
  type ResourceReplacementFacts,
} from "../../../harness/src/provider/real-provider-replacements";

const sorted = (xs: readonly string[] | undefined) => [...(xs ?? [])].sort();

function facts(token: string): ResourceReplacementFacts {
  const f = REAL_PROVIDER_REPLACEMENTS[token];
  assert.ok(f, `${token}: no real-provider facts recorded; read its schema and add them`);
  return f;
}

describe("harness: the stand-in's replace-or-update rules follow the real aws provider", () => {
  it("has sourced facts for exactly the resource types it serves", () => {
    assert.deepEqual(sorted(Object.keys(REAL_PROVIDER_REPLACEMENTS)), sorted([...RESOURCE_HANDLERS.keys()]));
    for (const [token, f] of Object.entries(REAL_PROVIDER_REPLACEMENTS)) {
      assert.match(f.schema.path, /^internal\/service\/[a-z0-9]+\/[a-z0-9_]+\.go$/, token);
      assert.ok(f.schema.revision.length > 0, `${token}: the revision read is named`);
      const overlap = f.replaces.filter((p) => f.updates.includes(p));
      assert.deepEqual(overlap, [], `${token}: a property either replaces or updates`);
    }
  });

  for (const [token, h] of RESOURCE_HANDLERS) {
    it(`${token}: every property replaces exactly when the real provider's schema says ForceNew`, () => {
      const f = facts(token);
      const known = new Set([...f.replaces, ...f.updates]);
      for (const p of Object.keys(h.properties)) {
        assert.ok(known.has(p), `${token}.${p}: implemented but no real-provider fact recorded`);
      }
      for (const p of known) assert.ok(p in h.properties, `${token}.${p}: a recorded fact for a property not served`);
      const standIn = Object.entries(h.properties)
        .filter(([, spec]) => spec.replaces === true)
        .map(([p]) => p);
      assert.deepEqual(sorted(standIn), sorted(f.replaces), `${token}: properties whose change replaces`);
    });

    it(`${token}: nested blocks replace on the same sub-properties as the real provider`, () => {
      const f = facts(token);
      for (const [p, spec] of Object.entries(h.properties)) {
        const nested = f.nested?.[p];
        if (!nested) {
          assert.deepEqual(spec.replacingFields ?? [], [], `${token}.${p}: replacing sub-properties with no fact`);
          continue;
        }
        assert.deepEqual(
          sorted(spec.replacingFields),
          sorted(nested.replaces),
          `${token}.${p}: replacing sub-properties`,
        );
        const known = [...nested.replaces, ...nested.updates];
        for (const field of spec.fields ?? []) {
          assert.ok(known.includes(field), `${token}.${p}.${field}: accepted but no real-provider fact recorded`);
        }
      }
      for (const p of Object.keys(f.nested ?? {}))
        assert.ok(p in h.properties, `${token}.${p}: nested fact for a property not served`);
    });

    it(`${token}: deletes before replacing exactly when pulumi-aws says DeleteBeforeReplace`, () => {
      assert.equal(h.deleteBeforeReplace === true, facts(token).deleteBeforeReplace, token);
    });
  }

  it("replaces an instance on a userData change only with userDataReplaceOnChange (CustomizeDiff ForceNewIf)", () => {
    const instance = RESOURCE_HANDLERS.get("aws:ec2/instance:Instance");
    assert.ok(instance?.adjustDiff);
    const conditional = facts("aws:ec2/instance:Instance").conditional ?? {};
    for (const key of ["userData", "userDataBase64"]) {
      assert.equal(conditional[key]?.modelled, true, key);
      for (const replaceOnChange of [true, false]) {
        const changes = [key];
        const replaces: string[] = [];
        instance.adjustDiff({}, { [key]: "x", userDataReplaceOnChange: replaceOnChange }, changes, replaces);
        assert.deepEqual(
          replaces,
          replaceOnChange ? [key] : [],
          `${key} with userDataReplaceOnChange=${replaceOnChange}`,
        );
      }
    }
  });

  it("names every conditional replacement it does not model, and then never replaces on it", () => {
    for (const [token, f] of Object.entries(REAL_PROVIDER_REPLACEMENTS)) {
      const h = RESOURCE_HANDLERS.get(token);
      for (const [p, c] of Object.entries(f.conditional ?? {})) {
        if (c.modelled) continue;
        assert.ok(c.gap && c.gap.length > 0, `${token}.${p}: an unmodelled rule says what the stand-in does instead`);
        const changes = [p];
        const replaces: string[] = [];
        h?.adjustDiff?.({ [p]: "a" }, { [p]: "b" }, changes, replaces);
        assert.equal(h?.properties[p]?.replaces === true || replaces.includes(p), false, `${token}.${p}`);
      }
    }
  });
});
