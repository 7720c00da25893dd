// The audit's bound on work in flight: one Limiter for every AWS request of a run, whatever account or region it is
// for, so `--concurrency N` means N requests at once in total; and `pool`, which runs a list at most N at a time.

/**
 * A counting semaphore: at most `limit` calls of {@link Limiter.run} are running at once; the others wait, first
 * come first served.
 *
 * @example
 * ```ts
 * const limiter = new Limiter(8);
 * await Promise.all(ids.map((id) => limiter.run(() => client.send(describe(id)))));
 * limiter.peak; // at most 8
 * ```
 */
export class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** The most calls that were running at once so far. */
  peak = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`Limiter needs a positive integer, not ${limit}`);
  }

  /** Runs `fn` once fewer than `limit` calls are running; releases its slot when it settles. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    this.peak = Math.max(this.peak, this.running);
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter (running stays the same), or free it.
      const next = this.waiting.shift();
      if (next === undefined) this.running--;
      else next();
    }
  }
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order of the results. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
