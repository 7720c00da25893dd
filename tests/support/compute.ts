/** The metadata options SecureInstance and SecureLaunchTemplate set by default: IMDSv2 only, hop limit 1, no tags. */
export const IMDSV2_ONLY = {
  httpTokens: "required",
  httpEndpoint: "enabled",
  httpPutResponseHopLimit: 1,
  instanceMetadataTags: "disabled",
} as const;
