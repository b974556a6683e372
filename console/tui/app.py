"""The operator console: a Textual view over the engine's events. It adds no logic of its own.

The engine runs in a thread worker and pushes events into a queue; a 15 Hz timer folds them into the
view state and writes node lines to each pane in one batch (Textual's `Log.write_lines` is fast; one
call per pane per tick keeps the UI responsive). Full output is always on disk in the run directory.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from rich.style import Style as RichStyle
from rich.text import Text
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Input, Label, Log, ProgressBar, Static, TabbedContent, TabPane

from console.events import Event, NodeOutputLine, Notice, StageFinished
from console.sanitize import clean_line
from console.tui.node_grid import GRID_FROM, NodeCell, NodeGrid
from console.tui.node_log import NodeLog
from console.view_state import COMMAND_SYMBOL, SYMBOL, ViewState
from tasks.lib.protocol import CHECK_IDS  # the protocol's one list of checks, in its order

W = TypeVar("W", bound=Widget)
MAX_LINES = 10_000  # per pane on screen; the complete output is in the run directory
TICK = 1 / 15
DRAIN_BUDGET = 0.008  # seconds of work per drain pass (fold + log writes), so input and paint never wait long
STATUS_EVERY = 0.25  # seconds between repaints of line counters during a flood
QUEUE_LIMIT = 20_000  # events waiting for the screen before the engine waits

# (key, action, description, id): every binding has an id, shows in the footer, in help and in the palette.
KEYS = [
    ("r", "run", "Run", "run"),
    ("d", "diff", "Diff", "diff"),
    ("x", "cancel", "Cancel", "cancel"),
    ("R", "rerun_failed", "Re-run failed", "rerun-failed"),
    ("S", "stop_nodes", "Stop nodes", "stop-nodes"),
    ("T", "start_nodes", "Start nodes", "start-nodes"),
    ("D", "destroy", "Destroy", "destroy"),
    ("left_square_bracket", "previous_node", "Prev node", "previous-node"),
    ("right_square_bracket", "next_node", "Next node", "next-node"),
    ("f", "follow", "Follow", "follow"),
    ("slash", "search", "Search", "search"),
    ("n", "next_match", "Next", "next-match"),
    ("N", "previous_match", "Prev", "previous-match"),
    ("s", "screenshot", "Save screen", "save-screen"),
    ("question_mark", "help", "Help", "help"),
    ("q", "quit", "Quit", "quit"),
]
KEY_LABELS = {"question_mark": "?", "slash": "/", "left_square_bracket": "[", "right_square_bracket": "]"}

# Colour follows the symbol; the symbol alone carries the meaning (NO_COLOR, monochrome terminals).
_COLOUR = {"✔": "green", "✘": "red", "!": "yellow", "-": "dim", "…": "cyan"}


def styled_cell(text: str) -> Text:
    return Text(text, style=_COLOUR.get(text[:1], ""))


def styled_status(status: str) -> Text:
    mark = "✔" if status.endswith("COMPLETE") else "✘" if status.endswith("FAILED") else "…"
    return styled_cell(f"{mark} {status}")


def _utc(ts: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(ts))


def activity_line(event: Notice | StageFinished) -> str:
    """Engine notices and stage results, shown with the CDK output in the Deploy tab's activity log."""
    if isinstance(event, Notice):
        return f"{event.level}: {event.message}"
    detail = f": {event.detail}" if event.detail else ""
    return f"== {event.stage} {event.status} ({event.seconds:.1f}s){detail}"


def default_theme(environ: dict[str, str] | None = None) -> str:
    """An ANSI-palette theme unless the terminal announces truecolor (ssh and tmux often do not)."""
    env = os.environ if environ is None else environ
    return "textual-dark" if env.get("COLORTERM", "").lower() in ("truecolor", "24bit") else "ansi-dark"


