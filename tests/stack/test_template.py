"""The synthesized template, property by property, across instance types, profiles and node counts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.stack.conftest import Synth

pytestmark = pytest.mark.slow
SynthFn = Callable[..., Synth]


def _launch_data(s: Synth) -> dict[str, Any]:
    return s.only("AWS::EC2::LaunchTemplate")["LaunchTemplateData"]


@pytest.mark.parametrize(
    ("overrides", "efa"),
    [
        ({}, 1),
        ({"instanceType": "p4d.24xlarge"}, 4),
        ({"profile": "prod"}, 32),
        ({"instanceType": "p5en.48xlarge"}, 16),
    ],
)
def test_launch_template_has_every_efa_interface_by_aws_rules(synth: SynthFn, overrides: dict, efa: int) -> None:
    interfaces = _launch_data(synth(**overrides))["NetworkInterfaces"]
    assert len(interfaces) == efa
    assert [i["NetworkCardIndex"] for i in interfaces] == list(range(efa))
    assert interfaces[0]["DeviceIndex"] == 0
    assert all(i["DeviceIndex"] == 1 for i in interfaces[1:])
    assert {i["InterfaceType"] for i in interfaces} == {"efa"}
    assert all(i["DeleteOnTermination"] for i in interfaces)
    # More than one interface: AWS cannot auto-assign a public IP, so the primary explicitly asks for none.
    public = [i.get("AssociatePublicIpAddress") for i in interfaces]
    assert public == ([True] if efa == 1 else [False] + [None] * (efa - 1))


def test_imdsv2_encrypted_gp3_root_and_placement(synth: SynthFn) -> None:
    s = synth()
    data = _launch_data(s)
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["BlockDeviceMappings"] == [
        {
            "DeviceName": "/dev/sda1",
            "Ebs": {"DeleteOnTermination": True, "Encrypted": True, "VolumeSize": 200, "VolumeType": "gp3"},
        }
    ]
    assert data["InstanceType"] == "g5.12xlarge"
    assert data["Placement"]["AvailabilityZone"] == "us-east-1a"
    pg_id = next(iter(s.resources("AWS::EC2::PlacementGroup")))
    assert data["Placement"]["GroupName"] == {"Ref": pg_id}
    assert s.only("AWS::EC2::PlacementGroup")["Strategy"] == "cluster"
    assert "KeyName" not in data


def test_ami_resolved_at_deploy_time_from_public_ssm_parameter(synth: SynthFn) -> None:
    s = synth()
    image = _launch_data(s)["ImageId"]
    param = s.raw["Parameters"][image["Ref"]]
    assert param["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    assert param["Default"].startswith("/aws/service/deeplearning/ami/")
    explicit = synth(amiId="ami-0123456789abcdef0", keyName="ops")
    assert _launch_data(explicit)["ImageId"] == "ami-0123456789abcdef0"
    assert _launch_data(explicit)["KeyName"] == "ops"


@pytest.mark.parametrize("nodes", [2, 8])
def test_instances_from_the_launch_template_tagged_with_node_and_rank(synth: SynthFn, nodes: int) -> None:
    s = synth(nodeCount=nodes)
    instances = s.resources("AWS::EC2::Instance")
    assert len(instances) == nodes
    lt_id = next(iter(s.resources("AWS::EC2::LaunchTemplate")))
    seen = set()
    for res in instances.values():
        props = res["Properties"]
        assert props["LaunchTemplate"]["LaunchTemplateId"] == {"Ref": lt_id}
        assert props["Monitoring"] is True
        tags = {t["Key"]: t["Value"] for t in props["Tags"]}
        assert tags["nixl:stack"] == "nixl-efa-dev-east-1"
        assert tags["Name"] == f"nixl-efa-dev-east-1-{tags['nixl:node']}"
        seen.add((tags["nixl:node"], tags["nixl:rank"]))
    assert seen == {(f"node{i + 1}", str(i)) for i in range(nodes)}
    outputs = s.raw["Outputs"]
    for i in range(1, nodes + 1):
        assert outputs[f"Node{i}InstanceId"]["Export"]["Name"] == f"nixl-efa-dev-east-1-Node{i}InstanceId"
        assert f"Node{i}PrivateIp" in outputs
    assert outputs["NodeCount"]["Value"] == str(nodes)


def test_outputs_single_efa_has_public_ips(synth: SynthFn) -> None:
    outputs = synth().raw["Outputs"]
    for key in (
        "ScriptsBucketName",
        "CommandLogGroupName",
        "PlacementGroupName",
        "NodeCount",
        "InstanceType",
    ):
        assert outputs[key]["Export"]["Name"] == f"nixl-efa-dev-east-1-{key}"
    assert outputs["InstanceType"]["Value"] == "g5.12xlarge"
    assert {"Node1PublicIp", "Node2PublicIp"} <= set(outputs)
    assert outputs["PublicIpAssignment"]["Value"].startswith("public IPv4")


def test_outputs_multi_efa_say_there_is_no_public_ip(synth: SynthFn) -> None:
    s = synth(profile="prod")
    outputs = s.raw["Outputs"]
    assert not [k for k in outputs if k.endswith("PublicIp")]
    assert outputs["PublicIpAssignment"]["Value"].startswith("none: 32 EFA interfaces")
    assert s.only("AWS::EC2::Subnet")["MapPublicIpOnLaunch"] is False


def test_network_is_one_public_subnet_with_igw_route(synth: SynthFn) -> None:
    s = synth(region="us-west-2", availabilityZone="us-west-2b")
    subnet = s.only("AWS::EC2::Subnet")
    assert subnet["AvailabilityZone"] == "us-west-2b"
    assert subnet["MapPublicIpOnLaunch"] is True
    route = s.only("AWS::EC2::Route")
    igw_id = next(iter(s.resources("AWS::EC2::InternetGateway")))
    table_id = next(iter(s.resources("AWS::EC2::RouteTable")))
    assert route == {
        "DestinationCidrBlock": "0.0.0.0/0",
        "GatewayId": {"Ref": igw_id},
        "RouteTableId": {"Ref": table_id},
    }
    assert len(s.resources("AWS::EC2::SubnetRouteTableAssociation")) == 1
    assert len(s.resources("AWS::EC2::VPCGatewayAttachment")) == 1


def test_security_group_efa_self_rule_and_no_other_inbound(synth: SynthFn) -> None:
    s = synth()
    sg_id = next(iter(s.resources("AWS::EC2::SecurityGroup")))
    sg = s.only("AWS::EC2::SecurityGroup")
    assert "SecurityGroupIngress" not in sg
    assert {(e["IpProtocol"], e["FromPort"], e["CidrIp"]) for e in sg["SecurityGroupEgress"]} == {
        ("tcp", 443, "0.0.0.0/0"),
        ("tcp", 80, "0.0.0.0/0"),
    }
    group = {"Fn::GetAtt": [sg_id, "GroupId"]}
    ingress = s.only("AWS::EC2::SecurityGroupIngress")
    assert ingress["IpProtocol"] == "-1" and ingress["SourceSecurityGroupId"] == group
    assert ingress["GroupId"] == group
    egress = s.only("AWS::EC2::SecurityGroupEgress")
    assert egress["IpProtocol"] == "-1" and egress["DestinationSecurityGroupId"] == group
    interfaces = _launch_data(s)["NetworkInterfaces"]
    assert all(i["Groups"] == [group] for i in interfaces)


def test_ssh_only_when_ssh_cidr_is_given(synth: SynthFn) -> None:
    s = synth(sshCidr="203.0.113.7/32")
    rules = list(s.resources("AWS::EC2::SecurityGroupIngress").values())
    ssh = [r["Properties"] for r in rules if r["Properties"].get("FromPort") == 22]
    assert len(ssh) == 1
    assert ssh[0]["CidrIp"] == "203.0.113.7/32" and ssh[0]["ToPort"] == 22


def test_ssh_open_to_the_world_is_said_loudly(synth: SynthFn, capsys: pytest.CaptureFixture[str]) -> None:
    synth(sshCidr="0.0.0.0/0")
    assert "WARNING: sshCidr=0.0.0.0/0 opens SSH on every node to the whole internet" in capsys.readouterr().err


def test_node_role_least_privilege(synth: SynthFn) -> None:
    s = synth()
    roles = s.resources("AWS::IAM::Role")
    node_roles = [r for k, r in roles.items() if k.startswith("NodeRole")]
    assert len(node_roles) == 1
    role = node_roles[0]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert role["ManagedPolicyArns"] == [
        {
            "Fn::Join": [
                "",
                ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/AmazonSSMManagedInstanceCore"],
            ]
        }
    ]
    policy = s.only("AWS::IAM::Policy")["PolicyDocument"]["Statement"]
    actions = sorted(a for st in policy for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"]))
    assert actions == sorted(
        [
            "s3:ListBucket",
            "s3:GetObject",
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:DescribeLogStreams",
            "logs:PutLogEvents",
            "logs:DescribeLogGroups",
        ]
    )
    # Valid action names: service prefix, a colon, no spaces (the original report had "logs: CreateLogGroup").
    assert all(" " not in a and a.count(":") == 1 for a in actions)
    assert all(st["Effect"] == "Allow" for st in policy)
    bucket_id = next(iter(s.resources("AWS::S3::Bucket")))
    log_group_id = next(iter(s.resources("AWS::Logs::LogGroup")))
    by_sid = {st["Sid"]: st for st in policy}
    assert by_sid["ListScripts"]["Resource"] == {"Fn::GetAtt": [bucket_id, "Arn"]}
    assert str(by_sid["WriteCommandOutput"]["Resource"]).count(log_group_id) == 2
    assert "*" not in str(by_sid["WriteCommandOutput"]["Resource"]).replace("log-stream:*", "")


@pytest.mark.parametrize(("profile", "retain"), [("dev", False), ("prod", True)])
def test_scripts_bucket_private_encrypted_and_lifecycle_by_profile(synth: SynthFn, profile: str, retain: bool) -> None:
    s = synth(profile=profile)
    buckets = s.resources("AWS::S3::Bucket")
    assert len(buckets) == 1
    (bucket,) = buckets.values()
    props = bucket["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert "VersioningConfiguration" not in props
    policy = s.only("AWS::S3::BucketPolicy")["PolicyDocument"]["Statement"]
    assert any(
        st["Effect"] == "Deny" and st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for st in policy
    )
    auto_delete = s.resources("Custom::S3AutoDeleteObjects")
    if retain:
        assert bucket["DeletionPolicy"] == "Retain" and not auto_delete
        assert s.raw.get("Parameters") is not None  # still deployable
    else:
        assert bucket["DeletionPolicy"] == "Delete" and len(auto_delete) == 1


@pytest.mark.parametrize(("profile", "days", "policy"), [("dev", 14, "Delete"), ("prod", 90, "Retain")])
def test_command_log_group(synth: SynthFn, profile: str, days: int, policy: str) -> None:
    s = synth(profile=profile)
    (group,) = s.resources("AWS::Logs::LogGroup").values()
    assert group["Properties"]["LogGroupName"] == "/nixl-efa/nixl-efa-dev-east-1/ssm-commands"
    assert group["Properties"]["RetentionInDays"] == days
    assert group["DeletionPolicy"] == policy


def test_prod_stack_has_termination_protection(synth: SynthFn) -> None:
    prod = synth(profile="prod")
    manifest = json.loads((prod.outdir / "manifest.json").read_text())
    props = manifest["artifacts"]["nixl-efa-dev-east-1"]["properties"]
    assert props.get("terminationProtection") is True
    dev_manifest = json.loads((synth().outdir / "manifest.json").read_text())
    assert not dev_manifest["artifacts"]["nixl-efa-dev-east-1"]["properties"].get("terminationProtection")
