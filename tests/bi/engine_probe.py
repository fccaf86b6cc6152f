"""Run by the Superset environment's Python (SQLAlchemy + duckdb-engine), one setting per process.

    python engine_probe.py read-only FORM DB      open the file the FORM way; print its access mode, or the error
    python engine_probe.py publish SETTING DB     query, wait for a line on stdin (a publish happened), query again

Each case runs in its own process because DuckDB shares one database instance per file within a process:
while any connection to the path is open, new connections (whatever their pool) attach to that instance,
i.e. to the file as it was when the instance was opened.
"""
from __future__ import annotations

import json
import sys

import duckdb
import duckdb_engine
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

READ_ONLY_FORMS = {
    "connect_args": ("", {"connect_args": {"read_only": True}}),
    "url-access_mode": ("?access_mode=read_only", {}),
    "url-read_only": ("?read_only=true", {}),
}

RO = {"connect_args": {"read_only": True}}
POOL_SETTINGS = {
    "default": ("", RO),
    "pool_pre_ping": ("", {**RO, "pool_pre_ping": True}),
    "pool_recycle=1": ("", {**RO, "pool_recycle": 1}),
    "NullPool": ("", {**RO, "poolclass": NullPool}),
    "NullPool+url-access_mode": ("?access_mode=read_only", {"poolclass": NullPool}),
}


def emit(**payload) -> None:
    print(json.dumps(payload), flush=True)


def state(engine: sa.engine.Engine) -> dict:
    with engine.connect() as con:
        return {
            "commits": con.execute(sa.text("select count(*) from warehouse_commits")).scalar(),
            "articles": con.execute(sa.text("select count(*) from articles")).scalar(),
            "mart_event_map": con.execute(sa.text("select count(*) from mart_event_map")).scalar(),
        }


def read_only(form: str, db: str) -> None:
    suffix, kwargs = READ_ONLY_FORMS[form]
    engine = sa.create_engine(f"duckdb:///{db}{suffix}", poolclass=NullPool, **kwargs)
    try:
        with engine.connect() as con:
            mode = con.execute(sa.text("select current_setting('access_mode')")).scalar()
            try:
                con.execute(sa.text("create table probe_write(x integer)"))
                write = "allowed"
            except sa.exc.DBAPIError as exc:
                write = str(exc.orig).splitlines()[0]
        emit(form=form, access_mode=mode, write=write)
    except sa.exc.DBAPIError as exc:
        emit(form=form, error=str(exc.orig).splitlines()[0])


def publish(setting: str, db: str) -> None:
    suffix, kwargs = POOL_SETTINGS[setting]
    engine = sa.create_engine(f"duckdb:///{db}{suffix}", **kwargs)
    emit(phase="before", setting=setting, pool=type(engine.pool).__name__, **state(engine))
    sys.stdin.readline()  # the test publishes, then writes a line
    emit(phase="after", setting=setting, **state(engine))


if __name__ == "__main__":
    if sys.argv[1] == "versions":
        emit(sqlalchemy=sa.__version__, duckdb=duckdb.__version__, duckdb_engine=duckdb_engine.__version__)
    else:
        {"read-only": read_only, "publish": publish}[sys.argv[1]](sys.argv[2], sys.argv[3])
