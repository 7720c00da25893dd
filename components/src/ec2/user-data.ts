import { formatFinding, scan } from "@keyless/scanner";
import * as pulumi from "@pulumi/pulumi";
import { KeylessErrorCode, KeylessValidationError } from "../errors";
import { checked } from "../private/inputs";

/** EC2 user data limit: 16 KB before base64 encoding. */
const MAX_USER_DATA_BYTES = 16 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function fail(code: KeylessErrorCode, argument: string, message: string): never {
  throw new KeylessValidationError(code, argument, message);
}

/** What to do instead of user data that carries keys. */
const INSTANCE_REMEDY =
  "the instance gets temporary credentials from its instance profile through IMDSv2, and other secrets belong in " +
  "Secrets Manager or SSM Parameter Store, read at boot.";

/**
 * Refuses text (user data by default) in which the project's credential scanner finds anything. The error lists layer
 * and line of each finding (with at most a four-character preview), never the value. `code` and `remedy` let other
 * carriers of text (Lambda environment variables) refuse with their own code and fix.
 * @internal
 */
export function assertNoCredentials(
  text: string,
  argument: string,
  code: KeylessErrorCode = KeylessErrorCode.UserDataContainsCredentials,
  remedy: string = INSTANCE_REMEDY,
): void {
  const findings = scan(text);
  if (findings.length === 0) return;
  fail(
    code,
    argument,
    `\`${argument}\` must not carry AWS credentials: the keyless scanner reported ${findings.length} finding(s): ` +
      `${findings.map(formatFinding).join("; ")}. Remove them: ${remedy}`,
  );
}

/**
 * Checks plain-text user data (size and credentials).
 * @internal
 */
export function checkPlainUserData(text: string, argument: string): void {
  if (typeof text !== "string") {
    fail(KeylessErrorCode.InvalidArgument, argument, `\`${argument}\` must be a string. Received ${typeof text}.`);
  }
  const size = Buffer.byteLength(text, "utf8");
  if (size > MAX_USER_DATA_BYTES) {
    fail(
      KeylessErrorCode.InvalidArgument,
      argument,
      `\`${argument}\` must be at most 16384 bytes (EC2's limit before base64). Received ${size} bytes. ` +
        `Move the script to S3 and fetch it at boot, or gzip it and pass it as \`userDataBase64\`.`,
    );
  }
  assertNoCredentials(text, argument);
}

/**
 * Checks base64 user data (alphabet, decoded size and credentials, which the scanner finds through base64 and gzip).
 * @internal
 */
export function checkBase64UserData(encoded: string, argument: string): void {
  const compact = typeof encoded === "string" ? encoded.replace(/\s+/g, "") : "";
  if (typeof encoded !== "string" || compact.length % 4 !== 0 || !BASE64.test(compact)) {
    fail(
      KeylessErrorCode.InvalidArgument,
      argument,
      `\`${argument}\` must be base64 (A-Z a-z 0-9 + / with = padding). Received ${typeof encoded === "string" ? `${encoded.length} characters that are not base64` : typeof encoded}. ` +
        `Pass plain text as \`userData\` instead.`,
    );
  }
  const size = Buffer.from(compact, "base64").length;
  if (size > MAX_USER_DATA_BYTES) {
    fail(
      KeylessErrorCode.InvalidArgument,
      argument,
      `\`${argument}\` must decode to at most 16384 bytes (EC2's limit). Received ${size} bytes. Fetch large scripts at boot.`,
    );
  }
  assertNoCredentials(encoded, argument);
}

/**
 * Checks plain user data now when known, else inside the apply that feeds the child input.
 * @internal
 */
export function checkedPlain(value: pulumi.Input<string>, argument: string): pulumi.Input<string> {
  return checked(value, (v) => checkPlainUserData(v, argument));
}

/**
 * Checks base64 user data now when known, else inside the apply that feeds the child input.
 * @internal
 */
export function checkedBase64(value: pulumi.Input<string>, argument: string): pulumi.Input<string> {
  return checked(value, (v) => checkBase64UserData(v, argument));
}

/**
 * Base64-encodes plain user data (as UTF-8), for resources where AWS requires base64 (launch templates).
 * @internal
 */
export function toBase64(value: pulumi.Input<string>): pulumi.Input<string> {
  return typeof value === "string"
    ? Buffer.from(value, "utf8").toString("base64")
    : pulumi.output(value).apply((v) => Buffer.from(v, "utf8").toString("base64"));
}
