export * from "./lambda-execution-role";
