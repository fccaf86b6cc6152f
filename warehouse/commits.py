"""The warehouse's commit log: `DIR/_commits/`, one manifest per commit, and the durable-write helpers.

A manifest `DIR/_commits/<seq, 10 digits>-<label>.json` names the Parquet part files one commit made visible
and their row counts. It is written to a hidden tmp file, fsynced, renamed to its final name and the folder
fsynced: that rename is the commit point. Nothing else reads a part file that no manifest names.

`DIR/_commits/.pending-<run_id>.json` is a publish's intent, written (durably) before it stages anything:
the part files it may create. If the publish dies before committing, recovery deletes exactly those files
(unless a manifest names them); part files that neither a manifest nor an intent name were put there by
someone else and are never deleted.

A compaction commits a manifest of kind `compact`: `parts` are the merged files it wrote and `retires` the
files they replace. The committed set is the fold of the manifests in order: add each manifest's parts,
drop the parts it retires (`committed_parts`). Compaction manifests are written in format 2, so a version
that does not know `retires` refuses them ("unknown manifest format") instead of showing rows twice.
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

COMMITS_DIR = "_commits"
FORMAT = 1
FORMAT_RETIRES = 2  # manifests that retire parts (compaction); readers of format 1 only must refuse them
_MANIFEST = re.compile(r"^(\d{10})-(.+)\.json$")
INTENT_PREFIX = ".pending-"


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all: tmp file, fsync, rename, fsync of the folder."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


@dataclass(frozen=True)
class PartFile:
    table: str
    path: str  # relative to the warehouse folder, POSIX separators
    rows: int


@dataclass(frozen=True)
class Manifest:
    seq: int
    label: str  # the run id for a publish; `legacy` or `adopted` for parts adopted; `compact-<seq>`
    kind: str  # publish | legacy | adopted | compact
    committed_at: str
    parts: tuple[PartFile, ...]
    run_id: str | None = None
    retires: tuple[PartFile, ...] = ()  # compaction: the committed parts `parts` replace

    @property
    def name(self) -> str:
        return manifest_name(self.seq, self.label)

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.parts)

    def to_json(self) -> bytes:
        body = {
            "format": FORMAT_RETIRES if self.retires else FORMAT,
            "seq": self.seq,
            "label": self.label,
            "kind": self.kind,
            "run_id": self.run_id,
            "committed_at": self.committed_at,
            "parts": [{"table": p.table, "path": p.path, "rows": p.rows} for p in self.parts],
        }
        if self.retires:
            body["retires"] = [{"table": p.table, "path": p.path, "rows": p.rows} for p in self.retires]
        return (json.dumps(body, indent=1) + "\n").encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes, source: Path) -> "Manifest":
        try:
            body = json.loads(data)
            if body.get("format") not in (FORMAT, FORMAT_RETIRES):
                raise ValueError(f"unknown manifest format {body.get('format')!r}")
            parts = tuple(PartFile(p["table"], p["path"], int(p["rows"])) for p in body["parts"])
            retires = tuple(PartFile(p["table"], p["path"], int(p["rows"])) for p in body.get("retires", ()))
            return cls(
                int(body["seq"]), body["label"], body["kind"], body["committed_at"], parts, body.get("run_id"), retires
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{source}: unreadable commit manifest ({exc})") from exc


def committed_parts(manifests: Iterable[Manifest]) -> list[PartFile]:
    """The parts readers see after `manifests` (oldest first): each manifest's parts added in commit order,
    the parts a compaction retires dropped (its merged parts take its place in the order)."""
    live: dict[str, PartFile] = {}
    for manifest in manifests:
        for part in manifest.retires:
            live.pop(part.path, None)
        for part in manifest.parts:
            live[part.path] = part
    return list(live.values())


def manifest_name(seq: int, label: str) -> str:
    return f"{seq:010d}-{label}.json"


def read_manifests(folder: Path, cache: dict[str, Manifest]) -> list[Manifest]:
    """The committed manifests in `folder`, oldest first. A manifest never changes once committed, so
    `cache` (file name -> manifest) is only ever added to."""
    names = sorted(name for name in os.listdir(folder) if _MANIFEST.match(name))
    out = []
    for name in names:
        manifest = cache.get(name)
        if manifest is None:
            path = folder / name
            manifest = Manifest.from_json(path.read_bytes(), path)
            if manifest.name != name:
                raise ValueError(f"{path}: names commit {manifest.name}")
            cache[name] = manifest
        out.append(manifest)
    return out


def intent_path(folder: Path, run_id: str) -> Path:
    return folder / f"{INTENT_PREFIX}{run_id}.json"


def write_intent(folder: Path, run_id: str, files: Iterable[str]) -> Path:
    path = intent_path(folder, run_id)
    write_durably(path, json.dumps({"run_id": run_id, "files": list(files)}).encode("utf-8"))
    return path


def read_intents(folder: Path) -> list[tuple[Path, list[str]]]:
    """Each intent left in `folder` with the part files (relative paths) it announced."""
    out = []
    for path in sorted(folder.glob(f"{INTENT_PREFIX}*.json")):
        try:
            files = [str(f) for f in json.loads(path.read_bytes())["files"]]
        except (ValueError, KeyError, TypeError):
            files = []  # written whole or not at all, so this is not ours; still drop it
        out.append((path, files))
    return out
