"""Deploy progress from CloudFormation stack events (pure): resources done out of the template's total."""

from __future__ import annotations

from dataclasses import dataclass, field

DONE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE", "IMPORT_COMPLETE")
FAILED = ("CREATE_FAILED", "UPDATE_FAILED", "DELETE_FAILED")


@dataclass
class DeployProgressModel:
    stack_name: str
    total: int
    statuses: dict[str, str] = field(default_factory=dict)  # logical id -> latest status
    first_failure: tuple[str, str] | None = None  # (logical id, reason)

    def apply(self, logical_id: str, status: str, reason: str = "") -> None:
        if logical_id == self.stack_name:
            return  # the stack's own events are not resources
        self.statuses[logical_id] = status
        if status in FAILED and self.first_failure is None and "cancelled" not in reason.lower():
            self.first_failure = (logical_id, reason or status)

    @property
    def done(self) -> int:
        return sum(s in DONE for s in self.statuses.values())

    @property
    def failed(self) -> bool:
        return self.first_failure is not None
