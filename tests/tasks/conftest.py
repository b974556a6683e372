"""One simulated cluster per test session: shared wheelhouse and one head MLflow server."""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.simnode.local_cluster import LocalCluster


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def cluster() -> Iterator[LocalCluster]:
    root = Path(tempfile.mkdtemp(prefix="simcluster-"))
    c = LocalCluster(root, mlflow_port=free_port())
    try:
        yield c
    finally:
        c.stop()
