import type { StackValidationPolicy } from "@pulumi/policy";
import { exemptionLedger } from "../private/exemptions";

/**
 * Lists, as advisory violations, every exemption that lifted a policy in this run (by config or by a resource's
 * `keyless:exempt` tag) and every resource a deprecated allowlist (`allowedUsers`) let through, so that `pulumi preview`
 * shows them all. It runs last: the other policies have recorded theirs by then.
 */
export const exemptionsInUse: StackValidationPolicy = {
  name: "exemptions-in-use",
  description:
    "Checks whether an exemption lifted a keyless-aws policy in this run, and lists each one with its reason and end date.",
  enforcementLevel: "advisory",
  severity: "low",
  remediationSteps:
    "Nothing to fix now: review each exemption before its end date, and remove it once the resource complies.",
  validateStack: (args, reportViolation) => {
    const present = new Set(args.resources.map((r) => r.urn));
    for (const e of [...exemptionLedger.values()].sort((a, b) => a.message.localeCompare(b.message))) {
      // Only resources of this stack: the ledger lives as long as the analyzer process.
      if (present.has(e.urn)) reportViolation(e.message, e.urn);
    }
  },
};
