"""The typed configuration: profiles, overrides and the one-line errors for bad values."""

from __future__ import annotations

import pytest

from stack.config import DEFAULT_AMI_SSM_PARAMETER, ConfigError, load_config


def test_dev_defaults() -> None:
    config = load_config({})
    assert config.stack_name == "nixl-efa-dev-east-1"
    assert config.region == "us-east-1"
    assert config.availability_zone == "us-east-1a"
    assert config.profile == "dev"
    assert config.instance_type == "g5.12xlarge"
    assert config.efa_per_node == 1 and config.has_public_ip
    assert config.node_count == 2 and config.node_names == ["node1", "node2"]
    assert config.volume_size == 200
    assert config.ami_ssm_parameter == DEFAULT_AMI_SSM_PARAMETER and config.ami_id is None
    assert config.key_name is None and config.ssh_cidr is None
    assert not config.retain_data and config.log_retention_days == 14


def test_prod_profile_and_explicit_keys_override_it() -> None:
    prod = load_config({"profile": "prod"})
    assert (prod.instance_type, prod.volume_size, prod.retain_data) == ("p5.48xlarge", 500, True)
    assert prod.efa_per_node == 32 and not prod.has_public_ip
    custom = load_config({"profile": "prod", "instanceType": "p4d.24xlarge", "volumeSize": "300"})
    assert (custom.instance_type, custom.volume_size, custom.retain_data) == ("p4d.24xlarge", 300, True)


def test_strings_from_the_command_line_are_parsed() -> None:
    config = load_config(
        {
            "nodeCount": "8",
            "region": "us-west-2",
            "availabilityZone": "us-west-2c",
            "sshCidr": "203.0.113.7/32",
        }
    )
    assert config.node_count == 8
    assert config.availability_zone == "us-west-2c"
    assert config.ssh_cidr == "203.0.113.7/32" and not config.ssh_open_to_world


@pytest.mark.parametrize(
    ("context", "key", "hint"),
    [
        ({"instanceType": "t3.micro"}, "instanceType", "EFA-capable GPU instance type"),
        ({"instanceType": "c5n.18xlarge"}, "instanceType", "p5.48xlarge"),
        ({"nodeCount": "1"}, "nodeCount", "from 2 to 16"),
        ({"nodeCount": "17"}, "nodeCount", "from 2 to 16"),
        ({"nodeCount": "two"}, "nodeCount", "whole number"),
        ({"stackName": "1bad_name"}, "stackName", "starting with a letter"),
        ({"volumeSize": "50"}, "volumeSize", "from 100"),
        ({"availabilityZone": "us-west-2a"}, "availabilityZone", "a zone of us-east-1"),
        ({"region": "mars-1"}, "region", "AWS region"),
        ({"profile": "staging"}, "profile", "dev, prod"),
        ({"amiId": "ubuntu"}, "amiId", "ami-"),
        ({"sshCidr": "10.0.0.1/33"}, "sshCidr", "IPv4 CIDR"),
    ],
)
def test_bad_values_name_key_value_and_what_is_allowed(context: dict[str, str], key: str, hint: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(context)
    message = str(err.value)
    assert err.value.key == key
    assert "\n" not in message
    assert f"{key}=" in message and repr(next(iter(context.values()))) in message
    assert hint in message
