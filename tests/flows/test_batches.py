"""How a chunk's articles are cut into extraction batches (`flows/pipeline._batches`)."""
from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st
from newsfacts.flows.pipeline import _batches
from polars.testing import assert_frame_equal


@given(rows=st.integers(1, 3000), size=st.integers(1, 1200), slots=st.integers(1, 8))
def test_batches_cover_the_frame_in_order_in_whole_rounds(rows: int, size: int, slots: int):
    frame = pl.DataFrame({"i": range(rows)})
    batches = _batches(frame, size, slots)
    assert_frame_equal(pl.concat(batches), frame)  # every row once, in order
    assert all(0 < b.height <= size for b in batches)
    assert max(b.height for b in batches) - min(b.height for b in batches) <= 1  # even
    by_size = -(-rows // size)
    # as many as the size needs, rounded up to whole rounds of `slots` (at most one row each)
    assert len(batches) == min(-(-by_size // slots) * slots, rows)


def test_examples():
    frame = pl.DataFrame({"i": range(5000)})
    assert [b.height for b in _batches(frame, 1000, 2)] == [834, 834, 833, 833, 833, 833]
    assert [b.height for b in _batches(frame, 500, 2)] == [500] * 10
    assert [b.height for b in _batches(frame, 500, 1)] == [500] * 10
    assert [b.height for b in _batches(frame.head(600), 500, 2)] == [300, 300]
    assert [b.height for b in _batches(frame.head(400), 500, 1)] == [400]
    assert [b.height for b in _batches(frame.head(3), 500, 4)] == [1, 1, 1]
