export * from "./eks-pod-identity-role";
export * from "./eks-service-account-role";
export * from "./github-actions-role";
export * from "./gitlab-ci-role";
export * from "./issuer-url";
export * from "./oidc-provider";
export * from "./pulumi-cloud-role";
