"""Fixtures for the warehouse's crash and recovery tests."""
from __future__ import annotations

import pytest

from tests.warehouse.runs import Runs, build_runs


@pytest.fixture(scope="session")
def runs(tmp_path_factory) -> Runs:
    """Two runs extracted once from the bundled articles, and warehouses published from them without faults."""
    return build_runs(tmp_path_factory.mktemp("runs"))
