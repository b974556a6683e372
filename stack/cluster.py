"""The EFA nodes: a cluster placement group, one launch template with every EFA interface, N instances."""

from __future__ import annotations

from aws_cdk import Tags
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from stack.config import StackConfig

# The root device of the default AMI family (DLAMI on Ubuntu 22.04).
ROOT_DEVICE_NAME = "/dev/sda1"


def efa_interfaces(
    count: int, *, subnet_id: str, security_group_id: str, public_ip: bool
) -> list[ec2.CfnLaunchTemplate.NetworkInterfaceProperty]:
    """AWS's layout: the primary on network card 0, device 0; each further EFA on the next card, device 1."""
    return [
        ec2.CfnLaunchTemplate.NetworkInterfaceProperty(
            network_card_index=card,
            device_index=0 if card == 0 else 1,
            interface_type="efa",
            subnet_id=subnet_id,
            groups=[security_group_id],
            delete_on_termination=True,
            associate_public_ip_address=public_ip if card == 0 else None,
            description=f"EFA {card}",
        )
        for card in range(count)
    ]


class EfaCluster(Construct):
    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        config: StackConfig,
        subnet: ec2.CfnSubnet,
        security_group: ec2.CfnSecurityGroup,
        instance_profile_arn: str,
    ) -> None:
        super().__init__(scope, cid)
        self.placement_group = ec2.CfnPlacementGroup(self, "PlacementGroup", strategy="cluster")

        image_id = (
            config.ami_id or ec2.MachineImage.from_ssm_parameter(config.ami_ssm_parameter).get_image(self).image_id
        )

        self.launch_template = ec2.CfnLaunchTemplate(
            self,
            "LaunchTemplate",
            launch_template_data=ec2.CfnLaunchTemplate.LaunchTemplateDataProperty(
                image_id=image_id,
                instance_type=config.instance_type,
                key_name=config.key_name,
                iam_instance_profile=ec2.CfnLaunchTemplate.IamInstanceProfileProperty(arn=instance_profile_arn),
                placement=ec2.CfnLaunchTemplate.PlacementProperty(
                    group_name=self.placement_group.ref,
                    availability_zone=config.availability_zone,
                ),
                network_interfaces=efa_interfaces(
                    config.efa_per_node,
                    subnet_id=subnet.ref,
                    security_group_id=security_group.attr_group_id,
                    public_ip=config.has_public_ip,
                ),
                metadata_options=ec2.CfnLaunchTemplate.MetadataOptionsProperty(
                    http_tokens="required",  # IMDSv2 only
                    http_endpoint="enabled",
                    http_put_response_hop_limit=1,
                ),
                block_device_mappings=[
                    ec2.CfnLaunchTemplate.BlockDeviceMappingProperty(
                        device_name=ROOT_DEVICE_NAME,
                        ebs=ec2.CfnLaunchTemplate.EbsProperty(
                            volume_size=config.volume_size,
                            volume_type="gp3",
                            encrypted=True,
                            delete_on_termination=True,
                        ),
                    )
                ],
            ),
        )

        self.instances: list[ec2.CfnInstance] = []
        for rank, node in enumerate(config.node_names):
            instance = ec2.CfnInstance(
                self,
                node.capitalize(),
                launch_template=ec2.CfnInstance.LaunchTemplateSpecificationProperty(
                    launch_template_id=self.launch_template.ref,
                    version=self.launch_template.attr_latest_version_number,
                ),
                monitoring=True,  # 1-minute metrics: a stalled install or a hot NIC shows quickly
            )
            Tags.of(instance).add("Name", f"{config.stack_name}-{node}")
            Tags.of(instance).add("nixl:stack", config.stack_name)
            Tags.of(instance).add("nixl:node", node)
            Tags.of(instance).add("nixl:rank", str(rank))
            self.instances.append(instance)
