import { assertNoCredentials } from "../ec2/user-data";
import { KeylessErrorCode } from "../errors";
import { isRecord, mapValue } from "./engine-values";
import type { ResourceReport } from "./report";

const LAMBDA_REMEDY =
  "the function gets temporary credentials from its execution role, and other secrets belong in Secrets Manager or " +
  "SSM Parameter Store, read at start.";

/**
 * Scans user data (plain or base64, gzip inside) with the components' own check, so a refusal carries the same code
 * and message as {@link SecureInstance}'s. `argument` names the resource and property, for example `web.userData`.
 * @internal
 */
export function checkUserData(value: unknown, argument: string, report: ResourceReport, note?: string): unknown {
  return mapValue(
    value,
    report.guard((plain: unknown) => {
      if (typeof plain === "string") assertNoCredentials(plain, argument);
    }, note),
  );
}

/**
 * Scans a Lambda function's `environment.variables`: each variable as a `NAME=value` line (the name is context the
 * scanner needs for a secret key), then all of them together (a key id in one variable, its secret in another).
 * Variables not known yet (preview) are scanned at `up`.
 * @internal
 */
export function checkEnvironment(value: unknown, name: string, report: ResourceReport, note?: string): unknown {
  return mapValue(
    value,
    report.guard((plain: unknown) => {
      const variables = isRecord(plain) ? plain["variables"] : undefined;
      if (!isRecord(variables)) return;
      const lines: string[] = [];
      for (const [key, v] of Object.entries(variables)) {
        if (typeof v !== "string") continue;
        const line = `${key}=${v}`;
        assertNoCredentials(
          line,
          `${name}.environment.variables.${key}`,
          KeylessErrorCode.EnvironmentContainsCredentials,
          LAMBDA_REMEDY,
        );
        lines.push(line);
      }
      assertNoCredentials(
        lines.join("\n"),
        `${name}.environment.variables`,
        KeylessErrorCode.EnvironmentContainsCredentials,
        LAMBDA_REMEDY,
      );
    }, note),
  );
}
