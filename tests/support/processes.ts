// The machine's processes, read from /proc: what the kill tests use to find the Pulumi CLI and the plugins below it,
// and to see them gone.
import { readdirSync, readFileSync } from "node:fs";

/** One process: pid, parent, start time (to tell a reused pid) and command line. */
export interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly start: string;
  readonly cmdline: string;
}

/** Every live process on the machine (zombies left out). */
export function processes(): Map<number, Proc> {
  const out = new Map<number, Proc>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid … starttime is field 22; comm may hold spaces and parentheses, so split after it.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z") continue; // exited, not yet reaped
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim();
      out.set(Number(entry), { pid: Number(entry), ppid: Number(fields[1]), start: fields[19] ?? "", cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The processes below `root` in `table`, parents before their children. */
export function descendants(table: Map<number, Proc>, root: number): Proc[] {
  const found: Proc[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift() as number;
    for (const p of table.values()) {
      if (p.ppid === parent) {
        found.push(p);
        queue.push(p.pid);
      }
    }
  }
  return found;
}

/** Whether `p` still runs (the same process, not another that took its pid). */
export function alive(p: Proc): boolean {
  return processes().get(p.pid)?.start === p.start;
}

/** Polls `probe` until it answers something other than `undefined`; fails naming `what` after `ms`. */
export async function until<T>(
  what: string,
  ms: number,
  probe: () => T | undefined | Promise<T | undefined>,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
