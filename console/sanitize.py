"""Text from the nodes can never drive the operator's terminal (pure).

Escape sequences (CSI, OSC, and the rest) and other control characters are removed, tabs become
spaces, and a `\\r` progress line collapses to its last state.
"""

from __future__ import annotations

import re

_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL or ST (also unterminated)
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[@-Z\\-_]"  # two-byte sequences
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_line(text: str) -> str:
    """One line as it is safe to show: the last `\\r` segment, without escapes or control characters."""
    if text.isprintable():  # the common case, and no escape, control, tab or \r can be printable
        return text
    text = text.rstrip("\r\n")
    if "\r" in text:
        parts = [p for p in text.split("\r") if p]
        text = parts[-1] if parts else ""
    text = _ESCAPES.sub("", text)
    text = text.replace("\t", "    ")
    return _CONTROLS.sub("", text)
