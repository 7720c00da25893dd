/**
 * A function's deployment package as Lambda hands it out: GetFunction's `Code.Location` (a presigned URL), downloaded
 * and unpacked into a task root, as Lambda unpacks it into `/var/task`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { unzipSync } from "fflate";

/** LocalStack's public host name for itself: it resolves to 127.0.0.1 through public DNS only. */
const LOCALSTACK_HOST = /(^|\.)localhost\.localstack\.cloud$/;

/**
 * Downloads the package. LocalStack names itself `localhost.localstack.cloud` in the URL, a public DNS name that
 * resolves to 127.0.0.1 and not at all offline: the same path and query are then fetched from `localStack`, the
 * endpoint the harness talks to.
 */
export async function downloadCode(location: string, localStack: string): Promise<Buffer> {
  const url = new URL(location);
  const target = LOCALSTACK_HOST.test(url.hostname) ? new URL(`${url.pathname}${url.search}`, localStack) : url;
  const res = await fetch(target, { signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`downloading the function's code answered HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/**
 * Unpacks a ZIP into `dir`. An entry whose path would leave `dir` (absolute, or `..`) is refused, naming it. File modes
 * are not kept (fflate does not read them): an executable in the package is unpacked without its execute bit.
 * @returns the paths unpacked, relative to `dir`
 */
export function unpackZip(zip: Uint8Array, dir: string): string[] {
  const root = path.resolve(dir);
  const written: string[] = [];
  for (const [name, data] of Object.entries(unzipSync(zip))) {
    const target = path.resolve(root, name);
    if (target !== root && !target.startsWith(`${root}${path.sep}`)) {
      throw new Error(`the function's package holds an entry outside its task root: ${JSON.stringify(name)}`);
    }
    if (name.endsWith("/")) {
      mkdirSync(target, { recursive: true });
      continue;
    }
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, data);
    written.push(name);
  }
  return written.sort();
}
