"""The CloudWatch log group that SSM Run Command streams each node's output into."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Construct

from stack.config import StackConfig

# CloudWatch accepts only fixed retention periods; the profiles use these.
_RETENTION = {14: logs.RetentionDays.TWO_WEEKS, 90: logs.RetentionDays.THREE_MONTHS}


def command_log_group_name(stack_name: str) -> str:
    return f"/nixl-efa/{stack_name}/ssm-commands"


class CommandLogs(Construct):
    def __init__(self, scope: Construct, cid: str, *, config: StackConfig) -> None:
        super().__init__(scope, cid)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=command_log_group_name(config.stack_name),
            retention=_RETENTION[config.log_retention_days],
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
        )
