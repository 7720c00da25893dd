export { EXEMPT_TAG, type Exemption, exemptTagValue } from "@keyless/iam-rules";
export { hardenStack } from "./harden-stack";
export { HARDEN_OPT_OUT_TAG, HardenedType, type HardenStackOptions, type OnViolation } from "./options";
export { hardeningTransform } from "./transform";
