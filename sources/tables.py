"""CSV, TSV and Parquet exports -> raw article records, one per row, through a column mapping.

Each article field is read from one column: by default `text` from the first of `text`, `body`, `content`;
`title`; `url`; `published_at` from the first of `published_at`, `date`, `published`; `source`; `language`
(or `lang`); `id` (header names matched case-insensitively). An explicit mapping (`{"text": "story"}`, the
`columns` setting or `newsfacts run --column text=story`) names the column for a field instead.

Files are streamed in batches with pyarrow (CSV's streaming reader with every column read as text, Parquet's
batch iterator over the mapped columns only), so memory stays flat whatever the number of rows. A file
without a text column, or without a column the mapping names, is one reject naming the columns it has; a
ragged CSV row (more or fewer fields than the header) is a reject for that line and the rest is read; rows'
rejects are listed one by one up to `MAX_REJECTS_PER_FILE` and summed up after.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from newsfacts.sources.records import ROW_FIELDS, Item, Reject, RejectCap, row_record

if TYPE_CHECKING:  # pyarrow is imported when a table is read, not with the readers
    import pyarrow as pa

# Article field -> input columns tried in order when the mapping does not name one.
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "text": ("text", "body", "content"),
    "title": ("title",),
    "url": ("url",),
    "published_at": ("published_at", "date", "published"),
    "source": ("source",),
    "language": ("language", "lang"),
    "id": ("id",),
}
FIELDS = tuple(DEFAULT_COLUMNS)
TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t", ".parquet": None}
BATCH_ROWS = 1_024
BLOCK_SLACK = 1 << 16


@dataclass(frozen=True)
class ColumnChoice:
    """The input column each article field is read from (None: the file has none for it), or why the file
    cannot be read (`reject`)."""

    columns: dict[str, str | None]
    reject: Reject | None = None


def choose_columns(names: list[str], source: str, mapping: Mapping[str, str] | None) -> ColumnChoice:
    """Which of a file's columns `names` fills each field, by the explicit `mapping` then the defaults."""
    mapping = mapping or {}
    by_lower = {}
    for name in names:
        by_lower.setdefault(name.strip().lower(), name)
    have = ", ".join(repr(n) for n in names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
    chosen: dict[str, str | None] = {}
    for fld in FIELDS:
        if fld in mapping:
            wanted = mapping[fld]
            column = wanted if wanted in names else by_lower.get(wanted.strip().lower())
            if column is None:
                reason = "no_text_field" if fld == "text" else "missing_column"
                return ColumnChoice({}, Reject(source, reason, f"no column {wanted!r} for {fld} (columns: {have})"[:300]))
        else:
            column = next((by_lower[c] for c in DEFAULT_COLUMNS[fld] if c in by_lower), None)
        chosen[fld] = column
    if chosen["text"] is None:
        tried = "/".join(DEFAULT_COLUMNS["text"])
        return ColumnChoice(chosen, Reject(source, "no_text_field", f"no text column ({tried}; columns: {have})"[:300]))
    return ColumnChoice(chosen)


def _cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return None
    text = str(value).strip()
    return text or None


def _rows(batch: pa.RecordBatch, choice: ColumnChoice) -> Iterator[dict[str, object]]:
    """The batch's rows as {field: value} (fields without a column absent)."""
    columns = {fld: batch.column(name).to_pylist() for fld, name in choice.columns.items() if name is not None}
    for i in range(batch.num_rows):
        yield {fld: values[i] for fld, values in columns.items()}


def _row_item(row: dict[str, object], where: str, source: str, *, max_chars: int) -> Item:
    text = row.get("text")
    if text is not None and not isinstance(text, str):
        return Reject(where, "not_text", f"the text column holds {type(text).__name__}, not text")
    fields = {name: _cell(row.get(name)) for name in ROW_FIELDS}
    return row_record(text or "", fields, where, source, max_chars=max_chars, empty_detail="the text column is blank")


def read_table(
    path: str, fmt: str, *, max_chars: int, max_bytes: int, columns: Mapping[str, str] | None = None
) -> Iterator[Item]:
    """The articles of a `.csv`, `.tsv` or `.parquet` file (`fmt`), one per row, then the file's rejects.
    CSV is read `max_bytes` + 64 KiB at a time (pyarrow's block size; a longer row is read whole)."""
    import pyarrow as pa

    rejects = RejectCap(path, unit="rows", sep="#row")
    ragged = RejectCap(path, unit="lines", sep=":")
    if fmt == ".parquet":
        batches = _parquet_batches(path, columns)
    else:
        batches = _csv_batches(path, TABLE_SUFFIXES[fmt] or ",", columns, block=max_bytes + BLOCK_SLACK, ragged=ragged)
    row_no = 0
    file_rejects = 0
    try:
        for batch in batches:
            if isinstance(batch, Reject):  # the file's own, or a ragged line the cap kept
                file_rejects += 1
                yield batch
                continue
            for row in _rows(batch.batch, batch.choice):
                row_no += 1
                item = _row_item(row, f"{path}#row{row_no}", path, max_chars=max_chars)
                if isinstance(item, Reject):
                    item = rejects.add(item, row_no)
                if item is not None:
                    yield item
    except (pa.ArrowInvalid, pa.ArrowException, OSError, ValueError) as exc:
        reason = "bad_encoding" if "UTF8" in str(exc) or "UTF-8" in str(exc) else "parse_error"
        yield Reject(path, reason, f"after row {row_no} (earlier rows kept): {type(exc).__name__}: {exc}"[:300])
        file_rejects += 1
    if row_no == 0 and file_rejects == 0 and not ragged.more:
        yield Reject(path, "empty", "no rows")
    yield from rejects.summary()
    yield from ragged.summary()


@dataclass(frozen=True)
class Batch:
    batch: pa.RecordBatch
    choice: ColumnChoice


def _parquet_batches(path: str, mapping: Mapping[str, str] | None) -> Iterator[Batch | Reject]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        names = parquet.schema_arrow.names
    except (pa.ArrowException, OSError, ValueError) as exc:
        yield Reject(path, "parse_error", f"not a readable Parquet file: {type(exc).__name__}: {exc}"[:300])
        return
    choice = choose_columns(names, path, mapping)
    if choice.reject is not None:
        yield choice.reject
        return
    text_type = parquet.schema_arrow.field(choice.columns["text"]).type
    if not (pa.types.is_string(text_type) or pa.types.is_large_string(text_type) or pa.types.is_string_view(text_type)):
        yield Reject(path, "not_text", f"column {choice.columns['text']!r} is {text_type}, not text"[:300])
        return
    wanted = sorted({c for c in choice.columns.values() if c is not None})
    with parquet:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=wanted):
            yield Batch(batch, choice)


