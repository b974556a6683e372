"""nixl.transfer: a NIXL WRITE over the LIBFABRIC backend from rank 1's GPU into rank 0's GPU.

Runs in the node venv (nixl, torch from vLLM). Rank 0 is the target: it listens for NIXL metadata,
hands its buffer descriptors to the initiator, waits for the write and verifies the bytes. Rank 1 is
the initiator: it writes its buffer `--iters` times and reports the bandwidth. Prints one protocol line.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from protocol import CheckResult

NOTIF = b"nixl-efa-console-transfer"
PATTERN = 7.0


def emit(node: str, status: str, detail: str, **data: object) -> int:
    print(CheckResult("nixl.transfer", node, status, detail, dict(data)).to_line(), flush=True)
    return 0


def wait_for(predicate, deadline: float) -> bool:  # type: ignore[no-untyped-def]
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.001)
    return False


def run(a: argparse.Namespace) -> int:
    import torch
    from nixl._api import nixl_agent, nixl_agent_config

    role = "target" if a.role == "target" else "initiator"
    peer = "initiator" if role == "target" else "target"
    listen_port = a.port if role == "target" else 0
    config = nixl_agent_config(
        enable_prog_thread=True, enable_listen_thread=True, listen_port=listen_port, backends=["LIBFABRIC"]
    )
    agent = nixl_agent(role, config)
    elements = a.size_mib * 1024 * 1024 // 4
    fill = torch.zeros if role == "target" else (lambda n, **kw: torch.full((n,), PATTERN, **kw))
    tensor = fill(elements, dtype=torch.float32, device="cuda:0")
    reg = agent.register_memory([tensor])
    if not reg:
        return emit(a.node, "fail", "registering GPU memory with NIXL (LIBFABRIC) failed")
    deadline = time.monotonic() + a.wait
    data = {"backend": "LIBFABRIC", "bytes": a.size_mib * 1024 * 1024, "iterations": a.iters}

    if role == "target":
        if not wait_for(lambda: agent.check_remote_metadata(peer), deadline):
            return emit(a.node, "warn", f"rank 1 did not connect within {a.wait}s (see its nixl.transfer)", **data)
        agent.send_notif(peer, agent.get_serialized_descs(reg.trim()))
        if not wait_for(lambda: agent.check_remote_xfer_done(peer, NOTIF), deadline):
            return emit(a.node, "fail", f"no NIXL write from rank 1 within {a.wait}s", **data)
        torch.cuda.synchronize()
        if not torch.all(tensor == PATTERN).item():
            return emit(a.node, "fail", "data written by rank 1 does not match what it sent", **data)
        return emit(a.node, "pass", f"received and verified {a.size_mib} MiB from rank 1 over LIBFABRIC", **data)

    agent.fetch_remote_metadata(peer, a.peer_ip, a.port)
    agent.send_local_metadata(a.peer_ip, a.port)
    notifs: dict = {}

    def got_descs() -> bool:
        notifs.update(agent.get_new_notifs())
        return bool(notifs.get(peer))

    if not wait_for(got_descs, deadline) or not wait_for(lambda: agent.check_remote_metadata(peer), deadline):
        return emit(
            a.node,
            "fail",
            f"no NIXL metadata from rank 0 at {a.peer_ip}:{a.port} within {a.wait}s "
            "(rank 0 not ready, or the port is blocked by the security group)",
            **data,
        )
    remote = agent.deserialize_descs(notifs[peer][0])
    handle = agent.initialize_xfer("WRITE", reg.trim(), remote, peer, NOTIF)
    if not handle:
        return emit(a.node, "fail", "creating the NIXL WRITE transfer failed", **data)
    started = time.monotonic()
    for _ in range(a.iters):
        if agent.transfer(handle) == "ERR":
            return emit(a.node, "fail", "posting the NIXL WRITE failed", **data)
        while (state := agent.check_xfer_state(handle)) != "DONE":
            if state == "ERR" or time.monotonic() > deadline:
                return emit(a.node, "fail", f"NIXL WRITE ended in state {state}", **data)
    seconds = time.monotonic() - started
    gbps = a.size_mib * 1024 * 1024 * a.iters * 8 / seconds / 1e9
    agent.release_xfer_handle(handle)
    agent.remove_remote_agent(peer)
    agent.deregister_memory(reg)
    return emit(
        a.node,
        "pass",
        f"{a.iters} x {a.size_mib} MiB GPU->GPU to rank 0 over LIBFABRIC: {gbps:.1f} Gbit/s",
        gbit_per_s=round(gbps, 2),
        seconds=round(seconds, 4),
        **data,
    )


def main(argv: list) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--role", choices=("target", "initiator"), required=True)
    p.add_argument("--node", required=True)
    p.add_argument("--peer-ip", required=True, help="rank 0's private IP (used by the initiator)")
    p.add_argument("--port", type=int, default=5601)
    p.add_argument("--size-mib", type=int, default=256)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--wait", type=int, default=900, help="seconds to wait for the peer")
    a = p.parse_args(argv)
    try:
        return run(a)
    except Exception as err:  # the check reports NIXL's or CUDA's own words
        return emit(a.node, "fail", f"NIXL transfer failed: {type(err).__name__}: {err}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
