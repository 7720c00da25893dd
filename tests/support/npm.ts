/**
 * The npm that runs this test: under `npm test` the one in `npm_execpath`, run with this Node.js; else `npm` on PATH.
 * Returns the command and the arguments that go before npm's own.
 */
export function npmCommand(): [string, string[]] {
  const execPath = process.env["npm_execpath"];
  return execPath?.endsWith(".js") ? [process.execPath, [execPath]] : ["npm", []];
}
