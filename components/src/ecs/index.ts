export * from "./ecs-task-roles";
