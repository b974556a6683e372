"""Simulated nodes: a directory that stands in for a GPU/EFA machine, built from real recordings.

Layout of a node directory (the names other tools rely on are fixed):

    profile.txt               the profile name and where each piece came from
    instance-type.txt         one line, answered by the IMDS shim
    availability-zone.txt     one line, answered by the IMDS shim
    fi_info.txt               verbatim stdout of `fi_info -p efa -t FI_EP_RDM`; with fi_info.rc holding a
                              non-zero exit code the text is the stderr instead
    fi_info-version.txt       stdout of `fi_info --version`
    ibv_devices.txt [.rc]     stdout (or stderr with a non-zero .rc) of `ibv_devices`
    nvidia-smi.txt [.rc]      stdout of plain `nvidia-smi` (absent: the command is not found)
    modinfo.txt / lsmod.txt   what `modinfo efa` / `lsmod` print (GPUDirect hints)
    efa_installed_packages    the EFA installer's record (/opt/amazon/efa_installed_packages)
    sys/class/infiniband/DEV/device/vendor   sysfs, 0x1d0f for an EFA
    bin/                      the shims (fi_info, ibv_devices, nvidia-smi, modinfo, lsmod, curl)

`node_env()` gives the environment that makes task_runner.sh see this directory as its hardware.
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

from tasks.lib.parsers import domain_device, parse_fi_info

HERE = Path(__file__).resolve().parent
RECORDINGS = HERE / "recordings"
SHIMS = HERE / "shims"
EFA_VENDOR = "0x1d0f"


def recording(name: str) -> str:
    return (RECORDINGS / name).read_text()


def rdm_blocks(text: str) -> str:
    """Only the FI_EP_RDM blocks of a `fi_info -p efa` recording: what `-t FI_EP_RDM` prints."""
    blocks: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("provider:"):
            blocks.append([])
        if blocks:
            blocks[-1].append(line)
    kept = [b for b in blocks if any(line.strip() == "type: FI_EP_RDM" for line in b)]
    return "".join(line + "\n" for block in kept for line in block)


def fi_info_rdm(domains: list[str], version: str = "122.0") -> str:
    """fi_info RDM blocks in the exact format of the recordings, for devices no public recording has."""
    return "".join(
        f"provider: efa\n    fabric: efa\n    domain: {d}-rdm\n    version: {version}\n"
        "    type: FI_EP_RDM\n    protocol: FI_PROTO_EFA\n"
        for d in domains
    )


def ibv_devices_text(devices: list[str]) -> str:
    """`ibv_devices` in the recorded column format; EFA devices have zero GUIDs (ibv_devinfo recording)."""
    rows = "".join(f"    {d:<23}{'0' * 16}\n" for d in devices)
    return "    device                 node GUID\n    ------              ----------------\n" + rows


# p5/p5en: no public full recording exists. Device names follow the documented rdmapNsM naming
# (bus number, slot 0), four EFA per PCIe switch next to each GPU pair.
P5_BUSES = [b + i for b in (79, 96, 113, 130, 147, 164, 181, 198) for i in range(4)]
P5EN_BUSES = [b + i for b in (79, 113, 147, 181) for i in range(4)]

LSMOD_GDR = "Module                  Size  Used by\nnvidia_peermem         16384  0\nefa                   147456  0\n"
MODINFO_GDR = (
    "filename:       /lib/modules/5.15.0-1063-aws/updates/efa.ko\nversion:        2.13.0g\n"
    "license:        Dual BSD/GPL\ndescription:    Elastic Fabric Adapter (EFA)\nparm:           gdr: Y\n"
)


@dataclass(frozen=True)
class Profile:
    name: str
    instance_type: str
    note: str
    fi_info: str
    fi_info_rc: int = 0
    fi_version: str = field(default_factory=lambda: recording("fi_info-version-1.22.0amzn5.0.txt"))
    nvidia_smi: str | None = field(default_factory=lambda: recording("nvidia-smi-p4d-8xA100-40GB.txt"))
    efa_packages: str = field(default_factory=lambda: recording("efa_installed_packages-1.22.0-rhel8.txt"))
    gdr: bool = True

    @property
    def efa_devices(self) -> list[str]:
        if self.fi_info_rc:
            return []
        domains = []
        for e in parse_fi_info(self.fi_info):
            device = domain_device(e.domain)
            if e.provider == "efa" and device not in domains:
                domains.append(device)
        return domains


def _profiles() -> dict[str, Profile]:
    p4de = recording("fi_info-rdm-p4de-lf119.txt")
    return {
        "p4d": Profile(
            "p4d",
            "p4d.24xlarge",
            "fi_info: p4de.24xlarge recording (libfabric 1.19, 4 EFA); nvidia-smi: p4d 8x A100 recording",
            p4de,
        ),
        "p5": Profile(
            "p5",
            "p5.48xlarge",
            "CONSTRUCTED: no public 32-device recording exists; 32 fi_info blocks in the recorded format "
            "with documented rdmapNs0 names; nvidia-smi: p5 8x H100 recording",
            fi_info_rdm([f"rdmap{b}s0" for b in P5_BUSES]),
            nvidia_smi=recording("nvidia-smi-p5-8xH100-80GB-trimmed.txt"),
        ),
        "p5en": Profile(
            "p5en",
            "p5en.48xlarge",
            "CONSTRUCTED: 16 fi_info blocks in the recorded format; nvidia-smi: the p5 H100 recording "
            "(no H200 recording exists)",
            fi_info_rdm([f"rdmap{b}s0" for b in P5EN_BUSES]),
            nvidia_smi=recording("nvidia-smi-p5-8xH100-80GB-trimmed.txt"),
        ),
        "single-efa": Profile(
            "single-efa",
            "p3dn.24xlarge",
            "fi_info: m6i.metal recording (libfabric 1.22, one EFA rdmap47s0), RDM blocks; nvidia-smi: the "
            "p4d recording (8 GPUs, as a p3dn has)",
            rdm_blocks(recording("fi_info-p-efa-m6i-metal-lf122.txt")),
        ),
        "efa-direct": Profile(
            "efa-direct",
            "p3dn.24xlarge",
            "fi_info: libfabric 2.x EKS recording listing rdmap47s0 under efa-direct and efa; "
            "fi_info --version: upstream 2.1.0 recording",
            rdm_blocks(recording("fi_info-p-efa-eks-pod-lf201-efa-direct.txt")),
            fi_version=recording("fi_info-version-2.1.0.txt"),
        ),
        "no-efa": Profile(
            "no-efa",
            "p4d.24xlarge",
            "fi_info: the recorded failure on a host without EFA (stderr 'fi_getinfo: -61', exit 61); "
            "ibv_devices: recorded failure (exit 1); no EFA in sysfs",
            recording("fi_info-p-efa-no-efa-stderr-rc61.txt"),
            fi_info_rc=61,
            fi_version=recording("fi_info-version-1.17.0-debian.txt"),
            gdr=False,
        ),
    }


PROFILES: dict[str, Profile] = _profiles()


def build_node(profile: str | Profile, dest: Path, *, availability_zone: str = "us-east-1a") -> Path:
    """Write a simulated node directory for `profile` at `dest` (replacing what is there)."""
    p = PROFILES[profile] if isinstance(profile, str) else profile
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "bin").mkdir(parents=True)
    for shim in SHIMS.iterdir():
        shutil.copy2(shim, dest / "bin" / shim.name)
    files = {
        "profile.txt": f"{p.name}: {p.note}\n",
        "instance-type.txt": p.instance_type + "\n",
        "availability-zone.txt": availability_zone + "\n",
        "fi_info.txt": p.fi_info,
        "fi_info-version.txt": p.fi_version,
        "efa_installed_packages": p.efa_packages,
        "lsmod.txt": LSMOD_GDR if p.gdr else "Module                  Size  Used by\n",
    }
    if p.fi_info_rc:
        files["fi_info.rc"] = f"{p.fi_info_rc}\n"
    if p.nvidia_smi is not None:
        files["nvidia-smi.txt"] = p.nvidia_smi
    devices = p.efa_devices
    if devices:
        files["ibv_devices.txt"] = ibv_devices_text(devices)
    else:
        files["ibv_devices.txt"] = recording("ibv_devices-no-verbs-stderr-rc1.txt")
        files["ibv_devices.rc"] = "1\n"
    if p.gdr:
        files["modinfo.txt"] = MODINFO_GDR
    else:
        files["modinfo.txt"] = "modinfo: ERROR: Module efa not found.\n"
        files["modinfo.rc"] = "1\n"
    for name, text in files.items():
        (dest / name).write_text(text)
    for dev in devices:
        vendor = dest / "sys" / "class" / "infiniband" / dev / "device" / "vendor"
        vendor.parent.mkdir(parents=True)
        vendor.write_text(EFA_VENDOR + "\n")
    return dest


def node_env(node_dir: Path, wheelhouse: Path, base: dict[str, str]) -> dict[str, str]:
    """Environment that makes task_runner.sh take `node_dir` for its hardware."""
    env = dict(base)
    env.update(
        PATH=f"{node_dir / 'bin'}:{base.get('PATH', '/usr/bin:/bin')}",
        NIXL_SIM_ROOT=str(node_dir),
        NIXL_SYSFS_ROOT=str(node_dir / "sys"),
        NIXL_EFA_PACKAGES_FILE=str(node_dir / "efa_installed_packages"),
        # Packages come only from the local wheelhouse of stand-ins (vLLM, NIXL cannot install here);
        # MLflow is the console's own, real install.
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheelhouse),
        NIXL_SIM_SITE_PACKAGES=sysconfig.get_paths()["purelib"],
        NIXL_NODE_PYTHON=sys.executable,
        NIXL_PYTHON=sys.executable,
    )
    return env
