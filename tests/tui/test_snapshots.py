"""Snapshots of the console's screens, from recorded sandbox event streams (pinned clock and theme)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from console.events import NodeOutputLine, StackResourceEvent
from tests.tui.conftest import make_app, recorded, until

PASS = recorded("run-pass.jsonl")
NO_EFA = recorded("run-node2-no-efa.jsonl")
SnapCompare = Callable[..., bool]


def show(tab: str) -> Callable[[Pilot], object]:
    async def run_before(pilot: Pilot) -> None:
        pilot.app.query_one("#panes").active = tab  # type: ignore[attr-defined]
        await pilot.pause()

    return run_before


def test_start_screen(snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app([]), terminal_size=(100, 30))


def test_deploy_in_progress(snap_compare: SnapCompare) -> None:
    mid = until(PASS, lambda e: isinstance(e, StackResourceEvent) and e.logical_id.startswith("NodeRole"))
    assert snap_compare(make_app(mid), terminal_size=(100, 30))


def test_both_nodes_streaming(snap_compare: SnapCompare) -> None:
    streaming = until(PASS, lambda e: isinstance(e, NodeOutputLine) and "step mlflow.server" in e.text)
    assert snap_compare(make_app(streaming), terminal_size=(100, 30), run_before=show("tab-node1"))


def test_node_failed_without_efa(snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app(NO_EFA), terminal_size=(100, 30), run_before=show("tab-efa"))


def test_checks_of_a_failed_node(snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app(NO_EFA), terminal_size=(100, 30), run_before=show("tab-checks"))


def test_finished_run_with_mlflow_links(snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app(PASS), terminal_size=(100, 30), run_before=show("tab-mlflow"))


@pytest.mark.parametrize("tab", ["tab-deploy", "tab-node2", "tab-efa"])
def test_80x24_layout(snap_compare: SnapCompare, tab: str) -> None:
    assert snap_compare(make_app(PASS), terminal_size=(80, 24), run_before=show(tab))


def test_help(snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app(PASS), terminal_size=(80, 24), press=["question_mark"])


async def type_into_destroy_dialog(pilot: Pilot) -> None:
    # Type only once the modal's input has focus: keys pressed while it mounts would land elsewhere (a CI flake).
    await pilot.press("D")
    for _ in range(100):
        if getattr(pilot.app.focused, "id", None) == "confirm":
            break
        await pilot.pause(0.01)
    assert getattr(pilot.app.focused, "id", None) == "confirm", "the destroy dialog's input never took focus"
    await pilot.press("n", "i", "x")
    await pilot.pause()


def test_destroy_confirmation(snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app(PASS), terminal_size=(80, 24), run_before=type_into_destroy_dialog)


def test_nodes_overview(snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app(NO_EFA), terminal_size=(100, 30), run_before=show("tab-nodes"))


SIXTEEN = recorded("run-16-nodes.jsonl")


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_sixteen_node_grid(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(SIXTEEN, nodes=16), terminal_size=size, run_before=show("tab-nodes"))


def test_sixteen_node_efa_matrix(snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app(SIXTEEN, nodes=16), terminal_size=(80, 24), run_before=show("tab-efa"))
