// `keyless-scan audit`'s CLI over fake clients, as the unit specs run it: what it printed and its status, checked for
// leaks (no secret, no whole key id among `keyIds`) before anything is returned.
import type { ClientFactory } from "@keyless/scanner/dist/audit";
import { mainAudit } from "@keyless/scanner/dist/cli";
import { assertNoSecrets, check } from "../../support/policy-credentials";

/** Runs `keyless-scan audit ...args` on `factory`; `isTTY` shows the progress line. */
export async function runFakeAudit(
  args: readonly string[],
  factory: ClientFactory,
  keyIds: readonly string[],
  isTTY = false,
): Promise<{ status: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const status = await mainAudit(
    args,
    {
      stdout: (t) => {
        out += t;
      },
      stderr: (t) => {
        err += t;
      },
      readFile: () => new Uint8Array(),
      readStdin: () => new Uint8Array(),
      isTTY,
    },
    factory,
  );
  assertNoSecrets(out + err, "audit output");
  for (const id of keyIds) check(!(out + err).includes(id), "a whole key id was printed");
  return { status, out, err };
}
