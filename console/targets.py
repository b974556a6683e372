"""Where a run goes: a real AWS account, or the local sandbox."""

from __future__ import annotations

import os

from console.aws_clients import AwsClients
from console.engine import Target
from console.sandbox.runtime import SandboxEndpoint


def sandbox_target(
    sandbox: SandboxEndpoint, *, register_timeout: float = 30, command_timeout: int | None = None
) -> Target:
    aws_env = sandbox.aws_env()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | aws_env
    return Target(
        AwsClients(sandbox.region, sandbox.endpoint_url, aws_env),
        env,
        sandbox=True,
        mlflow_port=sandbox.mlflow_port,
        register_timeout=register_timeout,
        command_timeout=command_timeout or 900,
        deploy_timeout=600,
        mlflow_url=sandbox.mlflow_url,
        prepare=sandbox.bootstrap,
    )


def aws_target(region: str) -> tuple[Target, str]:
    """The target and the caller's account; CredentialsError when there are no usable credentials."""
    clients = AwsClients(region)
    account = clients.check_credentials()
    return Target(clients, dict(os.environ), sandbox=False), account
