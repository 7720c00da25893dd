/**
 * An instance role's credentials as EC2 keeps them for the metadata service: asked for as `ec2.amazonaws.com` (the
 * trust evaluated first, {@link assumeRoleAsService}), and renewed with a new AssumeRole, so a new key, before they
 * expire. EC2 "make[s] new credentials available at least five minutes before the expiration of the old credentials";
 * the AWS SDKs refresh when less than five minutes remain, so they pick up the new key by themselves.
 *
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-security-credentials.html
 */
import type { IamCredentialsCode } from "./imds-documents";
import { assumeRoleAsService, type ServiceCredentials } from "./service-credentials";

/** The role and the instance EC2 asks STS for. */
export interface InstanceRoleTarget {
  readonly roleArn: string;
  readonly roleName: string;
  /** The STS session name: the instance id. */
  readonly sessionName: string;
  /** `aws:SourceAccount` of the request: the instance's account. */
  readonly sourceAccount: string;
  /** `aws:SourceArn` of the request: the instance's ARN. */
  readonly sourceArn: string;
}

/** What the metadata service serves for the role now. */
export type ServedRoleCredentials =
  | {
      readonly code: Extract<IamCredentialsCode, "Success">;
      readonly credentials: ServiceCredentials;
      readonly lastUpdated: Date;
    }
  | {
      readonly code: Extract<IamCredentialsCode, "AssumeRoleUnauthorizedAccess">;
      /** The trust evaluation's reason. */
      readonly reason: string;
      readonly lastUpdated: Date;
    };

/** The schedule: how long each session lasts and how long before its expiry the next one is served. */
export interface RenewalSchedule {
  readonly lifetimeSeconds: number;
  readonly renewBeforeExpirySeconds: number;
}

/** The credentials of one instance's role, renewed on schedule until {@link InstanceRoleCredentials.stop}. */
export interface InstanceRoleCredentials {
  /** What is served now. */
  readonly current: ServedRoleCredentials;
  /** How many times the schedule replaced the served credentials (refresh() not counted). */
  readonly rotations: number;
  /** Asks again now, for `target` (a new role after a profile change), and restarts the schedule from the answer. */
  refresh(target: InstanceRoleTarget): Promise<void>;
  /** Stops renewing. */
  stop(): void;
}

/** A failed renewal (STS unreachable) is tried again after this long; the served credentials stay until then. */
const RETRY_AFTER_MS = 5_000;

/**
 * Asks for the role's credentials as EC2 would and keeps them renewed: a session of `schedule.lifetimeSeconds`, the
 * next one asked for `schedule.renewBeforeExpirySeconds` before it expires. When the trust refuses, EC2's
 * `AssumeRoleUnauthorizedAccess` is served and the trust is evaluated again on the same cadence, as EC2 retries at
 * its next scheduled refresh.
 */
export async function keepInstanceRoleCredentials(
  target: InstanceRoleTarget,
  schedule: RenewalSchedule,
): Promise<InstanceRoleCredentials> {
  let current = await ask(target, schedule);
  let rotations = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  // refresh() and a scheduled renewal never run at once: each waits for the one before.
  let queue: Promise<void> = Promise.resolve();
  const serialized = (fn: () => Promise<void>): Promise<void> => {
    const next = queue.then(fn);
    queue = next.catch(() => undefined);
    return next;
  };
  const plan = (delayMs: number, of: InstanceRoleTarget) => {
    if (timer) clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(
      () => {
        void serialized(async () => {
          if (stopped) return;
          try {
            current = await ask(of, schedule);
            rotations += 1;
            plan(nextDelayMs(current, schedule), of);
          } catch {
            plan(RETRY_AFTER_MS, of);
          }
        });
      },
      Math.max(0, delayMs),
    );
    timer.unref(); // a schedule never keeps the test process alive
  };
  plan(nextDelayMs(current, schedule), target);
  return {
    get current() {
      return current;
    },
    get rotations() {
      return rotations;
    },
    refresh(next) {
      return serialized(async () => {
        current = await ask(next, schedule);
        plan(nextDelayMs(current, schedule), next);
      });
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

async function ask(target: InstanceRoleTarget, schedule: RenewalSchedule): Promise<ServedRoleCredentials> {
  const got = await assumeRoleAsService({
    roleArn: target.roleArn,
    service: "ec2.amazonaws.com",
    sessionName: target.sessionName,
    sourceAccount: target.sourceAccount,
    sourceArn: target.sourceArn,
    durationSeconds: schedule.lifetimeSeconds,
  });
  const lastUpdated = new Date();
  if ("refused" in got) return { code: "AssumeRoleUnauthorizedAccess", reason: got.reason, lastUpdated };
  return { code: "Success", credentials: got, lastUpdated };
}

function nextDelayMs(served: ServedRoleCredentials, schedule: RenewalSchedule): number {
  if (served.code === "Success") {
    return served.credentials.expiration.getTime() - schedule.renewBeforeExpirySeconds * 1000 - Date.now();
  }
  return (schedule.lifetimeSeconds - schedule.renewBeforeExpirySeconds) * 1000;
}
