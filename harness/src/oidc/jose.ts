/**
 * jose, loaded on first use. jose 6 is an ES module only; the harness is CommonJS, so it comes in through `import()`
 * (which the TypeScript build keeps as a real dynamic import), not `require`.
 */
export type Jose = typeof import("jose", { with: { "resolution-mode": "import" }});

/** A key set to verify against (what `createRemoteJWKSet` returns). */
export type KeySet = ReturnType<Jose["createRemoteJWKSet"]>;

/** A token's claims. */
export type JwtClaims = Awaited<ReturnType<Jose["jwtVerify"]>>["payload"];

let loading: Promise<Jose> | undefined;

/** The jose module. */
export function jose(): Promise<Jose> {
  loading ??= import("jose");
  return loading;
}
