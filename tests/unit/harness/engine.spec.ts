import assert from "node:assert/strict";
import { cliServesSdk, requireMetadataMock, requirePebble } from "@keyless/testing";

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

describe("harness: the toolchain's binaries (metadata mock, pebble)", () => {
  const saved = { mock: process.env["KEYLESS_EC2_METADATA_MOCK"], pebble: process.env["KEYLESS_PEBBLE"] };
  afterEach(() => {
    for (const [key, value] of [
      ["KEYLESS_EC2_METADATA_MOCK", saved.mock],
      ["KEYLESS_PEBBLE", saved.pebble],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it("takes the binary the variable names, and says so when it does not exist", () => {
    process.env["KEYLESS_EC2_METADATA_MOCK"] = process.execPath;
    assert.equal(requireMetadataMock(), process.execPath);
    process.env["KEYLESS_PEBBLE"] = "/nonexistent/pebble";
    assert.throws(() => requirePebble(), {
      name: "PebbleError",
      message: "KEYLESS_PEBBLE names /nonexistent/pebble, which does not exist",
    });
  });
});
