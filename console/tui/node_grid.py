"""The node grid: one cell per node (status at a glance) above one focused log, for clusters of 3-16 nodes.

With two nodes each gets its own tab; past that, tabs stop scaling (16 tabs do not fit in 80 columns), so the
Nodes tab shows every node as a cell and the log of the selected one. Cells take focus (tab / arrows / `[` `]`
/ click), and the selected node's buffered lines fill the log.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import Grid
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

GRID_FROM = 3  # nodes: from this many on, the grid replaces one tab per node
COLUMNS = 4


class NodeCell(Widget, can_focus=True):
    """One node: a symbol for its state, its name and its check counts (meaning never by colour alone)."""

    text: reactive[Text] = reactive(Text(), layout=False)

    class Selected(Message):
        def __init__(self, node: str) -> None:
            super().__init__()
            self.node = node

    def __init__(self, node: str, selected: bool = False) -> None:
        super().__init__(id=f"cell-{node}", classes="node-cell -selected" if selected else "node-cell")
        self.node = node
        self.text = Text(node)

    def render(self) -> Text:
        return self.text

    def on_focus(self) -> None:
        self.post_message(self.Selected(self.node))

    def on_click(self) -> None:
        self.focus()


class NodeGrid(Grid):
    """Arrow keys move between cells, row by row like the screen shows them."""

    BINDINGS = [
        Binding("left", "move(-1)", "Left", show=False, id="grid-left"),
        Binding("right", "move(1)", "Right", show=False, id="grid-right"),
        Binding("up", f"move({-COLUMNS})", "Up", show=False, id="grid-up"),
        Binding("down", f"move({COLUMNS})", "Down", show=False, id="grid-down"),
    ]

    def action_move(self, step: int) -> None:
        cells = list(self.query(NodeCell))
        current = next((i for i, cell in enumerate(cells) if cell.has_focus), 0)
        target = current + step
        if 0 <= target < len(cells):
            cells[target].focus()
