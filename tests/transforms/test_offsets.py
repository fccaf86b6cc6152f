from hypothesis import given
from hypothesis import strategies as st
from newsfacts.transforms.offsets import byte_to_char_offsets


def test_examples():
    text = "Zürich’s 5 km"
    raw = text.encode()
    assert byte_to_char_offsets(text, [raw.index(b"5"), 0, raw.index(b"km")]) == [9, 0, 11]
    assert byte_to_char_offsets("plain", [3, 1]) == [3, 1]
    assert byte_to_char_offsets("x", []) == []


@given(st.text(), st.data())
def test_every_char_boundary_maps_back(text, data):
    boundaries = [len(text[:i].encode()) for i in range(len(text) + 1)]
    picked = data.draw(st.lists(st.sampled_from(list(range(len(boundaries)))), max_size=20))
    assert byte_to_char_offsets(text, [boundaries[i] for i in picked]) == picked
