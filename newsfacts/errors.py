"""Errors the CLI tells apart (importing this module does not import Prefect)."""
from __future__ import annotations

from typing import Any


class DataQualityError(RuntimeError):
    """The data-quality gate stopped the publish; no facts were published. The message names the failing
    expectations; `summary` is the run's RunSummary."""

    def __init__(self, message: str, summary: Any) -> None:
        super().__init__(message)
        self.summary = summary
