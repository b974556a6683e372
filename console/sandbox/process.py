"""The sandbox in its own process, so a run survives the console that started it.

A console killed mid-run (SIGKILL, a lost ssh session) must be able to attach again to the same stack and
the same command. The emulator and the simulated nodes therefore live in a separate process group, with
their address in `<root>/sandbox.json`. The console that starts it owns it and stops it at the end of a
successful run; a sandbox whose owner died (or whose run failed) lingers for a while so `attach` or
`--resume` can claim it, then stops by itself, so nothing is left running for ever.

    python -m console.sandbox.process --root DIR --region R --spec JSON --owner PID --linger SECONDS
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

from console.sandbox.runtime import Sandbox, SandboxEndpoint, SandboxError, SandboxSpec

INFO = "sandbox.json"
OWNER = "owner.pid"
LINGER = 900.0  # seconds a sandbox waits for an attach once its owner is gone


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def sandbox_alive(root: Path) -> bool:
    """Whether the sandbox process of this root still runs (its address file names a live process)."""
    try:
        return _alive(int(json.loads((root / INFO).read_text())["pid"]))
    except (OSError, ValueError, KeyError):
        return False


class SandboxProcess(SandboxEndpoint):
    """A console's handle on a sandbox process: the same endpoint interface as the in-process sandbox."""

    def __init__(self, root: Path, info: dict[str, object]) -> None:
        self.root = root
        self.pid = int(info["pid"])  # type: ignore[arg-type]
        self.port = int(info["port"])  # type: ignore[arg-type]
        self.mlflow_port = int(info["mlflow_port"])  # type: ignore[arg-type]
        self.region = str(info["region"])
        self._proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def start(cls, root: Path, spec: SandboxSpec, region: str, linger: float = LINGER) -> SandboxProcess:
        root.mkdir(parents=True, exist_ok=True)
        (root / INFO).unlink(missing_ok=True)
        _write_atomic(root / OWNER, str(os.getpid()))
        spec_json = json.dumps({k: sorted(v) if isinstance(v, set) else v for k, v in asdict(spec).items()})
        log = (root / "sandbox.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "console.sandbox.process", "--root", str(root), "--region", region,
             "--spec", spec_json, "--linger", str(linger)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # not in the console's process group: a kill or Ctrl-C there spares it
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + 180
        while not (root / INFO).is_file():
            if proc.poll() is not None:
                tail = (root / "sandbox.log").read_text(errors="replace").strip().splitlines()[-5:]
                raise SandboxError(f"the sandbox process exited ({proc.returncode}): {' | '.join(tail)}")
            if time.monotonic() > deadline:
                proc.kill()
                raise SandboxError(f"the sandbox process did not start within 180 s (see {root / 'sandbox.log'})")
            time.sleep(0.1)
        handle = cls(root, json.loads((root / INFO).read_text()))
        handle._proc = proc
        return handle

    @classmethod
    def connect(cls, root: Path) -> SandboxProcess:
        """Claim the running sandbox of an earlier console (attach / resume)."""
        try:
            info = json.loads((root / INFO).read_text())
        except (OSError, ValueError):
            info = None
        if not info or not _alive(int(info["pid"])):
            raise SandboxError(
                f"the sandbox of this run is gone ({root}): it lives in memory and stops {LINGER / 60:.0f} min "
                "after its console; start a new run"
            )
        _write_atomic(root / OWNER, str(os.getpid()))
        return cls(root, info)

    def stop(self) -> None:
        if self._proc is not None:  # started by this console: terminate and reap it
            self._proc.terminate()
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            return
        if not _alive(self.pid):
            return
        os.kill(self.pid, signal.SIGTERM)  # claimed from an earlier console: not our child
        deadline = time.monotonic() + 30
        while _alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(self.pid):
            os.kill(self.pid, signal.SIGKILL)


def serve(root: Path, spec: SandboxSpec, region: str, linger: float) -> int:
    sandbox = Sandbox(root, spec, region).start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    info = {"pid": os.getpid(), "port": sandbox.port, "mlflow_port": sandbox.mlflow_port, "region": region}
    _write_atomic(root / INFO, json.dumps(info))
    orphan_since: float | None = None
    try:
        while not stop.wait(1.0):
            try:
                owner = int((root / OWNER).read_text())
            except (OSError, ValueError):
                owner = 0
            if owner and _alive(owner):
                orphan_since = None
            elif orphan_since is None:
                orphan_since = time.monotonic()
            elif time.monotonic() - orphan_since > linger:
                print(f"no console for {linger:.0f} s: stopping", flush=True)
                break
    finally:
        (root / INFO).unlink(missing_ok=True)
        sandbox.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console.sandbox.process")
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--spec", required=True, help="the SandboxSpec as JSON")
    parser.add_argument("--linger", type=float, default=LINGER)
    args = parser.parse_args(argv)
    raw = json.loads(args.spec)
    spec = SandboxSpec(**{**raw, "failing": set(raw["failing"]), "unregistered": set(raw["unregistered"])})
    return serve(args.root, spec, args.region, args.linger)


if __name__ == "__main__":
    sys.exit(main())
