import * as pulumi from "@pulumi/pulumi";
import { metadataOptions } from "../ec2/hardening";
import { describeValue, isRecord, mapValue } from "./engine-values";
import type { ResourceReport } from "./report";

/**
 * The instance's or launch template's `metadataOptions` with IMDSv2 required, the endpoint enabled and the hop limit
 * at most `hopLimit`, keeping every value that is already as strict or stricter: `httpEndpoint: "disabled"` (no IMDS
 * at all), a lower hop limit, and fields this rule does not own (`instanceMetadataTags`, `httpProtocolIpv6`). A field
 * not known yet (preview) is left for the run that knows it. Both are in-place changes on AWS
 * (ModifyInstanceMetadataOptions; a new launch template version).
 * @internal
 */
export function hardenMetadataOptions(current: unknown, hopLimit: 1 | 2, report: ResourceReport): unknown {
  // The components' own IMDSv2 settings are the target, so both paths agree.
  const target = metadataOptions({ containerMetadataAccess: hopLimit === 2 });
  return mapValue(current ?? {}, (plain) => {
    const mo: Record<string, unknown> = isRecord(plain) ? { ...plain } : {};
    const changes: string[] = [];
    const set = (field: string, value: unknown) => {
      changes.push(`${field}=${JSON.stringify(value)} (was ${describeValue(mo[field])})`);
      mo[field] = value;
    };
    const unknown = (field: string) => pulumi.isUnknown(mo[field]);
    if (!unknown("httpTokens") && mo["httpTokens"] !== target.httpTokens) set("httpTokens", target.httpTokens);
    if (!unknown("httpEndpoint") && mo["httpEndpoint"] !== "disabled" && mo["httpEndpoint"] !== target.httpEndpoint) {
      set("httpEndpoint", target.httpEndpoint);
    }
    const hop = mo["httpPutResponseHopLimit"];
    if (!unknown("httpPutResponseHopLimit") && !(typeof hop === "number" && hop <= target.httpPutResponseHopLimit)) {
      set("httpPutResponseHopLimit", target.httpPutResponseHopLimit);
    }
    if (changes.length === 0) return plain;
    report.change(`metadataOptions ${changes.join(", ")}`);
    return mo;
  });
}
