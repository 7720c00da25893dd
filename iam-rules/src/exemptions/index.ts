// Exemptions with a reason and an end, shared by the policy pack and hardenStack(): one parser, one matcher, one tag.
export {
  checkReason,
  checkUntil,
  type Exemption,
  ExemptionError,
  expiryInstant,
  MAX_REASON_LENGTH,
  parseExemption,
  parseExemptionList,
  parsePolicyConfigExemptions,
} from "./exemption";
export { describeExemption, type ExemptionMatch, type ExemptionSubject, expiredNote, findExemption } from "./match";
export { EXEMPT_TAG, exemptTagValue, parseExemptTag } from "./tag";
