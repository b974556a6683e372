"""cdk-nag AwsSolutions (and CloudFormation validation) findings we reviewed and accept, with reasons.

Anything not acknowledged here fails synth: a new finding must be fixed or argued for in this file.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

from stack.nixl_stack import NixlEfaStack


def _ack(construct: IConstruct, rule: str, reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))


def suppress_reviewed_findings(stack: NixlEfaStack) -> None:
    network, role = stack.network, stack.node_role.role
    bucket_id = stack.get_logical_id(stack.scripts.bucket.node.default_child)
    log_group_id = stack.get_logical_id(stack.command_logs.log_group.node.default_child)
    _ack(
        network.vpc,
        "AwsSolutions-VPC7",
        "The VPC carries only the nodes' EFA traffic (OS-bypass, invisible to flow logs) and their "
        "HTTPS/HTTP egress; no inbound is allowed. Flow logs would record almost nothing useful.",
    )
    _ack(
        stack.scripts.bucket,
        "AwsSolutions-S1",
        "The bucket holds only the node task scripts the console uploads; access is private, SSL-only and "
        "already audited by CloudTrail. Server access logs would need a second bucket per stack.",
    )
    _ack(
        role,
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]",
        "AmazonSSMManagedInstanceCore is the AWS-maintained minimum for the SSM agent (Run Command, Session "
        "Manager); a hand-copied policy would drift from what the agent needs.",
    )
    for finding, reason in (
        (f"Resource::<{bucket_id}.Arn>/*", "The nodes read every object of their own scripts bucket."),
        (
            f"Resource::arn:<AWS::Partition>:logs:{stack.region}:<AWS::AccountId>:log-group:"
            f"<{log_group_id}>:log-stream:*",
            "SSM names one stream per command and instance; the streams are only in the stack's own group.",
        ),
        (
            f"Resource::arn:<AWS::Partition>:logs:{stack.region}:<AWS::AccountId>:log-group:*",
            "logs:DescribeLogGroups cannot be scoped to one group; it reveals only group names.",
        ),
    ):
        _ack(role.node.find_child("DefaultPolicy"), f"AwsSolutions-IAM5[{finding}]", reason)
    for instance in stack.cluster.instances:
        _ack(
            instance,
            "AwsSolutions-EC29",
            "The stack is the unit of lifecycle (a dev cluster is destroyed after use); prod stacks have "
            "CloudFormation termination protection instead.",
        )
    if network.ssh_ingress is not None and stack.config.ssh_open_to_world:
        reason = "The operator asked for SSH from anywhere (sshCidr); synth prints a loud warning."
        _ack(network.ssh_ingress, "AwsSolutions-EC23", reason)
        _ack(network.ssh_ingress, "CloudFormation-Validate::W2508", reason)
    for construct in (network.subnet, stack.cluster.launch_template):
        _ack(
            construct,
            "CloudFormation-Validate::W3010",
            "A cluster placement group lives in one AZ; the zone is chosen explicitly (availabilityZone) "
            "because GPU capacity differs by zone.",
        )
