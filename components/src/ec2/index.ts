export * from "./hardening";
export * from "./secure-instance";
export * from "./secure-launch-template";
