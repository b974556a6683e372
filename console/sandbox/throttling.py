"""Fault injection: a share of the emulator's API calls answer with a throttling error, as AWS does
under load. Clients must retry without losing or repeating anything."""

from __future__ import annotations

import random
import threading

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse


class ThrottlingException(ServiceException):
    code = "ThrottlingException"
    message = "Rate exceeded"


class Throttling(ServiceException):
    code = "Throttling"
    message = "Rate exceeded"


class ServiceUnavailableException(ServiceException):
    code = "ServiceUnavailableException"
    message = "The service is unavailable (sandbox fault: --sandbox-flaky-logs)"


_state = {"share": 0.0, "flaky_logs": 0.0}
_rng = random.Random(1234)
_lock = threading.Lock()
_original = BaseResponse.call_action
# Query-protocol services say "Throttling", JSON ones "ThrottlingException"; S3 is left alone (the
# CDK CLI's asset uploads go there and S3's own throttle is a 503 SlowDown).
_QUERY = {"cloudformation", "ec2", "sts", "iam"}
_THROTTLED = _QUERY | {"ssm", "logs"}


def _answer(self: BaseResponse, error: ServiceException) -> object:
    """The error as the service's own protocol answers it (raised outside an action it would be a 500)."""
    status, headers, body = self.serialized(ActionResult(error))
    headers["status"] = status
    status, headers, body = self._transform_response(self.response_headers, (body, headers))
    headers, body = self._enrich_response(headers, body)
    return status, headers, body


def _hit(share: float) -> bool:
    if share <= 0:
        return False
    with _lock:
        return _rng.random() < share


def _call_action(self: BaseResponse) -> object:
    service = getattr(self, "service_name", "") or ""
    if service == "logs" and "FilterLogEvents" in str(self.headers.get("X-Amz-Target")) and _hit(_state["flaky_logs"]):
        return _answer(self, ServiceUnavailableException())
    if service in _THROTTLED and _hit(_state["share"]):
        return _answer(self, (Throttling if service in _QUERY else ThrottlingException)())
    return _original(self)


def set_share(share: float, flaky_logs: float = 0.0) -> None:
    """Throttle this share (0..1) of calls from now on; `flaky_logs`: this share of log polls fail."""
    _state["share"], _state["flaky_logs"] = share, flaky_logs
    BaseResponse.call_action = _call_action  # type: ignore[method-assign]
