import assert from "node:assert/strict";
import { cliServesSdk } from "@keyless/testing";

describe("harness: which Pulumi CLI may drive the SDK", () => {
  it("accepts the same version and any newer CLI of the same major, as Pulumi's Automation API does", () => {
    assert.equal(cliServesSdk("3.270.0", "3.270.0"), true);
    assert.equal(cliServesSdk("3.274.1", "3.270.0"), true);
    assert.equal(cliServesSdk("3.270.1", "3.270.0"), true);
  });

  it("refuses an older CLI, another major, and what is not a version", () => {
    assert.equal(cliServesSdk("3.260.0", "3.270.0"), false);
    assert.equal(cliServesSdk("3.270.0", "3.270.1"), false);
    assert.equal(cliServesSdk("4.0.0", "3.270.0"), false);
    assert.equal(cliServesSdk("2.99.0", "3.0.0"), false);
    assert.equal(cliServesSdk("dev", "3.270.0"), false);
  });
});
