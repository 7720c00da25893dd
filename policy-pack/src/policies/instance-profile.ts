import type { ResourceValidationPolicy } from "@pulumi/policy";
import { T } from "../private/types";
import { Undecided } from "../private/unknown";

/** Instances should get their AWS access from a role through an instance profile. */
export const instanceProfileRequired: ResourceValidationPolicy = {
  name: "instance-profile-required",
  description: "Checks whether EC2 instances have an IAM instance profile.",
  enforcementLevel: "advisory",
  severity: "medium",
  remediationSteps:
    "Attach an instance profile (for example with keyless's SecureInstance), even one whose role has no policy: workloads that need AWS then never reach for keys.",
  validateResource: (args, reportViolation) => {
    if (args.type !== T.instance && args.type !== T.spotInstanceRequest) {
      args.notApplicable("Policy only applies to EC2 instances");
    }
    const undecided = new Undecided();
    const profile = undecided.read("`iamInstanceProfile`", () => args.props["iamInstanceProfile"]);
    // Unknown during preview means it is computed from another resource: a profile is set.
    if (undecided.hasUnknowns()) return;
    if (profile === undefined || profile === null || profile === "") {
      reportViolation(
        "EC2 instance must have an IAM instance profile (`iamInstanceProfile`): AWS access then comes from a role, not from keys.",
      );
    }
  },
};
