"""Data-quality gate of the fact tables (Great Expectations Core, imported lazily).

    from newsfacts.expectations import run_gate, write_report
    result = run_gate({"articles": a, "locations": l, "figures": f, "events": e})
    write_report(result, warehouse / "dq_report")      # .html (offline) + .json
    if not result.success: print(result.summary())

Suites: ``suites/<table>.json`` (regenerate with
``uv run python -m newsfacts.expectations.suites``); derived check columns:
``derive.prepare_for_validation``. Importing this package does not import GX.
"""
from newsfacts.expectations.gate import (
    ExpectationOutcome,
    GateResult,
    run_gate,
    write_report,
)

__all__ = ["ExpectationOutcome", "GateResult", "run_gate", "write_report"]
