"""Remote output cannot drive the operator's terminal."""

from __future__ import annotations

import pytest

from console.sanitize import clean_line


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mred\x1b[0m text", "red text"),
        ("\x1b]0;pwned title\x07after", "after"),
        ("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"),
        ("\x1b[2J\x1b[Hclear", "clear"),
        ("\x1bPq#0;2;0;0;0\x1b\\sixel", "sixel"),
        ("bell\x07 and \x08backspace", "bell and backspace"),
        ("  10%|#  \r  50%|#####  \r 100%|##########", " 100%|##########"),
        ("tab\there", "tab    here"),
        ("\x9b31mc1\x9b0m", "c1"),
        ("plain line\n", "plain line"),
    ],
)
def test_clean_line(raw: str, shown: str) -> None:
    assert clean_line(raw) == shown
    assert "\x1b" not in clean_line(raw)
