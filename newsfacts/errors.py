"""Errors the CLI tells apart (importing this module does not import Prefect)."""
from __future__ import annotations

from typing import Any


class DataQualityError(RuntimeError):
    """The data-quality gate stopped the publish; no facts were published. The message names the failing
    expectations; `summary` is the run's RunSummary."""

    def __init__(self, message: str, summary: Any) -> None:
        super().__init__(message)
        self.summary = summary


def interruption(exc: BaseException | None) -> BaseException | None:
    """The Ctrl-C / SIGTERM (KeyboardInterrupt, SystemExit, Prefect's TerminationSignal) behind `exc`: `exc`
    itself, or one it was raised while handling or from. A signal that lands while Prefect is setting up a
    task can surface as another error raised by Prefect's own crash handling ("Task run is not set")."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)) or type(exc).__name__ == "TerminationSignal":
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None
