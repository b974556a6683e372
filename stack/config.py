"""The stack's configuration: one typed object built from CDK context and validated before synth.

Pure Python (no aws_cdk import) so the console and the tests can validate `-c key=value` overrides
without starting jsii.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from stack.instance_types import EFA_GPU_INSTANCE_TYPES, InstanceTypeInfo

Profile = Literal["dev", "prod"]

# The public SSM parameter of the AWS Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04): it ships
# the EFA installer, libfabric, the NVIDIA driver and CUDA. Resolved by CloudFormation at deploy time.
DEFAULT_AMI_SSM_PARAMETER = "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id"
# The DLAMI root snapshot is 75 GiB; a root volume must be at least the snapshot's size. We ask for a
# little headroom above it because vLLM, NIXL and their CUDA wheels take about 20 GiB.
MIN_VOLUME_GIB = 100
MAX_VOLUME_GIB = 16384
MIN_NODES, MAX_NODES = 2, 16

PROFILE_DEFAULTS: dict[str, dict[str, Any]] = {
    # dev: a cheap single-EFA GPU type, a scripts bucket emptied and destroyed with the stack.
    "dev": {"instanceType": "g5.12xlarge", "volumeSize": 200, "logRetentionDays": 14, "retainData": False},
    # prod: the original setup's recommendation; the bucket and logs outlive the stack.
    "prod": {"instanceType": "p5.48xlarge", "volumeSize": 500, "logRetentionDays": 90, "retainData": True},
}

CONTEXT_KEYS = (
    "stackName",
    "region",
    "availabilityZone",
    "profile",
    "instanceType",
    "nodeCount",
    "volumeSize",
    "amiId",
    "amiSsmParameter",
    "keyName",
    "sshCidr",
)

_STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$")
_AMI_ID = re.compile(r"^ami-[0-9a-f]{8}([0-9a-f]{9})?$")
_SSM_PARAM = re.compile(r"^/[A-Za-z0-9_./-]+$")
_KEY_NAME = re.compile(r"^[\x20-\x7e]{1,255}$")


class ConfigError(ValueError):
    """A context value that cannot make a valid stack; its message is one line for the operator."""

    def __init__(self, key: str, value: object, allowed: str) -> None:
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"invalid context {key}={value!r}: {allowed}")


@dataclass(frozen=True)
class StackConfig:
    stack_name: str
    region: str
    availability_zone: str
    profile: Profile
    instance_type: str
    node_count: int
    volume_size: int
    ami_id: str | None
    ami_ssm_parameter: str
    key_name: str | None
    ssh_cidr: str | None
    log_retention_days: int
    retain_data: bool

    @property
    def instance(self) -> InstanceTypeInfo:
        return EFA_GPU_INSTANCE_TYPES[self.instance_type]

    @property
    def efa_per_node(self) -> int:
        return self.instance.efa_interfaces

    @property
    def has_public_ip(self) -> bool:
        # AWS assigns no public IP to a launch with more than one network interface.
        return self.efa_per_node == 1

    @property
    def ssh_open_to_world(self) -> bool:
        return self.ssh_cidr is not None and ipaddress.ip_network(self.ssh_cidr).prefixlen == 0

    @property
    def node_names(self) -> list[str]:
        return [f"node{i}" for i in range(1, self.node_count + 1)]


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _int(key: str, value: object, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ConfigError(key, value, f"a whole number from {low} to {high}") from None
    if not low <= number <= high:
        raise ConfigError(key, value, f"a whole number from {low} to {high}")
    return number


def _optional(key: str, value: object, pattern: re.Pattern[str], allowed: str) -> str | None:
    if _blank(value):
        return None
    text = str(value).strip()
    if not pattern.match(text):
        raise ConfigError(key, value, allowed)
    return text


def _cidr(value: object) -> str | None:
    if _blank(value):
        return None
    try:
        net = ipaddress.ip_network(str(value).strip(), strict=True)
    except ValueError:
        raise ConfigError("sshCidr", value, "an IPv4 CIDR such as 203.0.113.7/32") from None
    if net.version != 4:
        raise ConfigError("sshCidr", value, "an IPv4 CIDR such as 203.0.113.7/32")
    return str(net)


def load_config(context: Mapping[str, Any] | Callable[[str], Any]) -> StackConfig:
    """Build and validate the configuration from CDK context (a mapping or `node.try_get_context`)."""
    get = context.get if isinstance(context, Mapping) else context

    profile = str(get("profile") or "dev").strip()
    if profile not in PROFILE_DEFAULTS:
        raise ConfigError("profile", profile, "one of: dev, prod")
    defaults = PROFILE_DEFAULTS[profile]

    def pick(key: str) -> Any:
        value = get(key)
        return defaults.get(key) if _blank(value) else value

    stack_name = str(pick("stackName") or "nixl-efa-dev-east-1").strip()
    if not _STACK_NAME.match(stack_name):
        raise ConfigError("stackName", stack_name, "letters, digits and hyphens, starting with a letter, at most 128")

    region = str(pick("region") or "us-east-1").strip()
    if not _REGION.match(region):
        raise ConfigError("region", region, "an AWS region name such as us-east-1 or us-west-2")

    az = str(pick("availabilityZone") or f"{region}a").strip()
    if not re.fullmatch(re.escape(region) + r"[a-z]", az):
        raise ConfigError("availabilityZone", az, f"a zone of {region}, such as {region}a or {region}b")

    instance_type = str(pick("instanceType")).strip()
    if instance_type not in EFA_GPU_INSTANCE_TYPES:
        raise ConfigError(
            "instanceType",
            instance_type,
            "an EFA-capable GPU instance type: " + ", ".join(sorted(EFA_GPU_INSTANCE_TYPES)),
        )

    node_count = _int("nodeCount", pick("nodeCount") or 2, MIN_NODES, MAX_NODES)
    volume_size = _int("volumeSize", pick("volumeSize"), MIN_VOLUME_GIB, MAX_VOLUME_GIB)

    ami_id = _optional("amiId", get("amiId"), _AMI_ID, "an AMI id such as ami-0123456789abcdef0")
    ami_ssm = (
        _optional("amiSsmParameter", get("amiSsmParameter"), _SSM_PARAM, "an SSM parameter path starting with /")
        or DEFAULT_AMI_SSM_PARAMETER
    )
    key_name = _optional("keyName", get("keyName"), _KEY_NAME, "an EC2 key pair name (printable ASCII)")

    return StackConfig(
        stack_name=stack_name,
        region=region,
        availability_zone=az,
        profile=profile,  # type: ignore[arg-type]
        instance_type=instance_type,
        node_count=node_count,
        volume_size=volume_size,
        ami_id=ami_id,
        ami_ssm_parameter=ami_ssm,
        key_name=key_name,
        ssh_cidr=_cidr(get("sshCidr")),
        log_retention_days=int(defaults["logRetentionDays"]),
        retain_data=bool(defaults["retainData"]),
    )
