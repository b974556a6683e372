"""Keyboard behaviour: bindings, follow/pause, search, destroy confirmation, remote escape codes."""

from __future__ import annotations

from textual.widgets import Footer, Log, Static, TabbedContent

from console.events import NodeOutputLine
from console.sanitize import clean_line
from console.tui.app import KEYS, DestroyScreen, NixlConsoleApp, TextLine
from tests.tui.conftest import make_app, recorded

PASS = recorded("run-pass.jsonl")


def test_every_binding_has_an_id_and_a_footer_entry() -> None:
    ids = [b.id for b in NixlConsoleApp.BINDINGS]  # type: ignore[union-attr]
    assert all(ids) and len(ids) == len(set(ids))
    assert all(b.show for b in NixlConsoleApp.BINDINGS if b.id != "interrupt")  # type: ignore[union-attr]


async def test_footer_and_palette_list_the_actions() -> None:
    app = make_app([])
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.pause()
        footer_keys = {b.id for b in app.active_bindings.values() for b in [b.binding]}
        assert {bid for *_, bid in KEYS} <= footer_keys
        assert app.query_one(Footer).display
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {text for _, _, text, _ in KEYS} <= titles


async def test_follow_toggles_and_pauses_the_logs() -> None:
    app = make_app(PASS)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f")
        assert not app.follow and not app.query_one("#log-node1", Log).auto_scroll
        assert "paused" in app.query_one("#header", TextLine).text
        await pilot.press("f")
        assert app.follow and app.query_one("#log-node1", Log).auto_scroll


async def test_search_finds_next_and_previous_in_the_focused_log() -> None:
    app = make_app(PASS)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.query_one("#panes").active = "tab-node1"  # type: ignore[attr-defined]
        log = app.query_one("#log-node1", Log)
        log.scroll_home(animate=False)
        await pilot.pause()
        await pilot.press("slash", *"step efa", "enter")
        await pilot.pause()
        first = app.search_matches["node1"]
        assert "step efa" in log.lines[first].lower()
        assert log.scroll_y <= first < log.scroll_y + log.size.height  # the match is on screen
        await pilot.press("n")
        await pilot.pause()
        second = app.search_matches["node1"]
        assert second > first and "step efa" in log.lines[second].lower()
        await pilot.press("N")
        await pilot.pause()
        assert app.search_matches["node1"] == first
        assert not app.follow  # searching pauses following


