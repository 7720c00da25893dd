// The parameters of every fast-check property in the suite: one fixed seed, printed once per process, so that a
// failure found in CI reproduces with the same command and CI is never a lottery. fast-check prints the seed and the
// shrunk path of a failure itself; this fixes the seed the run starts from.
//   KEYLESS_FC_SEED=<integer>   start from another seed (KEYLESS_FC_SEED=random draws one, and prints it)
//   KEYLESS_FC_RUNS=<factor>    run each property <factor> times as many cases (a wider run on demand)
import type { Parameters } from "fast-check";

/** The seed every property starts from unless KEYLESS_FC_SEED says otherwise. */
export const DEFAULT_SEED = 20_261_202;

function seedFromEnv(): number {
  const raw = process.env["KEYLESS_FC_SEED"];
  if (raw === undefined || raw === "") return DEFAULT_SEED;
  if (raw === "random") return (Math.random() * 0x7fffffff) | 0;
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new Error(`KEYLESS_FC_SEED must be an integer or "random"; received ${JSON.stringify(raw)}.`);
  }
  return Number(raw) | 0;
}

function factorFromEnv(): number {
  const raw = process.env["KEYLESS_FC_RUNS"];
  if (raw === undefined || raw === "") return 1;
  const factor = Number(raw);
  if (!Number.isFinite(factor) || factor <= 0) {
    throw new Error(
      `KEYLESS_FC_RUNS must be a positive number (a factor on each property's runs); received ${JSON.stringify(raw)}.`,
    );
  }
  return factor;
}

let announced = false;

/**
 * fast-check parameters for one property: the suite's seed and `numRuns` cases (times KEYLESS_FC_RUNS).
 *
 * @param numRuns - the cases this property runs by default
 * @example
 * ```ts
 * fc.assert(fc.property(fc.nat(), (n) => n >= 0), propertyParameters(300));
 * // KEYLESS_FC_SEED=42 KEYLESS_FC_RUNS=10 npm run test:unit  -> seed 42, 3000 cases
 * ```
 */
export function propertyParameters<T = unknown>(numRuns: number): Parameters<T> {
  const seed = seedFromEnv();
  const runs = Math.max(1, Math.round(numRuns * factorFromEnv()));
  if (!announced) {
    announced = true;
    // Printed so that a red run names the seed that reproduces it.
    console.log(`    fast-check: seed ${seed} (KEYLESS_FC_SEED), runs x${factorFromEnv()} (KEYLESS_FC_RUNS)`);
  }
  return { seed, numRuns: runs };
}
