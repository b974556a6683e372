"""The cluster's network: a VPC with one public subnet in one AZ, and the EFA security group.

Built from L1 resources on purpose: `ec2.Vpc` in a stack with a region performs an AZ context lookup,
and synth must work offline with no credentials.
"""

from __future__ import annotations

import sys

from aws_cdk import Annotations, Tags
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from stack.config import StackConfig

VPC_CIDR = "10.42.0.0/16"
# /20: room for 16 nodes x 32 EFA interfaces each (a p5 cluster), plus AWS's 5 reserved addresses.
SUBNET_CIDR = "10.42.0.0/20"


class ClusterNetwork(Construct):
    def __init__(self, scope: Construct, cid: str, *, config: StackConfig) -> None:
        super().__init__(scope, cid)
        self.vpc = ec2.CfnVPC(self, "Vpc", cidr_block=VPC_CIDR, enable_dns_hostnames=True, enable_dns_support=True)
        Tags.of(self.vpc).add("Name", f"{config.stack_name}-vpc")

        self.subnet = ec2.CfnSubnet(
            self,
            "PublicSubnet",
            vpc_id=self.vpc.ref,
            cidr_block=SUBNET_CIDR,
            availability_zone=config.availability_zone,
            # Single-EFA nodes get a public IPv4 for outbound installs; multi-EFA launches cannot.
            map_public_ip_on_launch=config.has_public_ip,
        )
        igw = ec2.CfnInternetGateway(self, "InternetGateway")
        attach = ec2.CfnVPCGatewayAttachment(
            self, "GatewayAttachment", vpc_id=self.vpc.ref, internet_gateway_id=igw.ref
        )
        routes = ec2.CfnRouteTable(self, "PublicRoutes", vpc_id=self.vpc.ref)
        default_route = ec2.CfnRoute(
            self,
            "DefaultRoute",
            route_table_id=routes.ref,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.ref,
        )
        default_route.add_resource_dependency(attach)
        ec2.CfnSubnetRouteTableAssociation(
            self, "PublicSubnetRoutes", subnet_id=self.subnet.ref, route_table_id=routes.ref
        )

        self.security_group = self._efa_security_group(config)

    def _efa_security_group(self, config: StackConfig) -> ec2.CfnSecurityGroup:
        sg = ec2.CfnSecurityGroup(
            self,
            "EfaSecurityGroup",
            vpc_id=self.vpc.ref,
            group_description=f"{config.stack_name}: EFA nodes (all traffic within the group only)",
            # Outbound to the internet for package installs and the SSM/S3/CloudWatch endpoints.
            security_group_egress=[
                ec2.CfnSecurityGroup.EgressProperty(
                    ip_protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_ip="0.0.0.0/0",
                    description="HTTPS: SSM, S3, CloudWatch Logs, PyPI",
                ),
                ec2.CfnSecurityGroup.EgressProperty(
                    ip_protocol="tcp",
                    from_port=80,
                    to_port=80,
                    cidr_ip="0.0.0.0/0",
                    description="HTTP: OS package mirrors",
                ),
            ],
        )
        # The EFA rule: all traffic inbound AND outbound to and from the group itself.
        ec2.CfnSecurityGroupIngress(
            self,
            "EfaSelfIngress",
            group_id=sg.attr_group_id,
            ip_protocol="-1",
            source_security_group_id=sg.attr_group_id,
            description="EFA: all traffic from the group",
        )
        ec2.CfnSecurityGroupEgress(
            self,
            "EfaSelfEgress",
            group_id=sg.attr_group_id,
            ip_protocol="-1",
            destination_security_group_id=sg.attr_group_id,
            description="EFA: all traffic to the group",
        )
        self.ssh_ingress: ec2.CfnSecurityGroupIngress | None = None
        if config.ssh_cidr:
            self.ssh_ingress = ec2.CfnSecurityGroupIngress(
                self,
                "SshIngress",
                group_id=sg.attr_group_id,
                ip_protocol="tcp",
                from_port=22,
                to_port=22,
                cidr_ip=config.ssh_cidr,
                description="SSH (sshCidr context key)",
            )
            if config.ssh_open_to_world:
                message = (
                    f"sshCidr={config.ssh_cidr} opens SSH on every node to the whole internet; "
                    "prefer SSM Session Manager or a /32"
                )
                Annotations.of(sg).add_warning(message)
                print(f"WARNING: {message}", file=sys.stderr)
        return sg
