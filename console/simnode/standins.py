"""Stand-in distributions for vLLM and NIXL on simulated nodes.

The real wheels are gigabytes of CUDA code that cannot install or import here. A stand-in carries the
pinned name and version, imports, and says loudly that it is a simulation (`SIMULATED = True` and its
summary), so a check can never mistake it for the real thing. Built as real wheels so the node's pip
installs them the same way it would install the real ones.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

NOTICE = "SIMULATION STAND-IN for a simulated node: not the real package"


def _wheel(dest: Path, dist: str, version: str, module: str, requires: list[str], extras: list[str]) -> Path:
    tag = "py3-none-any"
    name = dist.replace("-", "_")
    info = f"{name}-{version}.dist-info"
    metadata = [
        "Metadata-Version: 2.1",
        f"Name: {dist}",
        f"Version: {version}",
        f"Summary: {NOTICE}",
        *[f"Provides-Extra: {e}" for e in extras],
        *[f"Requires-Dist: {r}" for r in requires],
    ]
    files = {
        f"{module}/__init__.py": (f'"""{NOTICE}."""\n__version__ = "{version}"\nSIMULATED = True\n' if module else ""),
        f"{info}/METADATA": "\n".join(metadata) + "\n",
        f"{info}/WHEEL": (f"Wheel-Version: 1.0\nGenerator: nixl-efa-console\nRoot-Is-Purelib: true\nTag: {tag}\n"),
    }
    if not module:
        files.pop(f"{module}/__init__.py")
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = "\n".join(record) + "\n"
    out = dest / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return out


def build_wheelhouse(dest: Path, *, vllm: str, nixl: str) -> Path:
    """Wheels for `vllm==vllm` and `nixl[cu12]==nixl` (with its `nixl-cu12` dependency) in `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    _wheel(dest, "vllm", vllm, "vllm", [], [])
    _wheel(dest, "nixl", nixl, "nixl", [f'nixl-cu12=={nixl}; extra == "cu12"'], ["cu12"])
    _wheel(dest, "nixl-cu12", nixl, "", [], [])
    return dest
