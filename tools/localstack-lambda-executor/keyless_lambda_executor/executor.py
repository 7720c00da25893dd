"""The executor: every preparation step succeeds and does nothing; anything that would run code raises."""

from localstack.services.lambda_.invocation.runtime_executor import LambdaRuntimeException, RuntimeExecutor

from keyless_lambda_executor import EXECUTOR_NAME

NO_DOCKER = (
    "invoking a function needs Docker; keyless runs LocalStack's Lambda control plane only "
    f"(LAMBDA_RUNTIME_EXECUTOR={EXECUTOR_NAME}): create, update and delete functions, but do not invoke them"
)


class ControlPlaneOnlyExecutionError(LambdaRuntimeException):
    """Raised for anything that needs an execution environment (a container running the function's code)."""

    def __init__(self, function_arn: str):
        super().__init__(f"{function_arn}: {NO_DOCKER}")


class ControlPlaneRuntimeExecutor(RuntimeExecutor):
    """A runtime executor with no runtime: versions are prepared and cleaned up instantly, never started."""

    def start(self, env_vars: dict[str, str]) -> None:
        raise ControlPlaneOnlyExecutionError(self.function_version.id.qualified_arn())

    def stop(self) -> None:
        # Nothing was started; LocalStack may still call stop while it winds an environment down.
        return None

    def get_address(self) -> str:
        raise ControlPlaneOnlyExecutionError(self.function_version.id.qualified_arn())

    def get_endpoint_from_executor(self) -> str:
        raise ControlPlaneOnlyExecutionError(self.function_version.id.qualified_arn())

    def get_runtime_endpoint(self) -> str:
        raise ControlPlaneOnlyExecutionError(self.function_version.id.qualified_arn())

    def invoke(self, payload: dict[str, str]):
        raise ControlPlaneOnlyExecutionError(self.function_version.id.qualified_arn())

    def get_logs(self) -> str:
        return ""

    @classmethod
    def prepare_version(cls, function_version) -> None:
        # The Docker executor pulls an image and unpacks the code here; with no runtime there is nothing to prepare,
        # so the version turns Active at once.
        return None

    @classmethod
    def cleanup_version(cls, function_version) -> None:
        return None

    @classmethod
    def validate_environment(cls) -> bool:
        return True
