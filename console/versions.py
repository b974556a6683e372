"""The versions the nodes install, read from tasks/versions.env (their one home)."""

from __future__ import annotations

import re
from pathlib import Path

VERSIONS_ENV = Path(__file__).resolve().parent.parent / "tasks" / "versions.env"
_DEFAULT = re.compile(r'^:\s*"\$\{(\w+):=([^}]*)\}"', re.MULTILINE)


def pinned_versions(path: Path = VERSIONS_ENV) -> dict[str, str]:
    """{'VLLM_VERSION': '0.15.1', ...} from the `: "${NAME:=value}"` lines."""
    return dict(_DEFAULT.findall(path.read_text()))
