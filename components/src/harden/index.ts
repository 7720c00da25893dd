export { hardenStack } from "./harden-stack";
export { HARDEN_OPT_OUT_TAG, HardenedType, type HardenStackOptions, OnViolation } from "./options";
export { hardeningTransform } from "./transform";