class TextLine(Widget):
    """A fixed-size line of plain text (never markup) whose updates repaint it alone: Static.update relayouts
    the whole screen, which cost 20-40 ms a time with line counters changing four times a second."""

    text: reactive[str] = reactive("", layout=False)

    def render(self) -> Text:
        return Text(self.text)


def upsert_row(table: DataTable[object], key: str, cells: list[object]) -> None:
    """Update a row in place (no clear and rebuild, which relayouts the screen), or add it the first time."""
    if key not in table.rows:
        table.add_row(*cells, key=key)
        return
    for column, value in zip(table.columns, cells, strict=True):
        table.update_cell(key, column, value)


def operator_input(app: App[object], **kwargs: str) -> Input:
    """An Input that blinks only when the app wants it (snapshots and slow ssh links want a steady cursor)."""
    field = Input(**kwargs)  # type: ignore[arg-type]
    field.cursor_blink = bool(getattr(app, "cursor_blink", True))
    return field


class DestroyScreen(ModalScreen[bool]):
    """Destroying a stack asks for its name typed out; anything else refuses."""

    BINDINGS = [Binding("escape", "dismiss(False)", "Cancel", id="destroy-cancel")]

    def __init__(self, stack: str) -> None:
        super().__init__()
        self.stack = stack

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(
                f"Destroy stack {self.stack}? This deletes its nodes (and, for a dev stack, its bucket and logs).\n"
                "Type the stack name and press Enter; Escape cancels.",
                markup=False,
            )
            yield operator_input(self.app, placeholder=self.stack, id="confirm")
            yield Label("", id="refused")

    def on_input_submitted(self, message: Input.Submitted) -> None:
        if message.value.strip() == self.stack:
            self.dismiss(True)
        else:
            self.query_one("#refused", Label).update(f"'{message.value}' is not '{self.stack}': not destroyed")


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close", id="help-close")]

    def compose(self) -> ComposeResult:
        rows = "\n".join(f"  {KEY_LABELS.get(key, key):<8} {text}" for key, _, text, _ in KEYS)
        yield Static(
            f"nixl-efa-console keys\n\n{rows}\n  ctrl+c   cancel the running commands and quit\n"
            "  tab      next pane / field\n\nEscape closes this help.",
            id="help-text",
            markup=False,
        )


