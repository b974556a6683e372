"""De-duplication for CloudWatch Logs polling (pure).

FilterLogEvents is asked again from the last timestamp seen (inclusive, since many lines share a
millisecond); events already seen at that boundary are dropped by id, so each line is delivered once
and in order per stream, whatever retries or overlapping polls happen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class StreamCursor:
    last_ts: int = 0
    ids_at_last_ts: set[str] = field(default_factory=set)


@dataclass
class LogCursor:
    streams: dict[str, StreamCursor] = field(default_factory=dict)

    def start_time(self, streams: list[str], since: int) -> int:
        """Where the next poll of `streams` starts: the oldest boundary among them, `since` for a stream
        not seen yet (on AWS a stream can appear with lines older than another stream's newest)."""
        return min((self.streams[s].last_ts if s in self.streams else since for s in streams), default=since)

    def accept(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The events not delivered before, in timestamp order per stream."""
        fresh = []
        for event in sorted(events, key=lambda e: (e["logStreamName"], e["timestamp"])):
            cursor = self.streams.setdefault(event["logStreamName"], StreamCursor())
            ts, event_id = int(event["timestamp"]), str(event["eventId"])
            if ts < cursor.last_ts or (ts == cursor.last_ts and event_id in cursor.ids_at_last_ts):
                continue
            if ts > cursor.last_ts:
                cursor.last_ts, cursor.ids_at_last_ts = ts, set()
            cursor.ids_at_last_ts.add(event_id)
            fresh.append(event)
        return fresh
