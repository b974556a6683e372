"""The Log widget the node panes use: Textual's Log without a thread per write.

Textual 8.2.8's `Log.write_lines` measures the new lines' width in a thread worker, one per call: under a
flood of node lines that is a thread, a Worker and a reference cycle holding the batch for every write
(measured: +100 MB of cyclic garbage at 1M lines, and the collections that clean it up stall the screen).
Our lines arrive sanitised (no tabs, no escapes: console.sanitize), so their width is cheap to measure
inline. Overrides a private method of the exactly pinned Textual: recheck it on upgrade.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.widgets import Log


class NodeLog(Log):
    def _update_size(self, updates: int, lines: list[str]) -> None:  # type: ignore[override]
        if lines:
            self._update_maximum_width(updates, max(map(cell_len, lines)))
