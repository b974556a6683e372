"""The nodes' least-privilege IAM role: SSM agent, read the scripts bucket, write the command logs."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct


class NodeRole(Construct):
    def __init__(self, scope: Construct, cid: str, *, bucket: s3.IBucket, log_group: logs.ILogGroup) -> None:
        super().__init__(scope, cid)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description="EFA node: SSM agent, read the scripts bucket, write SSM command output",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("AmazonSSMManagedInstanceCore")],
        )
        # Exactly what `aws s3 cp --recursive` needs to fetch the tasks, nothing more (grant_read would
        # also give s3:GetBucket* and s3:List*).
        self.role.add_to_policy(
            iam.PolicyStatement(sid="ListScripts", actions=["s3:ListBucket"], resources=[bucket.bucket_arn])
        )
        self.role.add_to_policy(
            iam.PolicyStatement(sid="ReadScripts", actions=["s3:GetObject"], resources=[bucket.arn_for_objects("*")])
        )

        stack = Stack.of(self)
        group_arn = f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:{log_group.log_group_name}"
        # The SSM agent writes each command's output into this one group (CloudWatchOutputConfig).
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="WriteCommandOutput",
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                ],
                resources=[group_arn, f"{group_arn}:log-stream:*"],
            )
        )
        # The agent checks whether the group exists first; DescribeLogGroups is scoped to the
        # account's log-group namespace and cannot name a single group.
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="FindCommandLogGroup",
                actions=["logs:DescribeLogGroups"],
                resources=[f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:*"],
            )
        )
        self.instance_profile = iam.CfnInstanceProfile(self, "InstanceProfile", roles=[self.role.role_name])
