"""The whole stack: one construct tree that reads like the architecture."""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment, Stack, Tags
from constructs import Construct

from stack.cluster import EfaCluster
from stack.command_logs import CommandLogs
from stack.config import StackConfig
from stack.network import ClusterNetwork
from stack.node_role import NodeRole
from stack.scripts_bucket import ScriptsBucket


class NixlEfaStack(Stack):
    def __init__(self, scope: Construct, *, config: StackConfig) -> None:
        super().__init__(
            scope,
            config.stack_name,
            env=Environment(region=config.region),
            description=(
                f"NIXL over EFA: {config.node_count} x {config.instance_type} "
                f"({config.efa_per_node} EFA each) in a cluster placement group ({config.profile})"
            ),
            # prod: deleting the stack takes a deliberate step (disable termination protection first).
            termination_protection=config.retain_data,
        )
        self.config = config
        Tags.of(self).add("nixl:stack", config.stack_name)
        Tags.of(self).add("nixl:profile", config.profile)

        self.network = ClusterNetwork(self, "Network", config=config)
        self.scripts = ScriptsBucket(self, "Scripts", config=config)
        self.command_logs = CommandLogs(self, "CommandLogs", config=config)
        self.node_role = NodeRole(self, "NodeRole", bucket=self.scripts.bucket, log_group=self.command_logs.log_group)
        self.cluster = EfaCluster(
            self,
            "Cluster",
            config=config,
            subnet=self.network.subnet,
            security_group=self.network.security_group,
            instance_profile_arn=self.node_role.instance_profile.attr_arn,
        )
        self._outputs()

    def _output(self, key: str, value: str, description: str) -> None:
        CfnOutput(self, key, value=value, description=description, export_name=f"{self.config.stack_name}-{key}")

    def _outputs(self) -> None:
        config = self.config
        for i, instance in enumerate(self.cluster.instances, start=1):
            self._output(f"Node{i}InstanceId", instance.ref, f"node{i} (rank {i - 1}) instance id")
            self._output(f"Node{i}PrivateIp", instance.attr_private_ip, f"node{i} private IPv4")
            if config.has_public_ip:
                self._output(f"Node{i}PublicIp", instance.attr_public_ip, f"node{i} public IPv4")
        self._output(
            "PublicIpAssignment",
            "public IPv4 on each node (one network interface)"
            if config.has_public_ip
            else f"none: {config.efa_per_node} EFA interfaces per node get no public IPv4; use SSM",
            "Whether the nodes have public addresses",
        )
        self._output("ScriptsBucketName", self.scripts.bucket.bucket_name, "Bucket holding the node tasks")
        self._output("CommandLogGroupName", self.command_logs.log_group.log_group_name, "SSM command output log group")
        self._output("PlacementGroupName", self.cluster.placement_group.ref, "Cluster placement group of the nodes")
        self._output("NodeCount", str(config.node_count), "Number of nodes")
        self._output("InstanceType", config.instance_type, "EC2 instance type of the nodes")
