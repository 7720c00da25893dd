export * from "./instance-profile";
export * from "./policy-statement";
export * from "./principals";
export * from "./workload-role";
