"""A control-plane-only Lambda runtime executor for LocalStack (keyless).

LocalStack's default executor pulls a runtime image into Docker while it prepares each function version; without
Docker the version ends Failed and the function can then be neither updated nor deleted. This executor prepares
nothing, so LocalStack's own Lambda control plane (create, configuration and code updates, versions, delete) works
as it does with Docker; starting an execution environment (invoking a function) raises a clear error instead.
"""

__version__ = "0.1.0"

#: The name LocalStack selects it by (``LAMBDA_RUNTIME_EXECUTOR``), also the entry point's name.
EXECUTOR_NAME = "keyless-control-plane"
