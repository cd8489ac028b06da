"""Why the case service refuses an action: each refusal names its HTTP status and the code clients
branch on (config.api renders them; the pages show the message)."""

from __future__ import annotations

from typing import Any

from config.errors import ApplicationError


class CaseActionError(ApplicationError):
    """An action that cannot be applied. `current_status` (in the API's error body) is the case's
    status now, given only to someone who may see the case."""

    def __init__(self, message: str, *, current_status: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, current_status=current_status, **kwargs)
        self.current_status = current_status


class InvalidInput(CaseActionError):
    status_code = 400
    code = "invalid"


class NotPermitted(CaseActionError):
    status_code = 403
    code = "not_permitted"


class CaseNotFound(CaseActionError):
    """No such case, or one the user may not see: the same answer, so nothing leaks."""

    status_code = 404
    code = "not_found"


class IllegalTransition(CaseActionError):
    status_code = 409
    code = "illegal_transition"


class StaleAction(CaseActionError):
    status_code = 409
    code = "stale"
