"""Fault injection: a share of the emulator's API calls answer with a throttling error, as AWS does
under load. Clients must retry without losing or repeating anything."""

from __future__ import annotations

import random
import threading

from moto.core.exceptions import ServiceException
from moto.core.responses import BaseResponse


class ThrottlingException(ServiceException):
    code = "ThrottlingException"
    message = "Rate exceeded"


class Throttling(ServiceException):
    code = "Throttling"
    message = "Rate exceeded"


_state = {"share": 0.0}
_rng = random.Random(1234)
_lock = threading.Lock()
_original = BaseResponse.call_action
# Query-protocol services say "Throttling", JSON ones "ThrottlingException"; S3 is left alone (the
# CDK CLI's asset uploads go there and S3's own throttle is a 503 SlowDown).
_QUERY = {"cloudformation", "ec2", "sts", "iam"}
_THROTTLED = _QUERY | {"ssm", "logs"}


def _call_action(self: BaseResponse) -> object:
    service = getattr(self, "service_name", "") or ""
    if _state["share"] > 0 and service in _THROTTLED:
        with _lock:
            hit = _rng.random() < _state["share"]
        if hit:
            raise (Throttling if service in _QUERY else ThrottlingException)()
    return _original(self)


def set_share(share: float) -> None:
    """Throttle this share (0..1) of calls from now on."""
    _state["share"] = share
    BaseResponse.call_action = _call_action  # type: ignore[method-assign]
