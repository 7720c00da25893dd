/** The contract each resource type of the LocalStack `aws` provider implements. */
import type { AwsClients } from "./clients";

/** A resource's property bag, as the engine sends and stores it. */
export type Props = Record<string, unknown>;

/** How one input property behaves, following the real provider (pulumi-aws 7.x, Terraform schema). */
export interface PropertySpec {
  /** A change replaces the resource (Terraform `ForceNew`). @default false */
  readonly replaces?: boolean;
  /**
   * Terraform `Optional` + `Computed`: when the program leaves it out, the value AWS chose stays (no diff), also right
   * after an import, whose inputs hold every value read back. @default false
   */
  readonly computed?: boolean;
  /** The default Check fills in, as the real provider reports it. @default - No default. */
  readonly default?: unknown;
  /** A JSON document compared by meaning (policy documents), not by text. @default false */
  readonly json?: boolean;
  /** Sub-properties of an object (or of each element of a list of objects); changes of these replace. @default - None. */
  readonly replacingFields?: readonly string[];
  /**
   * Fields of an object (or of each object of a list; nested fields dotted, `ebs.iops`) that AWS fills in when the
   * program leaves them out: Terraform `Optional` + `Computed` fields, and `Computed` ones such as a volume id. The
   * diff ignores such a field when the program does not set it; any other field the resource holds that the program
   * does not set (a tag added out of band) is a change, as the real provider plans it.
   * @default - None: every field counts.
   */
  readonly computedFields?: readonly string[];
  /** Sub-properties accepted in an object (or list of objects); anything else is refused. @default - Any. */
  readonly fields?: readonly string[];
}

/** What a handler needs at run time. */
export interface HandlerContext {
  readonly clients: AwsClients;
  readonly region: string;
  /** Logs a warning to the engine (shown in `pulumi up` output). */
  warn(message: string): Promise<void>;
}

/** One resource type. */
export interface ResourceHandler {
  /** The type token, for example `aws:iam/role:Role`. */
  readonly token: string;
  /** Which emulator serves it, for error messages and the README. */
  readonly service: "iam" | "ec2" | "lambda" | "ecs" | "s3" | "route53" | "dynamodb" | "logs";
  /** The input properties supported; anything else is a Check failure naming the property. */
  readonly properties: Readonly<Record<string, PropertySpec>>;
  /** Auto-naming as the real provider does it: `<logical name>-<7 random chars>` when neither name nor prefix is set. */
  readonly autoName?: {
    readonly property: string;
    readonly maxLength: number;
    /** The input holding a name prefix (Terraform's `PrefixedUniqueId`). @default "namePrefix" */
    readonly prefix?: string;
    /** The auto-name is lowercased (S3 bucket names). @default false */
    readonly lowercase?: boolean;
  };
  /** The real provider deletes before it creates the replacement. @default false */
  readonly deleteBeforeReplace?: boolean;
  /** Extra Check validation (failures name the property). */
  validate?(inputs: Props): Array<{ property: string; reason: string }>;
  /** Adjusts the generic diff decision (for example `userDataReplaceOnChange`). */
  adjustDiff?(olds: Props, news: Props, changes: string[], replaces: string[]): void;
  create(ctx: HandlerContext, inputs: Props): Promise<{ id: string; outs: Props }>;
  /** The current state, or undefined when the resource no longer exists. `state` is empty on import. */
  read(ctx: HandlerContext, id: string, state: Props): Promise<Props | undefined>;
  /** Applies in-place changes; absent when every change replaces. */
  update?(ctx: HandlerContext, id: string, olds: Props, news: Props, changed: readonly string[]): Promise<Props>;
  delete(ctx: HandlerContext, id: string, state: Props): Promise<void>;
}

/** An invoke (data source). */
export interface InvokeHandler {
  readonly token: string;
  invoke(ctx: HandlerContext, args: Props): Promise<Props>;
}
