"""One real `prefect server start` per test module that asks for it."""
from __future__ import annotations

import pytest

from tests.flows.servers import start_server, stop


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    server, proc = start_server(tmp_path_factory.mktemp("prefect-home"))
    try:
        yield server
    finally:
        stop(proc)
