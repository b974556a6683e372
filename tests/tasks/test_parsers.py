"""The parsers against every real recording (console/simnode/recordings/, sources in SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.lib.parsers import (
    domain_device,
    efa_rdm_domains,
    fi_getinfo_error,
    parse_efa_installer_version,
    parse_fi_info,
    parse_fi_info_providers,
    parse_ibv_devices,
    parse_libfabric_version,
    parse_ls_names,
    parse_nvidia_smi,
    parse_nvidia_smi_csv,
    parse_pip_show,
    parse_server_url,
)

RECORDINGS = Path(__file__).resolve().parents[2] / "console" / "simnode" / "recordings"


def rec(name: str) -> str:
    return (RECORDINGS / name).read_text()


@pytest.mark.parametrize(
    ("name", "domains", "fabrics"),
    [
        (
            "fi_info-rdm-p4de-lf119.txt",
            ["rdmap16s27-rdm", "rdmap32s27-rdm", "rdmap144s27-rdm", "rdmap160s27-rdm"],
            {"efa"},
        ),
        ("fi_info-p-efa-hpc7g-lf114-fabric-EFA-fe80.txt", ["rdmap0s6-rdm"], {"EFA-fe80::c3f:2fff:fe0f:8f39"}),
        ("fi_info-p-efa-hpc7g-lf118.txt", ["rdmap0s6-rdm"], {"efa"}),
        ("fi_info-p-efa-m6i-metal-lf122.txt", ["rdmap47s0-rdm"], {"efa"}),
        # libfabric 2.x: each device under efa-direct AND efa; counted once.
        ("fi_info-p-efa-eks-pod-lf201-efa-direct.txt", ["rdmap47s0-rdm"], {"efa-direct", "efa"}),
        ("fi_info-p-efa-c5n-lf204-efa_0.txt", ["efa_0-rdm"], {"efa-direct", "efa"}),
        # libfabric 1.8: layered efa;ofi_rxr / efa;ofi_rxd entries are not devices.
        ("fi_info-p-efa-lf1.8-rxd-rxr.txt", ["efa_0-rdm"], {"EFA-fe80::1a:feff:feef:82a6"}),
    ],
)
def test_fi_info_rdm_domains_each_device_once(name: str, domains: list[str], fabrics: set[str]) -> None:
    entries = parse_fi_info(rec(name))
    assert efa_rdm_domains(entries) == domains
    assert {e.fabric for e in entries if e.provider == "efa"} == fabrics
    # DGRAM domains are listed by plain `fi_info -p efa` but are not RDM endpoints.
    assert not any(d.endswith("-dgrm") for d in efa_rdm_domains(entries))


def test_fi_info_layered_providers_are_parsed_but_not_counted() -> None:
    entries = parse_fi_info(rec("fi_info-p-efa-lf1.8-rxd-rxr.txt"))
    assert [e.provider for e in entries] == ["efa", "efa", "efa;ofi_rxd", "efa;ofi_rxr"]
    assert entries[3].protocol == "FI_PROTO_RXR" and entries[3].ep_type == "FI_EP_RDM"


def test_domain_device_names() -> None:
    assert domain_device("rdmap16s27-rdm") == "rdmap16s27"
    assert domain_device("efa_0-dgrm") == "efa_0"


def test_no_efa_failure_and_its_errno() -> None:
    text = rec("fi_info-p-efa-no-efa-stderr-rc61.txt")
    assert parse_fi_info(text) == []
    assert fi_getinfo_error(text) == -61
    assert fi_getinfo_error("fi_getinfo: -61 (No data available)\n") == -61
    assert fi_getinfo_error("provider: efa\n") is None


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("fi_info-version-1.17.0-debian.txt", "1.17.0"),
        ("fi_info-version-1.22.0amzn5.0.txt", "1.22.0amzn5.0"),  # first line carries the full argv[0]
        ("fi_info-version-2.1.0.txt", "2.1.0"),
    ],
)
def test_libfabric_version(name: str, version: str) -> None:
    assert parse_libfabric_version(rec(name)) == version


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("efa_installed_packages-1.22.0-rhel8.txt", "1.22.0"),
        ("efa_installed_packages-1.5.1-ubuntu.txt", "1.5.1"),
    ],
)
def test_efa_installer_version(name: str, version: str) -> None:
    assert parse_efa_installer_version(rec(name)) == version


def test_ibv_devices_lists_names_and_non_efa_devices_stay_names() -> None:
    assert parse_ibv_devices(rec("ibv_devices-non-efa-ionic.txt")) == [f"ionic_{i}" for i in range(8)]


def test_ibv_devices_failure_text_is_not_a_device() -> None:
    text = rec("ibv_devices-no-verbs-stderr-rc1.txt")
    names = parse_ibv_devices(text)
    # The step never parses a failed run (rc 1); the parser must at least not invent EFA devices from it.
    assert not [n for n in names if n.startswith(("rdmap", "efa_"))]


def test_ibv_devinfo_recording_has_amazon_vendor() -> None:
    assert "vendor_id:\t\t\t0x1d0f" in rec("ibv_devinfo-c5n-efa_0-head.txt")


def test_sysfs_listing_takes_link_names() -> None:
    assert parse_ls_names(rec("ls-la-sys-class-infiniband-1dev.txt")) == ["rdmap0s29"]


def test_nvidia_smi_tables() -> None:
    p4d = parse_nvidia_smi(rec("nvidia-smi-p4d-8xA100-40GB.txt"))
    assert len(p4d.gpus) == 8 and {g.name for g in p4d.gpus} == {"NVIDIA A100-SXM4-40GB"}
    assert (p4d.driver, p4d.cuda) == ("550.90.07", "12.4")
    assert [g.index for g in p4d.gpus] == list(range(8)) and {g.memory_mib for g in p4d.gpus} == {40960}
    p5 = parse_nvidia_smi(rec("nvidia-smi-p5-8xH100-80GB-trimmed.txt"))
    assert len(p5.gpus) == 8 and {g.name for g in p5.gpus} == {"NVIDIA H100 80GB HBM3"}
    assert {g.memory_mib for g in p5.gpus} == {81559}
    assert parse_nvidia_smi("").gpus == []


def test_nvidia_smi_csv() -> None:
    rows = parse_nvidia_smi_csv(rec("nvidia-smi-query-gpu-csv-8xA100.txt"))
    assert len(rows) == 8 and rows[0]["name"] == "NVIDIA A100-SXM4-40GB" and rows[7]["index"] == "7"
    (one,) = parse_nvidia_smi_csv(rec("nvidia-smi-query-gpu-name-mem-driver-csv-1gpu.txt"))
    assert one == {
        "name": "NVIDIA GeForce RTX 4070 Ti SUPER",
        "memory.total": "16376 MiB",
        "driver_version": "560.35.03",
    }


def test_pip_show_tolerates_empty_fields() -> None:
    fields = parse_pip_show(rec("pip-show-vllm-0.26.0.txt"))
    assert fields["Name"] == "vllm" and fields["Version"] == "0.26.0"
    assert fields["Author-email"] == "" and fields["Required-by"] == ""


def test_server_url_from_gunicorn_and_uvicorn_logs() -> None:
    assert parse_server_url(rec("mlflow-server-gunicorn-log.txt")) == "http://0.0.0.0:5000"
    assert parse_server_url(rec("uvicorn-startup-log.txt")) == "http://0.0.0.0:8080"


def test_provider_list_without_efa_device() -> None:
    providers = parse_fi_info_providers(rec("fi_info-l-1.17.0-no-efa.txt"))
    assert providers["psm2"] == "117.0" and "tcp" in providers
    assert "efa" not in providers  # libfabric < 2.1 omits efa without a device: not a reliable signal


def test_every_recording_is_covered() -> None:
    source = Path(__file__).read_text()
    missing = [p.name for p in RECORDINGS.glob("*.txt") if p.name not in source]
    assert missing == []
