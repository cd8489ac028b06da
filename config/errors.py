"""The application's errors: what a service raises when it refuses, and what every interface shows.

A service refuses with an ApplicationError subclass (cases.services' CaseActionError, …); the
JSON API renders any of them in its one error format (config.api.exception_handler) without
knowing which app raised it, and the pages show `message` (and `fields`, per form field).
This module imports no app: layers point one way, apps → config.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A refusal with a message for people and a code for programs.

    `status_code`: what the API answers. `code`: the word clients branch on. `fields`: messages
    per input field ({"photos": ["…"]}) when the refusal is about particular inputs. `extra`:
    more keys of the API's error body (e.g. a case's `current_status`).
    """

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = str(message)
        self.fields = {name: [str(m) for m in messages] for name, messages in (fields or {}).items()}
        self.extra = extra

    def __str__(self) -> str:
        return self.message
