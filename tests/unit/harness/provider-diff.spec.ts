import assert from "node:assert/strict";
import { AwsProvider } from "../../../harness/src/provider/provider";

const urn = (type: string, name: string) => `urn:pulumi:s::p::${type}::${name}`;
const ROLE = urn("aws:iam/role:Role", "r");
const INSTANCE = urn("aws:ec2/instance:Instance", "i");
const TEMPLATE = urn("aws:ec2/launchTemplate:LaunchTemplate", "lt");

/**
 * The stand-in's Diff as the engine calls it on refresh: the outputs just read as olds, the program's last inputs
 * as news and as old inputs. What it reports is the drift a refresh shows.
 */
function refreshDiff(u: string, read: Record<string, unknown>, inputs: Record<string, unknown>): string[] {
  const provider = new AwsProvider({ warn: async () => undefined });
  return provider.diff(u, read, inputs, inputs, []).changes.sort();
}

describe("harness: the stand-in provider's diff counts additions and removals (refresh drift)", () => {
  const role = { name: "r", path: "/", assumeRolePolicy: "{}", maxSessionDuration: 3600, forceDetachPolicies: false };

  it("a tag added to a role whose program sets none is drift; no tags and `tags: {}` are the same", () => {
    assert.deepEqual(refreshDiff(ROLE, { ...role, tags: { added: "x" } }, role), ["tags"]);
    assert.deepEqual(refreshDiff(ROLE, { ...role, tags: { added: "x" } }, { ...role, tags: {} }), ["tags"]);
    assert.deepEqual(refreshDiff(ROLE, role, { ...role, tags: {} }), []);
    assert.deepEqual(refreshDiff(ROLE, { ...role, tags: {} }, role), []);
  });

  it("a tag added beside the program's tags, or one removed, is drift", () => {
    const program = { ...role, tags: { team: "a" } };
    assert.deepEqual(refreshDiff(ROLE, { ...role, tags: { team: "a", added: "x" } }, program), ["tags"]);
    assert.deepEqual(refreshDiff(ROLE, role, program), ["tags"]);
    assert.deepEqual(refreshDiff(ROLE, program, program), []);
  });

  it("a permissions boundary removed from, or added to, a role is drift", () => {
    const arn = "arn:aws:iam::000000000000:policy/b";
    assert.deepEqual(refreshDiff(ROLE, role, { ...role, permissionsBoundary: arn }), ["permissionsBoundary"]);
    assert.deepEqual(refreshDiff(ROLE, { ...role, permissionsBoundary: arn }, role), ["permissionsBoundary"]);
  });

  it("a launch template whose newest version lost its metadata options drifted", () => {
    const lt = { name: "lt", imageId: "ami-1", metadataOptions: { httpTokens: "required" } };
    const { metadataOptions: _m, ...read } = lt;
    assert.deepEqual(refreshDiff(TEMPLATE, read, lt), ["metadataOptions"]);
    // AWS filling in the fields the program leaves out (Optional + Computed) is no drift
    const filled = {
      ...lt,
      metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", instanceMetadataTags: "disabled" },
    };
    assert.deepEqual(refreshDiff(TEMPLATE, filled, lt), []);
  });

  it("Optional + Computed properties the program leaves out are not drift; a field of a block that is not, is", () => {
    const i = { ami: "ami-1", instanceType: "t3.micro", userDataReplaceOnChange: false };
    const read = { ...i, iamInstanceProfile: "p", keyName: "k", rootBlockDevice: { volumeSize: 8, iops: 3000 } };
    assert.deepEqual(refreshDiff(INSTANCE, read, i), []);
    const program = { ...i, rootBlockDevice: { volumeSize: 8 } };
    assert.deepEqual(refreshDiff(INSTANCE, read, program), []);
    const tagged = { ...read, rootBlockDevice: { volumeSize: 8, iops: 3000, tags: { added: "x" } } };
    assert.deepEqual(refreshDiff(INSTANCE, tagged, program), ["rootBlockDevice"]);
  });
});