async def test_destroy_needs_the_stack_name_typed_out() -> None:
    called: list[bool] = []

    def destroy(_post: object) -> int:
        called.append(True)
        return 0

    app = make_app(PASS, destroy=destroy)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("D")
        await pilot.pause()
        assert isinstance(app.screen, DestroyScreen)
        await pilot.press(*"wrong-name", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DestroyScreen) and not called
        assert "not destroyed" in str(app.screen.query_one("#refused", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DestroyScreen) and not called
        await pilot.press("D")
        await pilot.pause()
        await pilot.press(*"nixl-efa-dev-east-1", "enter")
        await app.workers.wait_for_complete()
        assert called == [True]


async def test_remote_escape_codes_and_progress_bars_are_neutralised() -> None:
    app = make_app([])
    async with app.run_test(size=(100, 30)) as pilot:
        for text in (
            "\x1b[31mred\x1b[0m",
            "\x1b]0;owned title\x07title gone",
            "  10%|#   \r  60%|######   \r 100%|##########",
            "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\",
            "\x1b[2J\x1b[Hno clear",
        ):
            app.post(NodeOutputLine("node1", "stdout", text))
        app.post(NodeOutputLine("node1", "stderr", "\x1b[1mbold error"))
        app.drain()
        await pilot.pause()
        lines = app.query_one("#log-node1", Log).lines
        assert lines == ["red", "title gone", " 100%|##########", "click", "no clear", "! bold error"]
        assert not any("\x1b" in line or "\r" in line for line in lines)


async def test_ctrl_c_during_a_run_asks_then_cancels_and_quits() -> None:
    import threading

    from console.tui.app import ConfirmScreen

    stop = threading.Event()
    cancels: list[bool] = []

    def start(_post: object) -> int:
        stop.wait(30)
        return 130

    def cancel() -> None:
        cancels.append(True)
        stop.set()

    app = make_app([], start=start, cancel=cancel)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert not cancels and app.is_running
        await pilot.press("ctrl+c")
        await pilot.pause()
        await pilot.press("y")
        for _ in range(50):
            if not app.is_running:
                break
            await pilot.pause(0.1)
        assert cancels == [True]
    assert app.return_value == 130  # what nixl-console exits with


async def test_rerun_failed_and_stop_start_call_the_engine() -> None:
    reruns: list[list[str]] = []
    power: list[bool] = []

    def rerun(nodes: list[str]) -> int:
        reruns.append(nodes)
        return 0

    def set_power(running: bool) -> int:
        power.append(running)
        return 0

    app = make_app(recorded("run-node2-no-efa.jsonl"), rerun=rerun, power=set_power)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.failed_nodes() == ["node2"]
        await pilot.press("R")
        await app.workers.wait_for_complete()
        await pilot.press("S")
        await app.workers.wait_for_complete()
        await pilot.press("T")
        await app.workers.wait_for_complete()
    assert reruns == [["node2"]]
    assert power == [False, True]


async def test_rerun_with_nothing_failed_does_nothing() -> None:
    calls: list[list[str]] = []
    app = make_app(PASS, rerun=lambda nodes: calls.append(nodes) or 0)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("R")
        await pilot.pause()
    assert calls == []


async def test_open_on_an_existing_stack_shows_its_state_without_running() -> None:
    from console.events import Notice

    started: list[bool] = []
    app = make_app([], start=lambda _post: started.append(True) or 0)

    def status() -> None:
        app.post(Notice("info", "stack nixl-efa-dev-east-1: CREATE_COMPLETE"))
        app.post(Notice("info", "node1 i-0abc 10.42.0.4 running, SSM Online"))

    def missing() -> None:
        raise RuntimeError("stack nixl-efa-dev-east-1 not found in us-east-1: deploy it first")

    app._on_open = status
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        app.drain()
        await pilot.pause()
        activity = app.query_one("#log-cdk", Log).lines
        assert "info: node1 i-0abc 10.42.0.4 running, SSM Online" in activity
        assert not started  # nothing runs until the operator presses r
    broken = make_app([])
    broken._on_open = missing
    async with broken.run_test(size=(100, 30)) as pilot:
        await broken.workers.wait_for_complete()
        await pilot.pause()
        assert broken.is_running  # the console stays up and says what is wrong


async def test_node_log_measures_width_inline_without_a_thread_per_write() -> None:
    app = make_app([])
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one("#log-node1", Log)
        before = len(app.workers)
        log.write_lines(["short", "x" * 180, "wide ⏳ line"])
        # Measured before write_lines returns; Textual's Log starts a thread worker for every write instead.
        assert log.virtual_size.width == 180
        assert len(app.workers) == before
        await pilot.pause()


async def test_sixteen_nodes_grid_selects_a_node_and_shows_its_lines() -> None:
    events = recorded("run-16-nodes.jsonl")
    app = make_app(events, nodes=16)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.query_one("#panes", TabbedContent).active = "tab-nodes"
        assert app.grid_mode and not app.query("#tab-node3")  # a grid, not sixteen tabs
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert app.focused_node == "node3"
        log = app.query_one("#log-focused", Log)
        node3 = [
            ("! " if e.stream == "stderr" else "") + clean_line(e.text)
            for e in events
            if isinstance(e, NodeOutputLine) and e.node == "node3"
        ]
        assert node3 and list(log.lines) == node3  # every line of node3, and only node3's
        await pilot.press("down")  # the grid has four columns: down is four nodes on
        assert app.focused_node == "node7"
        await pilot.press("left_square_bracket")
        assert app.focused_node == "node6"
        assert app.query_one("#cell-node6").has_class("-selected")
        assert not app.query_one("#cell-node3").has_class("-selected")
        assert "node6:" in app.query_one("#status-focused", TextLine).text