def _csv_batches(
    path: str, delimiter: str, mapping: Mapping[str, str] | None, *, block: int, ragged: RejectCap
) -> Iterator[Batch | Reject]:
    """The file's batches with every mapped column read as text; before each batch, the rejects (kept by
    `ragged`) of the lines in it that have more or fewer fields than the header."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    kept: list[Reject] = []

    def on_ragged(row) -> str:
        where = f"{path}:{row.number}" if row.number is not None else path
        reject = ragged.add(
            Reject(where, "ragged_row", f"{row.actual_columns} fields, the header has {row.expected_columns}"),
            row.number or 0,
        )
        if reject is not None:
            kept.append(reject)
        return "skip"

    read_options = pa_csv.ReadOptions(use_threads=False, block_size=block)
    parse_options = pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_ragged)
    probe_options = pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=lambda row: "skip")
    try:
        with pa_csv.open_csv(path, read_options=read_options, parse_options=probe_options) as probe:
            names = probe.schema.names
    except (pa.ArrowException, OSError, ValueError) as exc:
        message = str(exc)
        reason = "empty" if "Empty CSV file" in message else "parse_error"
        yield Reject(path, reason, f"{type(exc).__name__}: {message}"[:300])
        return
    choice = choose_columns(names, path, mapping)
    if choice.reject is not None:
        yield choice.reject
        return
    convert = pa_csv.ConvertOptions(
        column_types={name: pa.string() for name in names},
        include_columns=sorted({c for c in choice.columns.values() if c is not None}),
        strings_can_be_null=True,
    )
    with pa_csv.open_csv(path, read_options=read_options, parse_options=parse_options, convert_options=convert) as reader:
        for batch in reader:
            yield from kept
            kept.clear()
            yield Batch(batch, choice)
        yield from kept
