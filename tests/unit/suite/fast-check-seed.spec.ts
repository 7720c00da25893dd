// Every fast-check property of the suite starts from the one printed seed (tests/support/fast-check.ts), so a failure
// reproduces and CI is not a lottery: checked here on the suite's own sources, and on the helper.
import * as assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import ts from "typescript";
import { DEFAULT_SEED, propertyParameters } from "../../support/fast-check";

const TESTS = path.resolve(__dirname, "..", "..");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "fixtures" ? [] : sources(full);
    return e.name.endsWith(".ts") ? [full] : [];
  });
}

/** `fc.assert(...)` calls of a file whose parameters are not the helper's, as `file:line`. */
function unseeded(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  // Names bound to the helper's result (`const PARAMETERS = propertyParameters(10_000)`).
  const bound = new Set<string>();
  const out: string[] = [];
  const helperCall = (n: ts.Node | undefined): boolean =>
    n !== undefined &&
    ((ts.isCallExpression(n) && n.expression.getText(source) === "propertyParameters") ||
      (ts.isIdentifier(n) && bound.has(n.text)));
  const visit = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && helperCall(n.initializer)) bound.add(n.name.text);
    if (ts.isCallExpression(n) && /^fc\.(assert|check)$/.test(n.expression.getText(source))) {
      if (!helperCall(n.arguments[1])) {
        const { line } = source.getLineAndCharacterOfPosition(n.getStart(source));
        out.push(`${path.relative(TESTS, file)}:${line + 1}`);
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(source);
  return out;
}

describe("suite: fast-check properties run from a fixed, printed seed", () => {
  it("every fc.assert in tests/ takes its parameters from propertyParameters", () => {
    const properties = sources(TESTS).filter((f) => /\bfc\.(assert|check)\(/.test(readFileSync(f, "utf8")));
    assert.ok(properties.length >= 8, `${properties.length} files with properties`);
    assert.deepEqual(properties.flatMap(unseeded), []);
  });

  describe("propertyParameters", () => {
    const saved = { seed: process.env["KEYLESS_FC_SEED"], runs: process.env["KEYLESS_FC_RUNS"] };
    const restore = (name: string, value: string | undefined) => {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    };
    afterEach(() => {
      restore("KEYLESS_FC_SEED", saved.seed);
      restore("KEYLESS_FC_RUNS", saved.runs);
    });

    it("gives the default seed and the runs asked, so two runs draw the same cases", () => {
      delete process.env["KEYLESS_FC_SEED"];
      delete process.env["KEYLESS_FC_RUNS"];
      assert.deepEqual(propertyParameters(300), { seed: DEFAULT_SEED, numRuns: 300 });
      const drawn = () => {
        const seen: number[] = [];
        fc.assert(
          fc.property(fc.nat(), (n) => {
            seen.push(n);
          }),
          propertyParameters(50),
        );
        return seen;
      };
      assert.deepEqual(drawn(), drawn());
    });

    it("takes another seed and a factor on the runs from the environment", () => {
      process.env["KEYLESS_FC_SEED"] = "42";
      process.env["KEYLESS_FC_RUNS"] = "2.5";
      assert.deepEqual(propertyParameters(300), { seed: 42, numRuns: 750 });
    });

    it("refuses a seed or a factor it cannot read, naming the variable", () => {
      process.env["KEYLESS_FC_SEED"] = "abc";
      assert.throws(() => propertyParameters(10), /KEYLESS_FC_SEED must be an integer or "random"; received "abc"/);
      delete process.env["KEYLESS_FC_SEED"];
      process.env["KEYLESS_FC_RUNS"] = "0";
      assert.throws(() => propertyParameters(10), /KEYLESS_FC_RUNS must be a positive number/);
    });
  });
});
