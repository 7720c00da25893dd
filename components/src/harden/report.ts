import * as pulumi from "@pulumi/pulumi";
import { KeylessValidationError } from "../errors";

/**
 * What {@link hardenStack} did to one resource, logged as one line through `pulumi.log.info` so that `pulumi preview`
 * shows it. Changes found inside an apply (an Output value, known later) get a line of their own when they are found.
 * @internal
 */
export class ResourceReport {
  private readonly changes: string[] = [];
  private readonly advice: string[] = [];
  private settled = false;
  private scheduled = false;
  /** How many changes were recorded, logged or not. */
  public changeCount = 0;

  /**
   * @param type - the resource's type token
   * @param name - its logical name
   * @param warn - whether broken rules are warnings instead of errors
   */
  constructor(
    private readonly type: string,
    private readonly name: string,
    private readonly warn: boolean,
  ) {}

  /** The resource as the log names it, for example `aws:ec2/instance:Instance "web"`. */
  public get label(): string {
    return `${this.type} "${this.name}"`;
  }

  /** Records a change made to the resource's inputs. */
  public change(text: string): void {
    this.changeCount++;
    this.changes.push(text);
    this.later();
  }

  /** Records hardening that was not applied (it would replace the resource). */
  public advise(text: string): void {
    this.advice.push(text);
    this.later();
  }

  /**
   * Runs `check`; with `onViolation: "warn"` a {@link KeylessValidationError} becomes a warning (the message never
   * holds a secret, only the scanner's four-character previews). `note` (an expired exemption) ends the message.
   * Returns the value unchanged, for `mapValue`.
   */
  public guard<T>(check: (value: T) => void, note?: string): (value: T) => T {
    return (value) => {
      try {
        check(value);
      } catch (caught) {
        if (!KeylessValidationError.isInstance(caught)) throw caught;
        // An expired exemption: the refusal says so (and when), as the pack's violation does.
        const err =
          note === undefined
            ? caught
            : new KeylessValidationError(
                caught.code,
                caught.argument,
                `${caught.message.replace(/ \[\w+\]$/, "")} ${note}`,
              );
        if (!this.warn) throw err;
        void pulumi.log.warn(`hardenStack: ${this.label}: ${err.message}`);
      }
      return value;
    };
  }

  /** After the transform returned, records made in one apply are logged together, once it has run. */
  private later(): void {
    if (!this.settled || this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Logs what was recorded so far in one line, and logs later records as they come. */
  public flush(): void {
    this.settled = true;
    if (this.changes.length === 0 && this.advice.length === 0) return;
    const parts = [
      ...(this.changes.length > 0 ? [`set ${this.changes.join(", ")}`] : []),
      ...(this.advice.length > 0 ? [`advice: ${this.advice.join("; ")}`] : []),
    ];
    void pulumi.log.info(`hardenStack: ${this.label}: ${parts.join("; ")}`);
    this.changes.length = 0;
    this.advice.length = 0;
  }
}
