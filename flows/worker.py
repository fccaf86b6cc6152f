"""Set-up of the processes that run extraction batches: Dask workers (a preload) and local process pools.

    dask worker tcp://scheduler:8786 --nthreads 1 --preload newsfacts.flows.worker

Without the preload, each Dask worker pays its start-up inside the first run's extract stage: importing
Prefect, polars and the transforms, and loading the reference data (the prepared gazetteer, lexicons,
actors), about 6 s per worker on a 2-core machine (docs/performance.md). With it, the worker does that once
when it starts. A run's local process pool runs the same set-up (`setup_process`) as each process starts:

* `POLARS_MAX_THREADS` is set to the worker's task threads (`--nthreads`) unless the environment sets it:
  polars otherwise starts one thread per core in every worker, and N one-thread workers on N cores would
  run N x N busy threads (Dask's nanny sets `OMP_NUM_THREADS=1` for the same reason). It only takes effect
  while polars is not yet imported in the worker, which the preload runs before;
  a local pool's processes get the machine's cores divided among them;
* the pipeline's modules are imported, and the reference data are loaded with the worker's own settings
  (its `NEWSFACTS_*` environment) into the cache `extract_batch` reads. A run whose seeds or cache folder
  differ from the worker's loads its own copy at its first batch, as it would without the preload.

Reference data that cannot be loaded (a missing seeds folder) do not stop the worker: the error is logged and
the first batch loads them again, and reports the error in its run.
"""
from __future__ import annotations

import logging
import os
import sys
import time

log = logging.getLogger("distributed.worker")  # the worker's own log, which `dask worker` prints


def polars_threads(task_threads: int, environ: dict[str, str] | os._Environ = os.environ) -> str | None:
    """Set `POLARS_MAX_THREADS` to the worker's task threads unless it is set; returns the value now in force
    (None when polars was already imported, so the setting could no longer apply)."""
    if "polars" in sys.modules and "POLARS_MAX_THREADS" not in environ:
        return None
    environ.setdefault("POLARS_MAX_THREADS", str(max(1, task_threads)))
    return environ["POLARS_MAX_THREADS"]


def warm_up(settings=None) -> float:
    """Import the pipeline and load the reference data of `settings` (None: the process's environment) into
    the worker's cache; returns the seconds taken."""
    started = time.perf_counter()
    from newsfacts.flows.pipeline import _reference_in_worker

    from newsfacts.settings import Settings

    _reference_in_worker(settings or Settings())
    return time.perf_counter() - started


def setup_process(polars_threads_per_process: int, settings=None) -> None:
    """Set up a process that runs extraction batches: polars threads, then the reference data of `settings`
    (None: the process's environment). The initializer of a run's local process pool, and the Dask preload."""
    threads = polars_threads(polars_threads_per_process)
    try:
        seconds = warm_up(settings)
    except Exception as exc:  # the first batch loads the reference data again and reports the error
        log.warning("newsfacts worker: reference data not loaded (%s: %s)", type(exc).__name__, exc)
        return
    log.info("newsfacts worker: pipeline and reference data ready in %.1f s (POLARS_MAX_THREADS=%s)", seconds, threads)


def dask_setup(worker) -> None:  # the hook `dask worker --preload` calls when the worker starts
    setup_process(worker.state.nthreads)
