"""Turns what a step gathered (tool outputs saved to files) into check-result lines.

The shell steps run the tools; this judges the outputs, so the judgement is unit-testable. Standard
library only, Python >= 3.8 (it runs with the node's system python3).

    python3 nodecheck.py efa-fabric --node node1 --out fi.out --err fi.err --rc 0 --devices 4
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from parsers import (
    EFA_VENDOR_ID,
    domain_device,
    efa_rdm_domains,
    fi_getinfo_error,
    parse_efa_installer_version,
    parse_fi_info,
    parse_ibv_devices,
    parse_libfabric_version,
    parse_nvidia_smi,
)
from protocol import CheckResult

FI_NO_DATA = -61  # -ENODATA: libfabric found no EFA device


def _read(path: str | None) -> str:
    if not path:
        return ""
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""


def _emit(check: str, node: str, status: str, detail: str, **data: Any) -> None:
    print(CheckResult(check, node, status, detail, data).to_line(), flush=True)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def system_facts(a: argparse.Namespace) -> None:
    installer = parse_efa_installer_version(_read(a.efa_packages))
    libfabric = parse_libfabric_version(_read(a.fi_version))
    facts = {
        "instance_type": a.instance_type or "unknown",
        "availability_zone": a.az or "unknown",
        "kernel": a.kernel,
        "os": a.os,
        "efa_installer": installer or "not installed",
        "libfabric": libfabric or "not found",
    }
    missing = [k for k in ("instance_type", "availability_zone") if facts[k] == "unknown"]
    status = "warn" if missing or not installer or not libfabric else "pass"
    detail = (
        f"{facts['instance_type']} in {facts['availability_zone']}, {a.os}, kernel {a.kernel}, "
        f"EFA installer {facts['efa_installer']}, libfabric {facts['libfabric']}"
    )
    if missing:
        detail += f" (IMDSv2 gave no {', '.join(missing)})"
    _emit("system.facts", a.node, status, detail, **facts)


def gpu_devices(a: argparse.Namespace) -> None:
    out, err = _read(a.out), _read(a.err)
    if a.rc != 0:
        reason = _last_line(err) or _last_line(out) or f"exit {a.rc}"
        _emit("gpu.devices", a.node, "fail", f"nvidia-smi failed: {reason}", count=0, expected=a.expected)
        return
    report = parse_nvidia_smi(out)
    models = sorted({g.name for g in report.gpus})
    data: dict[str, Any] = {
        "count": len(report.gpus),
        "expected": a.expected,
        "models": models,
        "driver": report.driver or "unknown",
        "cuda": report.cuda or "unknown",
        "memory_mib": [g.memory_mib for g in report.gpus],
    }
    summary = f"{len(report.gpus)} x {', '.join(models) or '?'}, driver {data['driver']}, CUDA {data['cuda']}"
    if not report.gpus:
        _emit("gpu.devices", a.node, "fail", "nvidia-smi lists no GPU", **data)
    elif a.expected is not None and len(report.gpus) < a.expected:
        _emit("gpu.devices", a.node, "fail", f"{summary}; expected {a.expected}", **data)
    else:
        _emit("gpu.devices", a.node, "pass", summary, **data)


def _sysfs_efa_devices(root: str) -> list[str]:
    base = Path(root) / "class" / "infiniband"
    if not base.is_dir():
        return []
    found = []
    # Natural order (rdmap16s27 before rdmap144s27), as ibv_devices and fi_info list them.
    natural = lambda p: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)]  # noqa: E731
    for dev in sorted(base.iterdir(), key=natural):
        vendor = _read(str(dev / "device" / "vendor")).strip().lower()
        if vendor == EFA_VENDOR_ID:
            found.append(dev.name)
    return found


def efa_devices(a: argparse.Namespace) -> None:
    sysfs = _sysfs_efa_devices(a.sysfs_root)
    ibv = parse_ibv_devices(_read(a.ibv_out)) if a.ibv_rc == 0 else []
    # A verbs device counts only when sysfs says it is Amazon's (Intel E810 devices are also rdmap*).
    ibv_efa = [d for d in ibv if d in sysfs]
    data = {"count": len(sysfs), "expected": a.expected, "devices": sysfs, "ibv_devices": ibv}
    note = "" if a.ibv_rc == 0 else f"; ibv_devices failed: {_last_line(_read(a.ibv_err)) or a.ibv_rc}"
    if not sysfs:
        _emit("efa.devices", a.node, "fail", f"no EFA device (vendor {EFA_VENDOR_ID}) in sysfs{note}", **data)
    elif a.expected is not None and len(sysfs) < a.expected:
        _emit(
            "efa.devices",
            a.node,
            "fail",
            f"{len(sysfs)} EFA devices, {a.instance_type or 'this type'} has {a.expected}{note}",
            **data,
        )
    elif a.ibv_rc == 0 and len(ibv_efa) != len(sysfs):
        _emit("efa.devices", a.node, "warn", f"{len(sysfs)} EFA in sysfs, {len(ibv_efa)} in ibv_devices", **data)
    else:
        expected = f" of {a.expected} expected" if a.expected is not None else " (expected count unknown)"
        status = "pass" if a.expected is not None else "warn"
        _emit("efa.devices", a.node, status, f"{len(sysfs)} EFA devices{expected}{note}", **data)


def efa_fabric(a: argparse.Namespace) -> None:
    out, err = _read(a.out), _read(a.err)
    entries = parse_fi_info(out)
    domains = efa_rdm_domains(entries)
    code = fi_getinfo_error(err + out)
    if a.rc != 0 or not domains:
        if code == FI_NO_DATA or a.rc == 61:
            reason = "fi_getinfo: -61 (No data available): libfabric finds no EFA device on this node"
        elif a.rc == 127:
            reason = "fi_info not found: the EFA software (libfabric) is not installed"
        else:
            reason = f"fi_info -p efa -t FI_EP_RDM failed: {_last_line(err) or _last_line(out) or f'exit {a.rc}'}"
        _emit("efa.provider", a.node, "fail", reason, rc=a.rc, error=code)
        _emit("efa.domains", a.node, "fail", "no efa RDM domain (see efa.provider)", count=0, domains=[])
        return
    fabrics = sorted({e.fabric for e in entries if e.provider == "efa"})
    version = next((e.version for e in entries if e.provider == "efa"), "")
    _emit(
        "efa.provider",
        a.node,
        "pass",
        f"efa provider {version}, fabrics {', '.join(fabrics)}",
        version=version,
        fabrics=fabrics,
    )
    devices = [domain_device(d) for d in domains]
    data = {"count": len(domains), "domains": domains, "expected": a.devices}
    if a.devices is not None and len(domains) != a.devices:
        _emit(
            "efa.domains",
            a.node,
            "fail",
            f"{len(domains)} RDM domains but {a.devices} EFA devices: {', '.join(domains)}",
            **data,
        )
    else:
        _emit(
            "efa.domains",
            a.node,
            "pass",
            f"{len(domains)} RDM domains: {', '.join(domains)}",
            devices=devices,
            **data,
        )


def _version_tuple(text: str) -> tuple:
    digits = []
    for part in text.split("."):
        num = "".join(ch for ch in part if ch.isdigit())
        if not num:
            break
        digits.append(int(num))
        if not part.isdigit():
            break
    return tuple(digits)


def efa_gdr(a: argparse.Namespace) -> None:
    modinfo, lsmod = _read(a.modinfo), _read(a.lsmod)
    gdr_module = any(
        line.replace(" ", "").lower().endswith("gdr:y") or "gdr: y" in line.lower() for line in modinfo.splitlines()
    )
    peermem = any(line.split()[:1] == ["nvidia_peermem"] for line in lsmod.splitlines())
    libfabric = parse_libfabric_version(_read(a.fi_version)) or ""
    hints = []
    if not gdr_module:
        hints.append("efa module does not report GPUDirect RDMA (modinfo efa: no 'gdr: Y')")
    if not peermem:
        hints.append("nvidia_peermem is not loaded (modprobe nvidia_peermem)")
    if libfabric and _version_tuple(libfabric) >= (1, 18) and a.env_device_rdma:
        hints.append("FI_EFA_USE_DEVICE_RDMA is set: unnecessary with libfabric >= 1.18, unset it")
    data = {"efa_gdr": gdr_module, "nvidia_peermem": peermem, "libfabric": libfabric or "unknown"}
    if hints:
        _emit("efa.gdr", a.node, "warn", "; ".join(hints), **data)
    else:
        _emit("efa.gdr", a.node, "pass", "GPUDirect RDMA available (efa gdr, nvidia_peermem)", **data)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="nodecheck.py")
    sub = parser.add_subparsers(dest="cmd", required=True)

    def command(name: str, fn: Any) -> argparse.ArgumentParser:
        p = sub.add_parser(name)
        p.add_argument("--node", required=True)
        p.set_defaults(fn=fn)
        return p

    def optional_int(text: str) -> int | None:
        return int(text) if text not in ("", "none") else None

    p = command("system-facts", system_facts)
    for flag in ("--instance-type", "--az", "--kernel", "--os", "--efa-packages", "--fi-version"):
        p.add_argument(flag, default="")
    p = command("gpu", gpu_devices)
    p.add_argument("--out"), p.add_argument("--err"), p.add_argument("--rc", type=int, default=0)
    p.add_argument("--expected", type=optional_int, default=None)
    p = command("efa-devices", efa_devices)
    p.add_argument("--sysfs-root", default="/sys"), p.add_argument("--ibv-out"), p.add_argument("--ibv-err")
    p.add_argument("--ibv-rc", type=int, default=0), p.add_argument("--instance-type", default="")
    p.add_argument("--expected", type=optional_int, default=None)
    p = command("efa-fabric", efa_fabric)
    p.add_argument("--out"), p.add_argument("--err"), p.add_argument("--rc", type=int, default=0)
    p.add_argument("--devices", type=optional_int, default=None)
    p = command("efa-gdr", efa_gdr)
    p.add_argument("--modinfo"), p.add_argument("--lsmod"), p.add_argument("--fi-version")
    p.add_argument("--env-device-rdma", default="")

    args = parser.parse_args(argv)
    args.fn(args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
