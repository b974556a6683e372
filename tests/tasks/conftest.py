"""One simulated cluster per test session: shared wheelhouse and one head MLflow server."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.sandbox.runtime import free_port
from console.simnode.local_cluster import LocalCluster


@pytest.fixture(scope="session")
def cluster() -> Iterator[LocalCluster]:
    root = Path(tempfile.mkdtemp(prefix="simcluster-"))
    c = LocalCluster(root, mlflow_port=free_port())
    try:
        yield c
    finally:
        c.stop()
