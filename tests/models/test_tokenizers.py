"""CharTokenizer and byte-level BPE: round trips, unknown characters, JSON save/load."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassbox.models import BPETokenizer, CharTokenizer

TRAIN = ("def add(a, b):\n    return a + b\n\nclass Point:\n    def __init__(self, x, y):\n"
         "        self.x = x\n        self.y = y\n") * 5


@pytest.fixture(scope="module")
def bpe():
    return BPETokenizer().train(TRAIN, vocab_size=280)


def test_char_round_trip_and_ids_sorted():
    tok = CharTokenizer().fit(TRAIN)
    assert tok.chars == sorted(set(TRAIN))
    ids = tok.encode(TRAIN)
    assert ids.dtype == np.int64 and len(ids) == len(TRAIN)
    assert tok.decode(ids) == TRAIN
    assert tok.decode(list(ids[:5])) == TRAIN[:5]


def test_char_unknown_character_names_it_and_its_position():
    tok = CharTokenizer().fit("abc ")
    with pytest.raises(ValueError, match=r"'é' \(U\+00E9\) at position 4"):
        tok.encode("abc é")
    with pytest.raises(ValueError, match="outside the vocabulary 0..3"):
        tok.decode([0, 4])
    with pytest.raises(RuntimeError, match="fit"):
        CharTokenizer().encode("a")


def test_char_save_load(tmp_path):
    tok = CharTokenizer().fit("héllo ☃\n")
    tok.save(tmp_path / "t.json")
    back = CharTokenizer.load(tmp_path / "t.json")
    assert back.chars == tok.chars
    assert back.decode(back.encode("☃ héllo")) == "☃ héllo"
    (tmp_path / "bad.json").write_text(json.dumps({"type": "bpe", "merges": []}))
    with pytest.raises(ValueError, match="'char'"):
        CharTokenizer.load(tmp_path / "bad.json")


def test_bpe_learns_merges_that_shorten_text(bpe):
    assert bpe.vocab_size == 280
    ids = bpe.encode(TRAIN)
    assert len(ids) < 0.7 * len(TRAIN.encode("utf-8"))
    assert bpe.decode(ids) == TRAIN
    assert ids.max() >= 256


def test_bpe_first_merge_is_the_most_frequent_pair():
    text = "aaab aaab aaab xy"
    tok = BPETokenizer().train(text, vocab_size=257)
    assert tok.merges == [(ord("a"), ord("a"))]


def test_bpe_training_stops_when_no_pair_repeats():
    tok = BPETokenizer().train("abcdef", vocab_size=400)
    assert tok.vocab_size == 256


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_bpe_round_trips_any_text(text):
    tok = _TRAINED
    assert tok.decode(tok.encode(text)) == text


_TRAINED = BPETokenizer().train(TRAIN + " héllo wörld ☃ 123 456", vocab_size=320)


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=60))
def test_bpe_trained_on_any_text_round_trips_it(text):
    tok = BPETokenizer().train(text * 3, vocab_size=270)
    assert tok.decode(tok.encode(text)) == text


def test_bpe_save_load(tmp_path, bpe):
    bpe.save(tmp_path / "b.json")
    back = BPETokenizer.load(tmp_path / "b.json")
    assert back.merges == bpe.merges
    s = "class Q:\n    def f(self): return '日本'"
    np.testing.assert_array_equal(back.encode(s), bpe.encode(s))
    (tmp_path / "bad.json").write_text('{"type": "bpe", "merges": [[1, 999]]}')
    with pytest.raises(ValueError, match="outside"):
        BPETokenizer.load(tmp_path / "bad.json")
    (tmp_path / "junk.json").write_text("not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        BPETokenizer.load(tmp_path / "junk.json")


def test_bpe_bad_arguments():
    with pytest.raises(ValueError, match="vocab_size must be an int >= 256"):
        BPETokenizer().train("abc", vocab_size=100)
    with pytest.raises(TypeError, match="expected str"):
        BPETokenizer().encode(b"bytes")
