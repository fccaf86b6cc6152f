"""TEST-ONLY fault injection for the warehouse's publish and rebuild.

Set `NEWSFACTS_FAULT_AT=<step>` and the process is killed with SIGKILL when it reaches that step, exactly
as a power cut or an OOM kill would stop it: no `except`, no `finally`, no cleanup. With
`NEWSFACTS_FAULT_MODE=raise` it raises `InjectedFault` there instead, to exercise the error paths.
Never set these outside tests. Unset (the normal case) a step costs one environment lookup.

Steps, in the order a publish reaches them (see docs/warehouse.md):

    staged:<table>            after that table's part was written and fsynced in `DIR/_staging/`
    before_commit             every part staged and the new DuckDB file built beside the old one
    after_commit              the manifest renamed into `_commits/` (the commit point) and fsynced
    after_move                the staged parts renamed into `parquet/<table>/ingest_date=.../`
    before_db_rename          just before the new DuckDB file is renamed over the old one
    after_db_rename           just after
    rebuild:before_db_rename  the same two for a rebuild of the DuckDB file (`rebuild()`, or `recover()`
    rebuild:after_db_rename   bringing a stale file up to date)

and a compaction (`LocalWarehouse.compact()`, also run after a publish):

    compact:staged            every merged part written and fsynced in `DIR/_staging/`
    compact:before_commit     the new DuckDB file built beside the old one
    compact:after_commit      the `compact` manifest renamed into `_commits/` (the commit point)
    compact:after_move        the merged parts renamed into their partitions (old parts still there)
    compact:before_db_rename  just before the new DuckDB file is renamed over the old one
    compact:after_db_rename   just after (the retired parts are not deleted yet)
    compact:deleting          after the first retired part was deleted
"""
from __future__ import annotations

import os
import signal

FAULT_ENV = "NEWSFACTS_FAULT_AT"
MODE_ENV = "NEWSFACTS_FAULT_MODE"

PUBLISH_STEPS = ("before_commit", "after_commit", "after_move", "before_db_rename", "after_db_rename")
REBUILD_STEPS = ("rebuild:before_db_rename", "rebuild:after_db_rename")
COMPACT_STEPS = (
    "compact:staged", "compact:before_commit", "compact:after_commit", "compact:after_move",
    "compact:before_db_rename", "compact:after_db_rename", "compact:deleting",
)


class InjectedFault(RuntimeError):
    """Raised at a fault step when NEWSFACTS_FAULT_MODE=raise (tests only)."""


def fault_point(step: str) -> None:
    """Die (or raise) here when the test-only NEWSFACTS_FAULT_AT names this step; otherwise do nothing."""
    wanted = os.environ.get(FAULT_ENV)
    if wanted is None or wanted != step:
        return
    if os.environ.get(MODE_ENV) == "raise":
        raise InjectedFault(f"injected fault at {step}")
    os.kill(os.getpid(), signal.SIGKILL)
