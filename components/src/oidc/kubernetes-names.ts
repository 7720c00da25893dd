import { KeylessErrorCode, KeylessValidationError } from "../errors";
import { refuseWildcard, requireString } from "./subject-values";

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SERVICE_ACCOUNT = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * Checks a Kubernetes namespace and service account name (DNS labels and subdomains, no wildcards): the two parts that
 * name the pods a role is for.
 * @internal
 */
export function validateServiceAccount(namespace: unknown, serviceAccount: unknown): void {
  const ns = requireString(namespace, "namespace", "a Kubernetes namespace");
  refuseWildcard("namespace", "namespace", ns, 'Name the namespace, for example "payments".');
  if (!NAMESPACE.test(ns)) {
    throw new KeylessValidationError(
      KeylessErrorCode.InvalidArgument,
      "namespace",
      `\`namespace\` must be a Kubernetes namespace: 1 to 63 lowercase letters, digits or "-", starting and ending ` +
        `with a letter or digit. Received ${JSON.stringify(ns)}.`,
    );
  }
  const sa = requireString(serviceAccount, "serviceAccount", "a Kubernetes service account name");
  refuseWildcard("serviceAccount", "service account", sa, 'Name the service account, for example "api".');
  if (!SERVICE_ACCOUNT.test(sa)) {
    throw new KeylessValidationError(
      KeylessErrorCode.InvalidArgument,
      "serviceAccount",
      `\`serviceAccount\` must be a Kubernetes service account name: 1 to 253 lowercase letters, digits, "-" or ".", ` +
        `starting and ending with a letter or digit. Received ${JSON.stringify(sa)}.`,
    );
  }
}
