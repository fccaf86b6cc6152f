"""Stage progress that flows report and front ends show.

Flows call `stage()` / `advance()`; the CLI installs a reporter that draws a
progress bar per stage on a terminal. With no reporter installed (a run started
from the Prefect UI) progress goes to the Prefect run logger as plain lines.
"""
from __future__ import annotations

import logging
from typing import Protocol


class Reporter(Protocol):
    def stage(self, name: str, total: int | None) -> None: ...
    def advance(self, name: str, amount: int = 1) -> None: ...
    def done(self, name: str, message: str = "") -> None: ...


class LogReporter:
    """Plain log lines: one when a stage starts and one when it ends."""

    def __init__(self, logger: logging.Logger | logging.LoggerAdapter | None = None) -> None:
        self.logger = logger or logging.getLogger("newsfacts")
        self.totals: dict[str, int | None] = {}

    def stage(self, name: str, total: int | None) -> None:
        self.totals[name] = total
        self.logger.info("%s: started%s", name, f" ({total})" if total is not None else "")

    def advance(self, name: str, amount: int = 1) -> None:
        pass

    def done(self, name: str, message: str = "") -> None:
        self.logger.info("%s: done%s", name, f" - {message}" if message else "")


_reporter: Reporter | None = None


def install(reporter: Reporter | None) -> None:
    global _reporter
    _reporter = reporter


def current() -> Reporter:
    if _reporter is not None:
        return _reporter
    try:
        from prefect.logging import get_run_logger

        return LogReporter(get_run_logger())
    except Exception:  # outside a flow run
        return LogReporter()
