"""The judgements of nodecheck.py on gathered outputs (each check's pass/fail rules)."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from pathlib import Path

from tasks.lib import nodecheck
from tasks.lib.protocol import CheckResult, parse_line

RECORDINGS = Path(__file__).resolve().parents[2] / "console" / "simnode" / "recordings"


def run(tmp_path: Path, *args: str, files: dict[str, str] | None = None) -> dict[str, CheckResult]:
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text)
    buf = io.StringIO()
    with redirect_stdout(buf):
        nodecheck.main([*args])
    results = [parse_line(line) for line in buf.getvalue().splitlines()]
    return {r.check: r for r in results if r}


def test_efa_fabric_no_device_is_61(tmp_path: Path) -> None:
    err = (RECORDINGS / "fi_info-p-efa-no-efa-stderr-rc61.txt").read_text()
    res = run(
        tmp_path,
        "efa-fabric",
        "--node",
        "n",
        "--out",
        str(tmp_path / "o"),
        "--err",
        str(tmp_path / "e"),
        "--rc",
        "61",
        files={"o": "", "e": err},
    )
    assert res["efa.provider"].status == "fail"
    assert "fi_getinfo: -61 (No data available)" in res["efa.provider"].detail
    assert res["efa.domains"].status == "fail"


def test_efa_fabric_domains_must_match_devices(tmp_path: Path) -> None:
    out = (RECORDINGS / "fi_info-rdm-p4de-lf119.txt").read_text()
    ok = run(
        tmp_path,
        "efa-fabric",
        "--node",
        "n",
        "--out",
        str(tmp_path / "o"),
        "--rc",
        "0",
        "--devices",
        "4",
        files={"o": out},
    )
    assert ok["efa.provider"].status == "pass" and ok["efa.domains"].data["count"] == 4
    bad = run(tmp_path, "efa-fabric", "--node", "n", "--out", str(tmp_path / "o"), "--rc", "0", "--devices", "3")
    assert bad["efa.domains"].status == "fail" and "4 RDM domains but 3 EFA devices" in bad["efa.domains"].detail


def test_efa_fabric_missing_tool(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        "efa-fabric",
        "--node",
        "n",
        "--out",
        str(tmp_path / "o"),
        "--err",
        str(tmp_path / "e"),
        "--rc",
        "127",
        files={"o": "", "e": "fi_info: command not found"},
    )
    assert "not installed" in res["efa.provider"].detail


def _sysfs(tmp_path: Path, devices: dict[str, str]) -> Path:
    for dev, vendor in devices.items():
        path = tmp_path / "sys" / "class" / "infiniband" / dev / "device" / "vendor"
        path.parent.mkdir(parents=True)
        path.write_text(vendor + "\n")
    return tmp_path / "sys"


def test_efa_devices_counts_only_amazon_vendor(tmp_path: Path) -> None:
    # An Intel E810 RDMA device is also named rdmap...: only vendor 0x1d0f counts.
    root = _sysfs(tmp_path, {"rdmap16s27": "0x1d0f", "rdmap32s27": "0x1d0f", "rdmap99s0": "0x8086"})
    ibv = "    device                 node GUID\n    ------              ----------------\n"
    ibv += "".join(f"    {d:<23}0000000000000000\n" for d in ("rdmap16s27", "rdmap32s27", "rdmap99s0"))
    res = run(
        tmp_path,
        "efa-devices",
        "--node",
        "n",
        "--sysfs-root",
        str(root),
        "--ibv-out",
        str(tmp_path / "i"),
        "--ibv-rc",
        "0",
        "--expected",
        "2",
        files={"i": ibv},
    )
    assert res["efa.devices"].status == "pass" and res["efa.devices"].data["devices"] == [
        "rdmap16s27",
        "rdmap32s27",
    ]
    fewer = run(
        tmp_path,
        "efa-devices",
        "--node",
        "n",
        "--sysfs-root",
        str(root),
        "--ibv-out",
        str(tmp_path / "i"),
        "--ibv-rc",
        "0",
        "--expected",
        "4",
        "--instance-type",
        "p4d.24xlarge",
    )
    assert fewer["efa.devices"].status == "fail"
    assert "2 EFA devices, p4d.24xlarge has 4" in fewer["efa.devices"].detail


def test_gpu_checks(tmp_path: Path) -> None:
    smi = (RECORDINGS / "nvidia-smi-p4d-8xA100-40GB.txt").read_text()
    ok = run(
        tmp_path,
        "gpu",
        "--node",
        "n",
        "--out",
        str(tmp_path / "o"),
        "--rc",
        "0",
        "--expected",
        "8",
        files={"o": smi},
    )
    assert ok["gpu.devices"].status == "pass" and ok["gpu.devices"].data["count"] == 8
    missing = run(tmp_path, "gpu", "--node", "n", "--out", str(tmp_path / "o"), "--rc", "0", "--expected", "16")
    assert missing["gpu.devices"].status == "fail" and "expected 16" in missing["gpu.devices"].detail
    none = run(
        tmp_path,
        "gpu",
        "--node",
        "n",
        "--out",
        str(tmp_path / "x"),
        "--err",
        str(tmp_path / "e"),
        "--rc",
        "127",
        files={"x": "", "e": "nvidia-smi: command not found\n"},
    )
    assert none["gpu.devices"].status == "fail" and "command not found" in none["gpu.devices"].detail


def test_gdr_only_warns(tmp_path: Path) -> None:
    res = run(
        tmp_path,
        "efa-gdr",
        "--node",
        "n",
        "--modinfo",
        str(tmp_path / "m"),
        "--lsmod",
        str(tmp_path / "l"),
        "--fi-version",
        str(tmp_path / "v"),
        "--env-device-rdma",
        "1",
        files={"m": "", "l": "Module Size Used by\n", "v": "libfabric: 1.22.0amzn5.0\n"},
    )
    gdr = res["efa.gdr"]
    assert gdr.status == "warn"
    assert "nvidia_peermem" in gdr.detail and "FI_EFA_USE_DEVICE_RDMA" in gdr.detail
