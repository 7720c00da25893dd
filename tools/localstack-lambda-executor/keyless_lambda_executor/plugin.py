"""The plux plugin LocalStack discovers through the entry point namespace ``localstack.lambda.runtime_executor``."""

from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin

from keyless_lambda_executor import EXECUTOR_NAME


class ControlPlaneExecutorPlugin(RuntimeExecutorPlugin):
    """Selected with ``LAMBDA_RUNTIME_EXECUTOR=keyless-control-plane``."""

    name = EXECUTOR_NAME

    def load(self, *args, **kwargs):
        # Imported lazily, as LocalStack's own executor plugins do: loading the plugin index must stay cheap.
        from keyless_lambda_executor.executor import ControlPlaneRuntimeExecutor

        return ControlPlaneRuntimeExecutor
