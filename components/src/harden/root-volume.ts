import { describeValue, isRecord, knownValue, mapValue } from "./engine-values";
import type { ResourceReport } from "./report";

/**
 * An instance's root volume encryption. AWS cannot encrypt the root volume of a running instance: a change of
 * `rootBlockDevice.encrypted` replaces it. So it is only advice, unless `apply` (the `applyReplacingChanges` option).
 * A value not known yet, or already true, is left alone.
 * @internal
 */
export function hardenRootVolume(current: unknown, apply: boolean, report: ResourceReport): unknown {
  const known = knownValue(current ?? {});
  if (!isRecord(known) || known["encrypted"] === true) return current;
  if (!apply) {
    report.advise(
      "rootBlockDevice.encrypted=true not applied: it replaces the instance (applyReplacingChanges applies it)",
    );
    return current;
  }
  report.change(`rootBlockDevice.encrypted=true (was ${describeValue(known["encrypted"])}; replaces the instance)`);
  return mapValue(current ?? {}, (plain) => ({ ...(isRecord(plain) ? plain : {}), encrypted: true }));
}
