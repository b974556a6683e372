"""Parsers for what the EFA/GPU tools print. Pure functions over text; standard library only.

Every function here is exercised against real recorded outputs (console/simnode/recordings/).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EFA_VENDOR_ID = "0x1d0f"  # Amazon's PCI vendor id: the proof that an RDMA device is an EFA


@dataclass(frozen=True)
class FiInfoEntry:
    provider: str
    fabric: str
    domain: str
    version: str
    ep_type: str
    protocol: str


def parse_fi_info(text: str) -> list[FiInfoEntry]:
    """Entries of `fi_info -p efa [-t FI_EP_RDM]` (one `provider:` block each, indented fields)."""
    entries: list[FiInfoEntry] = []
    block: dict[str, str] = {}

    def flush() -> None:
        if block.get("provider"):
            entries.append(
                FiInfoEntry(
                    provider=block.get("provider", ""),
                    fabric=block.get("fabric", ""),
                    domain=block.get("domain", ""),
                    version=block.get("version", ""),
                    ep_type=block.get("type", ""),
                    protocol=block.get("protocol", ""),
                )
            )

    for raw in text.splitlines():
        key, sep, value = raw.strip().partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "provider" and not raw[:1].isspace():
            flush()
            block = {"provider": value}
        elif block and key in ("fabric", "domain", "version", "type", "protocol"):
            block[key] = value
    flush()
    return entries


def efa_rdm_domains(entries: list[FiInfoEntry]) -> list[str]:
    """Distinct RDM domains of the efa provider itself, in the order printed.

    libfabric 2.x lists each device under fabric `efa-direct` and again under `efa`; old versions add
    layered `efa;ofi_rxr` / `efa;ofi_rxd` utility entries. Each device counts once.
    """
    seen: list[str] = []
    for entry in entries:
        if entry.provider == "efa" and entry.ep_type == "FI_EP_RDM" and entry.domain not in seen:
            seen.append(entry.domain)
    return seen


def domain_device(domain: str) -> str:
    """`rdmap16s27-rdm` -> `rdmap16s27` (the verbs device the domain belongs to)."""
    return re.sub(r"-(rdm|dgrm)$", "", domain)


_GETINFO_ERROR = re.compile(r"fi_getinfo:\s*(-?\d+)(?:\s*\(([^)]*)\))?")


def fi_getinfo_error(text: str) -> int | None:
    """The errno fi_info reports (`fi_getinfo: -61 (No data available)` -> -61), else None."""
    match = _GETINFO_ERROR.search(text)
    return int(match.group(1)) if match else None


def parse_libfabric_version(text: str) -> str | None:
    """`libfabric: 1.22.0amzn5.0` from `fi_info --version` (the first line carries argv[0])."""
    match = re.search(r"^libfabric:\s*(\S+)\s*$", text, re.MULTILINE)
    return match.group(1) if match else None


def parse_efa_installer_version(text: str) -> str | None:
    """`# EFA installer version: 1.22.0` from /opt/amazon/efa_installed_packages."""
    match = re.search(r"EFA installer version:\s*(\S+)", text)
    return match.group(1) if match else None


def parse_ibv_devices(text: str) -> list[str]:
    """Device names from `ibv_devices` (skips the header and the dashes)."""
    names = []
    for line in text.splitlines():
        fields = line.split()
        if not fields or fields[0] in ("device", "------") or set(fields[0]) == {"-"}:
            continue
        names.append(fields[0])
    return names


def parse_ls_names(text: str) -> list[str]:
    """Entry names from `ls -la DIR` (the link name, not its target; no . or ..)."""
    names = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 9 or fields[0] == "total":
            continue
        name = fields[8]
        if name not in (".", ".."):
            names.append(name)
    return names


@dataclass(frozen=True)
class Gpu:
    index: int
    name: str
    memory_mib: int | None


@dataclass(frozen=True)
class GpuReport:
    gpus: list[Gpu]
    driver: str | None
    cuda: str | None


_SMI_ROW = re.compile(r"^\|\s+(\d+)\s+(.+?)\s+(On|Off)\s+\|")
_SMI_MEM = re.compile(r"(\d+)MiB\s*/\s*(\d+)MiB")


def parse_nvidia_smi(text: str) -> GpuReport:
    """GPUs, driver and CUDA version from plain `nvidia-smi` (the table)."""
    driver = re.search(r"Driver Version:\s*(\S+)", text)
    cuda = re.search(r"CUDA Version:\s*(\S+)", text)
    gpus: list[Gpu] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        row = _SMI_ROW.match(line)
        if not row:
            continue
        mem = _SMI_MEM.search(lines[i + 1]) if i + 1 < len(lines) else None
        gpus.append(Gpu(int(row.group(1)), row.group(2).strip(), int(mem.group(2)) if mem else None))
    return GpuReport(gpus, driver.group(1) if driver else None, cuda.group(1) if cuda else None)


def parse_nvidia_smi_csv(text: str) -> list[dict[str, str]]:
    """Rows of `nvidia-smi --query-gpu=... --format=csv`, keyed by the header without units."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("$")]
    if not lines:
        return []
    header = [re.sub(r"\s*\[.*\]$", "", h.strip()) for h in lines[0].split(",")]
    return [dict(zip(header, (v.strip() for v in line.split(",")))) for line in lines[1:]]


def parse_pip_show(text: str) -> dict[str, str]:
    """`pip show NAME` as a dict (tolerates empty `Key:` fields)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key and not key.startswith(" "):
            fields[key.strip()] = value.strip()
    return fields


def parse_server_url(log: str) -> str | None:
    """The URL a gunicorn or uvicorn server says it listens on, wherever it is on the line."""
    match = re.search(r"(?:Listening at:|running on)\s+(https?://\S+)", log)
    return match.group(1) if match else None


def parse_fi_info_providers(text: str) -> dict[str, str]:
    """`fi_info -l`: provider -> version. Not proof of EFA either way (older libfabric omits efa from
    the list when no device exists, newer always lists it), so the checks do not rely on it."""
    providers: dict[str, str] = {}
    name = None
    for line in text.splitlines():
        if line and not line[0].isspace() and line.rstrip().endswith(":"):
            name = line.strip()[:-1]
            providers[name] = ""
        elif name and line.strip().startswith("version:"):
            providers[name] = line.split(":", 1)[1].strip()
    return providers
