// The CLI's main() in process, for coverage and for the read-error path that never shows content.
import { main } from "@keyless/scanner/dist/cli";
import { check, secretAccessKey } from "../../support/policy-credentials";

describe("keyless-scan main()", () => {
  it("reports a read error by code, never by content", () => {
    let err = "";
    const status = main(["a", "-", "-"], {
      stdout: () => {},
      stderr: (t) => {
        err += t;
      },
      readFile: () => {
        throw Object.assign(new Error(`boom ${secretAccessKey()}`), { code: "EACCES" });
      },
      readStdin: () => Buffer.from("hello"),
    });
    check(status === 2 && err === "keyless-scan: cannot read a: EACCES\n", err);
  });

  it("prints usage for --help", () => {
    let err = "";
    const status = main(["--help"], {
      stdout: () => {},
      stderr: (t) => (err += t),
      readFile: () => new Uint8Array(),
      readStdin: () => new Uint8Array(),
    });
    check(status === 2 && err.startsWith("usage: keyless-scan"), err);
  });
});
