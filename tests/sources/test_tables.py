"""CSV, TSV and Parquet exports: one article per row through the column mapping; bad files are rejects."""
from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import pytest
from newsfacts.sources.readers import RawRecord, Reject, read_source
from newsfacts.sources.tables import DEFAULT_COLUMNS

from newsfacts.settings import COLUMN_FIELDS, Settings

MAX = 2_000_000
TEXT = "Floods forced 300 families from their homes in Kherson on Monday, officials said."


def items(path, **kwargs) -> tuple[list[RawRecord], list[Reject]]:
    got = list(read_source(str(path), max_chars=MAX, **kwargs))
    return [i for i in got if isinstance(i, RawRecord)], [i for i in got if isinstance(i, Reject)]


def test_mapping_fields_match_the_setting():
    assert tuple(DEFAULT_COLUMNS) == COLUMN_FIELDS


def test_csv_default_columns_fill_every_field(tmp_path):
    path = tmp_path / "export.csv"
    pl.DataFrame({
        "ID": ["a1", None],
        "Body": [TEXT, "Second story, with a comma and \"quotes\",\nover two lines."],
        "title": ["Floods", "Second"],
        "url": ["https://news.example/1", None],
        "date": ["2024-05-02", "2024-05-03T10:00:00Z"],
        "source": ["Wire", None],
        "lang": ["en", "en"],
        "extra": ["1", "2"],
    }).write_csv(path)
    records, rejects = items(path, columns={})
    assert rejects == []
    assert records == [
        RawRecord(doc_id="a1", source="Wire", text=TEXT, title="Floods", url="https://news.example/1",
                  published_at="2024-05-02", language="en"),
        RawRecord(doc_id=f"{path}#row2", source=str(path), text="Second story, with a comma and \"quotes\",\nover two lines.",
                  title="Second", url=None, published_at="2024-05-03T10:00:00Z", language="en"),
    ]


def test_explicit_mapping_and_tsv(tmp_path):
    path = tmp_path / "export.tsv"
    path.write_text("story\theadline\ttext\nThe story column.\tHeadline\tnot this one\n", encoding="utf-8")
    records, rejects = items(path, columns={"text": "story", "title": "headline"})
    assert rejects == []
    assert [(r.text, r.title) for r in records] == [("The story column.", "Headline")]


def test_missing_text_column_is_one_reject_naming_the_columns(tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("headline,summary\nA,B\nC,D\n", encoding="utf-8")
    records, rejects = items(path, columns={})
    assert records == []
    assert [(r.source, r.reason) for r in rejects] == [(str(path), "no_text_field")]
    assert "'headline', 'summary'" in rejects[0].detail
    records, rejects = items(path, columns={"text": "story"})
    assert [r.reason for r in rejects] == ["no_text_field"] and "no column 'story' for text" in rejects[0].detail
    records, rejects = items(path, columns={"text": "summary", "title": "heading"})
    assert [r.reason for r in rejects] == ["missing_column"] and "'heading' for title" in rejects[0].detail


def test_ragged_rows_are_rejected_and_the_rest_is_read(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("title,text\nOne,First story.\nTwo,too,many,fields\nThree\nFour,Fourth story.\n,\n", encoding="utf-8")
    records, rejects = items(path, columns={})
    assert [r.title for r in records] == ["One", "Four"]
    assert [r.doc_id for r in records] == [f"{path}#row1", f"{path}#row2"]
    assert [(r.source, r.reason) for r in rejects] == [
        (f"{path}:3", "ragged_row"), (f"{path}:4", "ragged_row"), (f"{path}#row3", "empty"),
    ]
    assert rejects[0].detail == "4 fields, the header has 2"


def test_ragged_rows_past_the_cap_are_summed_up(tmp_path, monkeypatch):
    import newsfacts.sources.records as records_module

    monkeypatch.setattr(records_module, "MAX_REJECTS_PER_FILE", 3)  # where RejectCap reads it
    path = tmp_path / "many.csv"
    path.write_text("text,title\n" + "broken\n" * 10 + "Good story.,Good\n", encoding="utf-8")
    records, rejects = items(path, columns={})
    assert [r.title for r in records] == ["Good"]
    assert [r.reason for r in rejects] == ["ragged_row"] * 4
    assert rejects[-1].source == f"{path}:5-11" and rejects[-1].detail.startswith("7 more lines rejected as ragged_row")


def test_parquet_with_timestamps_and_ids(tmp_path):
    path = tmp_path / "export.parquet"
    pl.DataFrame({
        "id": [7, 8],
        "content": [TEXT, "Another article body."],
        "published": [datetime(2024, 5, 2, 10, tzinfo=timezone.utc), None],
        "unrelated": [1.5, 2.5],
    }).write_parquet(path, row_group_size=1)
    records, rejects = items(path, columns={})
    assert rejects == []
    assert [(r.doc_id, r.text, r.published_at) for r in records] == [
        ("7", TEXT, "2024-05-02T10:00:00+00:00"), ("8", "Another article body.", None),
    ]


def test_parquet_without_rows_is_empty(tmp_path):
    path = tmp_path / "none.parquet"
    pl.DataFrame(schema={"text": pl.String}).write_parquet(path)
    assert [(r.source, r.reason) for r in items(path, columns={})[1]] == [(str(path), "empty")]


def test_parquet_of_another_schema_and_not_a_parquet_file(tmp_path):
    other = tmp_path / "prices.parquet"
    pl.DataFrame({"ticker": ["A"], "price": [1.0]}).write_parquet(other)
    numbers = tmp_path / "numbers.parquet"
    pl.DataFrame({"text": [1, 2]}).write_parquet(numbers)
    fake = tmp_path / "fake.parquet"
    fake.write_text("id,text\n1,hello\n", encoding="utf-8")
    cut = tmp_path / "cut.parquet"
    cut.write_bytes((other.read_bytes())[:-20])
    assert items(other, columns={})[1][0].reason == "no_text_field"
    assert "'ticker', 'price'" in items(other, columns={})[1][0].detail
    assert [r.reason for r in items(numbers, columns={})[1]] == ["not_text"]
    for path in (fake, cut):
        records, rejects = items(path, columns={})
        assert records == [] and [r.reason for r in rejects] == ["parse_error"], rejects


@pytest.mark.parametrize(
    "content, reason", [(b"", "empty"), (b"text,title\n", "empty"), (b"text\n\xff\xfe broken\n", "bad_encoding")]
)
def test_empty_and_undecodable_csv(tmp_path, content, reason):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    records, rejects = items(path, columns={})
    assert records == [] and [r.reason for r in rejects] == [reason], rejects


def test_columns_setting_is_the_default_mapping(tmp_path, monkeypatch):
    path = tmp_path / "story.csv"
    path.write_text("story\nFrom the setting.\n", encoding="utf-8")
    monkeypatch.setenv("NEWSFACTS_COLUMNS", '{"text": "story"}')
    assert Settings().columns == {"text": "story"}
    records, rejects = items(path)
    assert [r.text for r in records] == ["From the setting."] and rejects == []


def test_gzipped_csv_is_read(tmp_path):
    import gzip

    path = tmp_path / "export.csv.gz"
    path.write_bytes(gzip.compress(b"text\nA gzipped export.\n"))
    records, rejects = items(path, columns={})
    assert [r.text for r in records] == ["A gzipped export."] and rejects == []
