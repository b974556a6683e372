"""TUI tests are driven by event streams recorded from real sandbox runs, never by timing luck.

Determinism: the clock is pinned (to the last event's time), the theme is fixed, animations are off,
and the environment's NO_COLOR / TEXTUAL_* variables are neutralised before any app starts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from console.events import Event, from_json
from console.tui.app import NixlConsoleApp
from console.view_state import ViewState

FIXTURES = Path(__file__).parent / "fixtures"
RUN_DIR = Path("/runs/nixl-efa-dev-east-1/demo")


@pytest.fixture(autouse=True)
def _neutral_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("NO_COLOR", "FORCE_COLOR", "COLORTERM", "TEXTUAL_THEME", "TEXTUAL_ANIMATIONS", "TEXTUAL_COLOR_SYSTEM"):
        monkeypatch.delenv(key, raising=False)


def recorded(name: str) -> list[Event]:
    return [from_json(line) for line in (FIXTURES / name).read_text().splitlines()]


def make_app(events: list[Event], nodes: int = 2, **kwargs: object) -> NixlConsoleApp:
    clock_at = events[-1].ts if events else 0.0
    app = NixlConsoleApp(
        ViewState("nixl-efa-dev-east-1", "us-east-1", sandbox=True),
        [f"node{i}" for i in range(1, nodes + 1)],
        run_dir=RUN_DIR,
        clock=lambda: clock_at,
        theme="textual-dark",
        cursor_blink=False,
        **kwargs,  # type: ignore[arg-type]
    )
    app.animation_level = "none"
    for event in events:
        app.post(event)
    return app


def until(events: list[Event], predicate: Callable[[Event], bool]) -> list[Event]:
    """The stream up to and including the first event that matches."""
    for i, event in enumerate(events):
        if predicate(event):
            return events[: i + 1]
    raise AssertionError("no such event in the recording")