class NixlConsoleApp(App[int]):
    CSS_PATH = "console.tcss"
    TITLE = "nixl-efa-console"
    BINDINGS = [Binding(key, action, text, id=bid) for key, action, text, bid in KEYS] + [
        Binding("ctrl+c", "interrupt", "Cancel+quit", id="interrupt", show=False, priority=True),
    ]

    def __init__(
        self,
        state: ViewState,
        node_names: list[str],
        *,
        run_dir: Path | None = None,
        start: Callable[[Callable[[Event], None]], int] | None = None,
        cancel: Callable[[], None] | None = None,
        destroy: Callable[[Callable[[Event], None]], int] | None = None,
        diff: Callable[[Callable[[Event], None]], int] | None = None,
        rerun: Callable[[list[str]], int] | None = None,
        on_open: Callable[[], object] | None = None,
        power: Callable[[bool], int] | None = None,
        clock: Callable[[], float] = time.time,
        theme: str | None = None,
        cursor_blink: bool = True,
    ) -> None:
        super().__init__()
        self.cursor_blink = cursor_blink
        self.state = state
        self.node_names = node_names
        self.run_dir = run_dir
        self._start, self._cancel, self._destroy, self._diff = start, cancel, destroy, diff
        self._rerun, self._power, self._on_open = rerun, power, on_open
        self.clock = clock
        self.theme = theme or default_theme()
        self.queue: collections.deque[Event] = collections.deque()
        self.follow = True
        self.search_term = ""
        self.search_matches: dict[str, int] = {}  # node -> line of the current match
        self.exit_code = 0
        self._engine_busy = threading.Event()
        self._drain_again = False
        self._shown_logs = frozenset([*node_names, "cdk"])  # "cdk": the CDK CLI's output under the resources
        self._room = threading.Event()  # the queue has room again: wakes an engine thread waiting in post()
        self._closing = False
        self._cost_per_event = 20e-6  # seconds; refined as the queue drains
        self._status_dirty, self._status_at = False, 0.0
        # Past two nodes: a grid of node cells and one log showing the selected node from its buffer.
        self.grid_mode = len(node_names) >= GRID_FROM
        self.focused_node = node_names[0] if node_names else ""
        self._buffers = {name: collections.deque[str](maxlen=MAX_LINES) for name in node_names}

    # -- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield TextLine(id="header")
        with TabbedContent(id="panes"):
            with TabPane("Deploy", id="tab-deploy"):
                yield ProgressBar(total=100, id="progress", show_eta=False)
                yield Static("", id="failure", markup=False)
                yield DataTable(id="resources", cursor_type="row", zebra_stripes=True)
                yield NodeLog(max_lines=MAX_LINES, id="log-cdk", auto_scroll=True)
            with TabPane("Nodes", id="tab-nodes"):
                if self.grid_mode:
                    with NodeGrid(id="node-grid"):
                        for name in self.node_names:
                            yield NodeCell(name, selected=name == self.focused_node)
                    yield TextLine(id="status-focused", classes="pane-status")
                    yield NodeLog(max_lines=MAX_LINES, id="log-focused", auto_scroll=True)
                else:
                    yield DataTable(id="nodes", cursor_type="row", zebra_stripes=True)
            for name in [] if self.grid_mode else self.node_names:
                with TabPane(name, id=f"tab-{name}"):
                    yield TextLine(id=f"status-{name}", classes="pane-status")
                    yield NodeLog(max_lines=MAX_LINES, id=f"log-{name}", auto_scroll=True)
            with TabPane("EFA", id="tab-efa"):
                yield DataTable(id="efa", cursor_type="row")
            with TabPane("Checks", id="tab-checks"):
                yield DataTable(id="checks", cursor_type="cell")
                yield Static("", id="check-detail", classes="pane-status", markup=False)
            with TabPane("MLflow", id="tab-mlflow"):
                yield Static("", id="links")
        yield Footer()

    def on_mount(self) -> None:
        self._q("#resources", DataTable).add_columns("status", "UTC", "resource", "type", "reason")
        efa = self._q("#efa", DataTable)
        efa.add_columns("node", "devices", "provider", "domains", "GPUDirect", "GPUs")
        if not self.grid_mode:
            self._q("#nodes", DataTable).add_columns("node", "command", "checks", "lines", "log")
        checks = self._q("#checks", DataTable)
        checks.add_columns("check", *self.node_names)
        self.set_interval(TICK, self.drain)
        self.drain()
        # What exists now (Textual, Rich, the widgets) lives as long as the app: keeping it out of the
        # collector's full passes shortens them (measured worst stall under a flood: 41-56 ms -> 29-35 ms).
        gc.freeze()
        if self._on_open is not None:
            # Opened on an existing stack: show its state; `r` runs the tasks when the operator wants.
            on_open = self._on_open
            self._in_worker("status", lambda: (on_open(), 0)[1])
        elif self._start is not None:
            self.action_run()

    def on_unmount(self) -> None:
        self._closing = True  # an engine thread waiting for room in the queue gives up
        self._room.set()
        gc.unfreeze()  # the CLI goes on (reports, exit code) with the collector as it found it

    def _q(self, selector: str, expect_type: type[W] = Widget) -> W:  # type: ignore[assignment]
        """A widget of the console screen, even while a modal (help, search, destroy) is on top."""
        return self.screen_stack[0].query_one(selector, expect_type)

    # -- events -------------------------------------------------------------------------------
    def post(self, event: Event) -> None:
        """Thread-safe: the engine calls this from its worker thread. When the screen falls behind, the
        engine waits (bounded queue): memory stays flat and nothing is dropped; the run directory already
        has every line."""
        if len(self.queue) >= QUEUE_LIMIT and threading.current_thread() is not threading.main_thread():
            self._room.clear()
            while len(self.queue) >= QUEUE_LIMIT and not self._closing:
                self._room.wait(0.1)  # set by the drain once half the queue is free
        self.queue.append(event)

    def drain(self) -> None:
        if self._closing or not self.screen_stack:
            return  # shutting down: the screens are gone (a backlog timer can still fire)
        with contextlib.suppress(NoMatches):  # the app is shutting down and its widgets are gone
            self._drain()
        if self.queue and not self._drain_again:
            # A backlog: come back as soon as the loop has handled input and painted, not a whole tick later.
            self._drain_again = True
            self.set_timer(0.001, self._drain_backlog)

    def _drain_backlog(self) -> None:
        self._drain_again = False
        self.drain()

    def _drain(self) -> None:
        # Each pass does about DRAIN_BUDGET of work, writes to the logs included (they cost more than the fold):
        # the number of events per pass follows the measured cost of the previous passes.
        started = time.perf_counter()
        budget = max(64, int(DRAIN_BUDGET / self._cost_per_event))
        batches: dict[str, list[str]] = collections.defaultdict(list)
        structural = False
        taken = 0
        queue, apply, shown = self.queue, self.state.apply, self._shown_logs
        while queue and taken < budget:
            event = queue.popleft()
            taken += 1
            apply(event)
            if type(event) is NodeOutputLine:  # the hot path: locals and an exact type test
                if event.node in shown:
                    text = clean_line(event.text)
                    batches[event.node].append(f"! {text}" if event.stream == "stderr" else text)
            else:
                structural = True
                if isinstance(event, Notice | StageFinished):
                    batches["cdk"].append(clean_line(activity_line(event)))
        for node, lines in batches.items():
            self._write(node, lines)
        now = time.monotonic()
        self._status_dirty = self._status_dirty or bool(batches)
        if structural:
            self.render_state()
        elif self._status_dirty and now - self._status_at >= STATUS_EVERY:
            # Line counters change with every line; repainting them a few times a second is plenty.
            self.render_node_status()
        self._set_text("#header", self.header_text())
        if len(self.queue) <= QUEUE_LIMIT // 2:
            self._room.set()
        if taken >= 64:
            per_event = (time.perf_counter() - started) / taken
            self._cost_per_event = 0.7 * self._cost_per_event + 0.3 * per_event

    def _write(self, node: str, lines: list[str]) -> None:
        if self.grid_mode and node != "cdk":
            self._buffers[node].extend(lines)
            if node != self.focused_node:
                return
            log = self._q("#log-focused", Log)
        else:
            log = self._q(f"#log-{node}", Log)  # "cdk": the CDK CLI's output under the resources
        log.auto_scroll = self.follow
        log.write_lines(lines)
        log.refresh()  # Textual 8.2.8 freezes a full max_lines view without it

    def _node_logs(self) -> list[Log]:
        if self.grid_mode:
            return [self._q("#log-focused", Log)]
        return [self._q(f"#log-{name}", Log) for name in self.node_names]

    def on_node_cell_selected(self, message: NodeCell.Selected) -> None:
        self.select_node(message.node)

    def select_node(self, name: str) -> None:
        """Show this node: its tab (two nodes) or its buffered lines in the grid's log."""
        if not self.grid_mode:
            self._q("#panes", TabbedContent).active = f"tab-{name}"
            self.focused_node = name
            return
        if name == self.focused_node and self._q("#log-focused", Log).line_count:
            return
        self.focused_node = name
        log = self._q("#log-focused", Log)
        log.clear()
        log.write_lines(list(self._buffers[name]))
        if not self.follow:
            log.scroll_home(animate=False)
        for cell in self._q("#node-grid", NodeGrid).query(NodeCell):
            cell.set_class(cell.node == name, "-selected")
        self.render_node_status()

    def _step_node(self, step: int) -> None:
        if not self.node_names:
            return
        active = self._q("#panes", TabbedContent).active
        current = self.focused_node if self.grid_mode else active.removeprefix("tab-")
        index = self.node_names.index(current) if current in self.node_names else -step
        name = self.node_names[(index + step) % len(self.node_names)]
        if self.grid_mode:
            self._q("#panes", TabbedContent).active = "tab-nodes"
            self._q(f"#cell-{name}", NodeCell).focus()  # the cell's focus selects it
            self.select_node(name)
        else:
            self.select_node(name)

    def action_next_node(self) -> None:
        self._step_node(+1)

    def action_previous_node(self) -> None:
        self._step_node(-1)

    def header_text(self) -> str:
        s = self.state
        where = "sandbox" if s.sandbox else "AWS"
        follow = "follow" if self.follow else "paused"
        return f"{s.stack} · {s.region} · {where} · {s.stage} {s.elapsed(self.clock()):.0f}s · {follow}"

    def render_state(self) -> None:
        s = self.state
        bar = self._q("#progress", ProgressBar)
        if s.progress and s.progress.total:
            bar.update(total=s.progress.total, progress=s.progress.done)
        failure = self._q("#failure", Static)
        if s.failure_reason:
            failure.update(f"✘ deploy failed: {s.failure_reason}")
            failure.add_class("shown")
        table = self._q("#resources", DataTable)
        table.clear()
        for row in s.resources.values():
            table.add_row(
                styled_status(row.status),
                _utc(row.ts),
                row.logical_id,
                row.resource_type,
                clean_line(row.reason),
            )
        efa = self._q("#efa", DataTable)
        efa.clear()
        checks = self._q("#checks", DataTable)
        checks.clear()
        for name in self.node_names:
            cells = s.node(name).efa()
            efa.add_row(name, *(styled_cell(cells[k]) for k in ("devices", "provider", "domains", "gdr", "gpus")))
        self.render_node_status()
        for check in CHECK_IDS:
            row = [check]
            for name in self.node_names:
                result = s.node(name).checks.get(check)
                row.append(styled_cell(f"{SYMBOL[result.status]} {result.status}") if result else SYMBOL[None])
            checks.add_row(*row)
        text = Text()
        for link in s.links:
            # Terminal hyperlinks (OSC 8) where the terminal supports them; the URL text is copyable anyway.
            text.append(f"{link.node}: ")
            text.append(link.url, style=RichStyle(link=link.url, underline=True))
            text.append(f"\n   local: {link.local_url}\n   {link.port_forward}\n\n")
        self._q("#links", Static).update(text if s.links else Text("No MLflow runs yet."))

    def _set_text(self, selector: str, text: str) -> None:
        self._q(selector, TextLine).text = text  # a reactive: no repaint when the text is the same

    def render_node_status(self) -> None:
        self._status_dirty, self._status_at = False, time.monotonic()
        if self.grid_mode:
            self._render_grid()
            return
        nodes = self._q("#nodes", DataTable)
        for name in self.node_names:
            node = self.state.node(name)
            summary, failed = node.check_summary(), node.check_counts()["fail"]
            code = f" ({node.exit_code})" if node.exit_code is not None else ""
            upsert_row(
                nodes,
                name,
                [
                    name,
                    styled_cell(f"{COMMAND_SYMBOL.get(node.status, '·')} {node.status}{code}"),
                    Text(summary, style="red") if failed else styled_cell(summary or SYMBOL[None]),
                    str(node.lines),
                    f"{name}.log",
                ],
            )
            self._set_text(f"#status-{name}", f"{node.status_line()} · {self._log_path(name)}")

    def _log_path(self, node: str) -> str:
        return str(self.run_dir / f"{node}.log") if self.run_dir else "-"

    def _render_grid(self) -> None:
        for name in self.node_names:
            node = self.state.node(name)
            symbol = COMMAND_SYMBOL.get(node.status, "·")
            cell = Text(f"{symbol} ", style=_COLOUR.get(symbol, "cyan" if symbol == "▶" else ""))
            cell.append(name, style="bold" if name == self.focused_node else "")
            failed = bool(node.check_counts()["fail"])
            cell.append(f" {node.check_summary(('pass', 'fail', 'warn'), sep='')}", style="red" if failed else "")
            self._q(f"#cell-{name}", NodeCell).text = cell
        node = self.state.node(self.focused_node)
        self._set_text(
            "#status-focused",
            f"{self.focused_node}: {node.status_line()} · {self._log_path(self.focused_node)}"
            "   ([ ] or arrows: other nodes)",
        )

    def on_data_table_cell_highlighted(self, message: DataTable.CellHighlighted) -> None:
        if message.data_table.id != "checks" or message.coordinate.column == 0:
            return
        check = CHECK_IDS[message.coordinate.row]
        node = self.node_names[message.coordinate.column - 1]
        result = self.state.node(node).checks.get(check)
        text = f"{node} {check}: {result.detail} {result.data}" if result else f"{node} {check}: not reported"
        self._q("#check-detail", Static).update(clean_line(text))

    # -- actions ------------------------------------------------------------------------------
    def action_run(self) -> None:
        if self._start is None or self._engine_busy.is_set():
            self.notify("a run is already going" if self._engine_busy.is_set() else "nothing to run in this view")
            return
        self._engine_busy.set()
        start = self._start

        def work() -> None:
            try:
                self.exit_code = start(self.post)
            finally:
                self._engine_busy.clear()

        self.run_worker(work, thread=True, group="engine", exclusive=True)

    def action_diff(self) -> None:
        """`cdk diff` against the deployed stack; its output appears under the resources."""
        if self._diff is None or self._engine_busy.is_set():
            self.notify("diff is not available now" if self._diff is None else "wait for the run to finish")
            return
        diff = self._diff
        self._q("#panes", TabbedContent).active = "tab-deploy"
        self.run_worker(lambda: diff(self.post), thread=True, group="engine", exclusive=True)

    def failed_nodes(self) -> list[str]:
        """Nodes with a failed check or a command that did not succeed, in the last run."""
        return [
            name
            for name in self.node_names
            if self.state.node(name).status not in ("Success", "Pending")
            or any(c.status == "fail" for c in self.state.node(name).checks.values())
        ]

    def _in_worker(self, label: str, work: Callable[[], int]) -> None:
        if self._engine_busy.is_set():
            self.notify(f"{label}: wait for the current run to finish")
            return
        self._engine_busy.set()

        def run() -> None:
            try:
                self.exit_code = work()
            except Exception as err:  # e.g. no such stack: say so and keep the console usable
                self.call_from_thread(self.notify, f"{label} failed: {err}", severity="error", timeout=10)
            finally:
                self._engine_busy.clear()

        self.run_worker(run, thread=True, group="engine", exclusive=True)

    def action_rerun_failed(self) -> None:
        failed = self.failed_nodes()
        if self._rerun is None or not failed:
            self.notify("no failed node to run again" if self._rerun else "re-run is not available in this view")
            return
        rerun = self._rerun
        self.notify(f"running the tasks again on {', '.join(failed)}")
        self._in_worker("re-run", lambda: rerun(failed))

    def action_stop_nodes(self) -> None:
        self._power_action(False)

    def action_start_nodes(self) -> None:
        self._power_action(True)

    def _power_action(self, running: bool) -> None:
        if self._power is None:
            self.notify("stop/start is not available in this view")
            return
        power = self._power
        self.notify("starting the nodes" if running else "stopping the nodes (disks are kept)")
        self._in_worker("stop/start", lambda: power(running))

    def action_cancel(self) -> None:
        if self._cancel and self._engine_busy.is_set():
            self._cancel()
            self.notify("cancelling the command on every node")
        else:
            self.notify("no command is running")

    def action_destroy(self) -> None:
        def done(confirmed: bool | None) -> None:
            if confirmed and self._destroy is not None:
                destroy = self._destroy
                self.run_worker(lambda: destroy(self.post), thread=True, group="engine", exclusive=True)
            elif confirmed:
                self.notify("destroy is not available in this view")

        self.push_screen(DestroyScreen(self.state.stack), done)

    def _focused_log(self) -> tuple[str, Log] | None:
        active = self._q("#panes", TabbedContent).active
        if self.grid_mode:
            return (self.focused_node, self._q("#log-focused", Log)) if active == "tab-nodes" else None
        name = active.removeprefix("tab-")
        return (name, self._q(f"#log-{name}", Log)) if name in self.node_names else None

    def action_follow(self) -> None:
        self.follow = not self.follow
        for log in self._node_logs():
            log.auto_scroll = self.follow
            if self.follow:
                log.scroll_end(animate=False)
        self._set_text("#header", self.header_text())

    def action_search(self) -> None:
        def done(term: str | None) -> None:
            if term:
                self.search_term = term
                self.search_matches.clear()
                self.action_next_match()

        self.push_screen(SearchScreen(), done)

    def _find(self, step: int) -> None:
        focused = self._focused_log()
        if focused is None or not self.search_term:
            self.notify("open a node pane and search with /")
            return
        node, log = focused
        lines = log.lines
        here = self.search_matches.get(node, int(log.scroll_y) - 1 if step > 0 else len(lines))
        order = range(here + 1, len(lines)) if step > 0 else range(min(here, len(lines)) - 1, -1, -1)
        for i in order:
            if self.search_term.lower() in lines[i].lower():
                self.search_matches[node] = i
                self.follow = False  # reading: stop following new lines
                log.auto_scroll = False
                log.scroll_to(y=max(0, i - log.size.height // 2), animate=False)
                self.notify(f"{node} line {i + 1}: {lines[i][:70]}", timeout=3)
                return
        self.notify(f"'{self.search_term}' not found {'below' if step > 0 else 'above'}")

    def action_next_match(self) -> None:
        self._find(+1)

    def action_previous_match(self) -> None:
        self._find(-1)

    def action_screenshot(self) -> None:
        target = self.run_dir or Path.cwd()
        path = self.save_screenshot(path=str(target))
        self.notify(f"screen saved: {path}")

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_interrupt(self) -> None:
        """ctrl+c: during a run, ask before cancelling the commands and quitting."""
        if not (self._engine_busy.is_set() and self._cancel):
            self.exit(self.exit_code)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._cancel_and_quit()

        self.push_screen(
            ConfirmScreen("A run is in progress. Cancel the commands on every node and quit? (y/n)"), answered
        )

    def _cancel_and_quit(self) -> None:
        assert self._cancel is not None
        self._cancel()
        self.notify("cancelling the commands; quitting when they stop")
        self.set_interval(0.2, lambda: self.exit(130) if not self._engine_busy.is_set() else None)

    async def action_quit(self) -> None:
        self.action_interrupt()  # during a run, quitting asks first, as ctrl+c does

    def get_system_commands(self, screen: Screen) -> list[SystemCommand]:  # type: ignore[override]
        commands = list(super().get_system_commands(screen))
        for _key, action, text, _bid in KEYS:
            commands.append(SystemCommand(text, f"nixl-console: {text.lower()}", getattr(self, f"action_{action}")))
        return commands


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "dismiss(True)", "Yes", id="confirm-yes"),
        Binding("n,escape", "dismiss(False)", "No", id="confirm-no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question, markup=False)


class SearchScreen(ModalScreen[str]):
    BINDINGS = [Binding("escape", "dismiss('')", "Cancel", id="search-cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Search the focused node log (n: next, N: previous)")
            yield operator_input(self.app, id="term")

    def on_input_submitted(self, message: Input.Submitted) -> None:
        self.dismiss(message.value)
