"""EFA-capable GPU instance types this tool knows, with their EFA interface counts.

Source: AWS EC2 User Guide, "Supported instance types" for EFA, and the instance profiles of
aws-samples/awsome-distributed-training; the authoritative figure for any type is
`aws ec2 describe-instance-types` -> NetworkInfo.EfaInfo.MaximumEfaInterfaces.
Keep this table free of AWS imports: the stack, the engine and the node tasks' tests all read it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InstanceTypeInfo:
    name: str
    efa_interfaces: int
    gpus: int
    gpu_model: str


def _t(name: str, efa: int, gpus: int, model: str) -> tuple[str, InstanceTypeInfo]:
    return name, InstanceTypeInfo(name, efa, gpus, model)


EFA_GPU_INSTANCE_TYPES: dict[str, InstanceTypeInfo] = dict(
    [
        # Multi-EFA training/inference types.
        _t("p4d.24xlarge", 4, 8, "A100-40GB"),
        _t("p4de.24xlarge", 4, 8, "A100-80GB"),
        _t("p5.48xlarge", 32, 8, "H100"),
        _t("p5e.48xlarge", 32, 8, "H200"),
        _t("p5en.48xlarge", 16, 8, "H200"),
        _t("p6-b200.48xlarge", 8, 8, "B200"),
        _t("g6e.24xlarge", 2, 4, "L40S"),
        _t("g6e.48xlarge", 4, 8, "L40S"),
        # Single-EFA types: the cheaper ones suit a dev cluster.
        _t("p3dn.24xlarge", 1, 8, "V100"),
        _t("g4dn.8xlarge", 1, 1, "T4"),
        _t("g4dn.12xlarge", 1, 4, "T4"),
        _t("g4dn.16xlarge", 1, 1, "T4"),
        _t("g5.8xlarge", 1, 1, "A10G"),
        _t("g5.12xlarge", 1, 4, "A10G"),
        _t("g5.16xlarge", 1, 1, "A10G"),
        _t("g5.24xlarge", 1, 4, "A10G"),
        _t("g5.48xlarge", 1, 8, "A10G"),
        _t("g6.8xlarge", 1, 1, "L4"),
        _t("g6.12xlarge", 1, 4, "L4"),
        _t("g6.16xlarge", 1, 1, "L4"),
        _t("g6.24xlarge", 1, 4, "L4"),
        _t("g6.48xlarge", 1, 8, "L4"),
        _t("g6e.8xlarge", 1, 1, "L40S"),
        _t("g6e.12xlarge", 1, 4, "L40S"),
        _t("g6e.16xlarge", 1, 1, "L40S"),
    ]
)


def lookup(instance_type: str) -> InstanceTypeInfo | None:
    return EFA_GPU_INSTANCE_TYPES.get(instance_type)


def expected_efa_count(instance_type: str) -> int | None:
    """EFA devices a healthy node of this type shows, or None for a type we do not know."""
    info = lookup(instance_type)
    return info.efa_interfaces if info else None
