export * from "./engine";
export * from "./localstack";
export * from "./stack";
