"""Tokenizers: text <-> integer ids for the language models.

- CharTokenizer: one id per distinct character seen in `fit`; an unseen character is an error.
- BPETokenizer: byte-level byte-pair encoding. Text is UTF-8 bytes (ids 0-255), and training
  adds one id per merge of the most frequent adjacent pair, so any string -- including
  characters never seen in training -- encodes, and decodes back exactly.

Both save to and load from JSON (plain data: loading never runs code).
"""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
from pathlib import Path

import numpy as np


def _ids_array(ids, where: str) -> np.ndarray:
    """Token ids (list, array or Tensor) as a flat int64 array."""
    if hasattr(ids, "numpy"):
        ids = ids.numpy()
    arr = np.asarray(ids)
    if arr.size and arr.dtype.kind not in "iu":
        raise TypeError(f"{where}: expected integer token ids, got dtype {arr.dtype}")
    return arr.astype(np.int64).reshape(-1)


def _read_json(path, kind: str, where: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as e:
            raise ValueError(f"{where}: {path} is not valid JSON ({e})") from None
    if not isinstance(data, dict) or data.get("type") != kind:
        got = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"{where}: {path} does not hold a {kind!r} tokenizer (type {got!r})")
    return data


class CharTokenizer:
    """Character-level tokenizer: each distinct character gets an id, in sorted order.

    Args:
        chars (str or iterable of str, optional): the vocabulary; usually left out and built
            by `fit(text)`.

    Example:
        >>> tok = CharTokenizer().fit("hello world")
        >>> tok.vocab_size
        8
        >>> ids = tok.encode("hello")
        >>> ids.tolist(), tok.decode(ids)
        ([3, 2, 4, 4, 5], 'hello')
    """

    def __init__(self, chars=None):
        self.chars: list[str] = []
        self._codes = np.zeros(0, dtype=np.uint32)  # sorted code points, id = position
        if chars is not None:
            self._set_chars(sorted(set(chars)))

    def _set_chars(self, chars: list) -> None:
        for c in chars:
            if not isinstance(c, str) or len(c) != 1:
                raise ValueError(f"CharTokenizer: vocabulary entries must be single characters, "
                                 f"got {c!r}")
        self.chars = list(chars)
        self._codes = np.array([ord(c) for c in self.chars], dtype=np.uint32)

    @property
    def vocab_size(self) -> int:
        """Number of distinct characters (ids 0 .. vocab_size - 1)."""
        return len(self.chars)

    def fit(self, text: str) -> CharTokenizer:
        """Build the vocabulary from every distinct character of `text`; returns self."""
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer.fit: expected str, got {type(text).__name__}")
        self._set_chars(sorted(set(text)))
        return self

    def encode(self, text: str) -> np.ndarray:
        """Ids (int64 array, one per character) of `text`.

        Raises ValueError naming the first character outside the vocabulary and its position.
        """
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer.encode: expected str, got {type(text).__name__}")
        if not self.chars:
            raise RuntimeError("CharTokenizer.encode: the vocabulary is empty; call fit(text)")
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        ids = np.searchsorted(self._codes, codes)
        ids_c = np.minimum(ids, len(self._codes) - 1)
        bad = np.flatnonzero(self._codes[ids_c] != codes)
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"CharTokenizer.encode: character {text[i]!r} (U+{ord(text[i]):04X}) at position "
                f"{i} is not in the vocabulary of {self.vocab_size} characters"
            )
        return ids.astype(np.int64)

    def decode(self, ids) -> str:
        """The text of a sequence of ids (list, array or Tensor)."""
        arr = _ids_array(ids, "CharTokenizer.decode")
        if arr.size and (arr.min() < 0 or arr.max() >= self.vocab_size):
            bad = arr[(arr < 0) | (arr >= self.vocab_size)][0]
            raise ValueError(f"CharTokenizer.decode: id {bad} is outside the vocabulary "
                             f"0..{self.vocab_size - 1}")
        return "".join(self.chars[i] for i in arr.tolist())

    def save(self, path) -> None:
        """Write the vocabulary as JSON."""
        Path(path).write_text(json.dumps({"type": "char", "chars": self.chars}), "utf-8")

    @classmethod
    def load(cls, path) -> CharTokenizer:
        """Read a tokenizer written by `save`."""
        data = _read_json(path, "char", "CharTokenizer.load")
        tok = cls()
        tok._set_chars(list(data.get("chars", [])))
        if tok.chars != sorted(set(tok.chars)):
            raise ValueError(f"CharTokenizer.load: {path}: characters must be distinct and sorted")
        return tok

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size})"


# Pre-tokenization: merges never cross these chunks (a word with its leading space, a number,
# a run of punctuation, whitespace). Every character matches one alternative, so the chunks
# concatenate back to the text.
_CHUNK = re.compile(r" ?[^\W\d]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+", re.UNICODE)


def _merge(word: tuple, pair: tuple, new: int) -> tuple:
    """`word` with every non-overlapping occurrence of `pair` (left to right) replaced by `new`."""
    out, i, n = [], 0, len(word)
    a, b = pair
    while i < n:
        if i < n - 1 and word[i] == a and word[i + 1] == b:
            out.append(new)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


class BPETokenizer:
    """Byte-level byte-pair-encoding tokenizer (as GPT-2's, without its byte-to-unicode table).

    Ids 0-255 are the UTF-8 bytes; id 256 + r is the r-th learned merge of two ids. Encoding
    splits text into chunks (words with their leading space, numbers, punctuation,
    whitespace), then applies the merges to each chunk in the order they were learned.

    Args:
        merges (list of (int, int), optional): learned merges; usually built by `train`.

    Example:
        >>> tok = BPETokenizer().train("the cat sat on the mat " * 20, vocab_size=262)
        >>> tok.vocab_size
        262
        >>> ids = tok.encode("the rat ate")
        >>> tok.decode(ids)
        'the rat ate'
        >>> tok.decode(tok.encode("héllo ☃")) == "héllo ☃"  # unseen characters: exact
        True
    """

    def __init__(self, merges=None):
        self.merges: list[tuple[int, int]] = []
        self._ranks: dict[tuple[int, int], int] = {}
        self._bytes: list[bytes] = [bytes([i]) for i in range(256)]
        self._cache: dict[str, tuple] = {}
        for pair in merges or []:
            self._add_merge(pair)

    def _add_merge(self, pair) -> None:
        a, b = (int(x) for x in pair)
        n = self.vocab_size
        if not (0 <= a < n and 0 <= b < n):
            raise ValueError(f"BPETokenizer: merge ({a}, {b}) refers to an id outside 0..{n - 1}")
        self._ranks[(a, b)] = len(self.merges)
        self.merges.append((a, b))
        self._bytes.append(self._bytes[a] + self._bytes[b])

    @property
    def vocab_size(self) -> int:
        """256 byte ids plus one per merge."""
        return 256 + len(self.merges)

    def train(self, text: str, vocab_size: int, verbose: bool = False) -> BPETokenizer:
        """Learn merges from `text` until the vocabulary has `vocab_size` ids; returns self.

        Pair counts are kept per distinct chunk (weighted by how often the chunk occurs) and
        updated incrementally: a merge re-counts only the chunks that contain its pair.
        Training stops early if no pair occurs twice.

        Args:
            text (str): training text.
            vocab_size (int): target size, >= 256.
            verbose (bool): print each merge. Default False.
        """
        if not isinstance(text, str):
            raise TypeError(f"BPETokenizer.train: expected str, got {type(text).__name__}")
        if not isinstance(vocab_size, int) or vocab_size < 256:
            raise ValueError(f"BPETokenizer.train: vocab_size must be an int >= 256 (the byte "
                             f"ids), got {vocab_size!r}")
        self.__init__()
        counts: dict[str, int] = defaultdict(int)
        for chunk in _CHUNK.findall(text):
            counts[chunk] += 1
        words = [tuple(chunk.encode("utf-8")) for chunk in counts]
        freq = list(counts.values())
        pair_count: dict[tuple, int] = defaultdict(int)
        where: dict[tuple, set] = defaultdict(set)  # pair -> indices of words containing it
        for w, (word, f) in enumerate(zip(words, freq)):
            for pair in itertools.pairwise(word):
                pair_count[pair] += f
                where[pair].add(w)
        while self.vocab_size < vocab_size and pair_count:
            # most frequent pair; ties go to the smallest pair, so training is deterministic
            best = max(pair_count.items(), key=lambda kv: (kv[1], -kv[0][0], -kv[0][1]))
            pair, count = best
            if count < 2:
                break
            new = self.vocab_size
            self._add_merge(pair)
            if verbose:
                print(f"merge {new - 255}: {pair} -> {new} {self._bytes[new]!r} ({count})")
            for w in list(where[pair]):
                word, f = words[w], freq[w]
                for p in itertools.pairwise(word):  # take the old word's pairs out ...
                    pair_count[p] -= f
                    if pair_count[p] <= 0:
                        del pair_count[p]
                    where[p].discard(w)
                word = _merge(word, pair, new)
                words[w] = word
                for p in itertools.pairwise(word):  # ... and the new word's pairs in
                    pair_count[p] += f
                    where[p].add(w)
            where.pop(pair, None)
        return self

    def _encode_chunk(self, chunk: str) -> tuple:
        word = tuple(chunk.encode("utf-8"))
        ranks = self._ranks
        while len(word) > 1:
            # the earliest-learned merge present in the word goes first, as in training
            pair = min(itertools.pairwise(word), key=lambda p: ranks.get(p, 1 << 62))
            if pair not in ranks:
                break
            word = _merge(word, pair, 256 + ranks[pair])
        return word

    def encode(self, text: str) -> np.ndarray:
        """Token ids (int64 array) of any string."""
        if not isinstance(text, str):
            raise TypeError(f"BPETokenizer.encode: expected str, got {type(text).__name__}")
        out = []
        cache = self._cache
        for chunk in _CHUNK.findall(text):
            ids = cache.get(chunk)
            if ids is None:
                ids = self._encode_chunk(chunk)
                if len(cache) < 100_000:
                    cache[chunk] = ids
            out.extend(ids)
        return np.array(out, dtype=np.int64)

    def decode(self, ids, errors: str = "replace") -> str:
        """The text of a sequence of ids. A sequence that splits a multi-byte character
        (e.g. a sample cut mid-way) decodes with `errors` ('replace' by default)."""
        arr = _ids_array(ids, "BPETokenizer.decode")
        if arr.size and (arr.min() < 0 or arr.max() >= self.vocab_size):
            bad = arr[(arr < 0) | (arr >= self.vocab_size)][0]
            raise ValueError(f"BPETokenizer.decode: id {bad} is outside the vocabulary "
                             f"0..{self.vocab_size - 1}")
        return b"".join(self._bytes[i] for i in arr.tolist()).decode("utf-8", errors=errors)

    def save(self, path) -> None:
        """Write the merges as JSON."""
        data = {"type": "bpe", "merges": [list(m) for m in self.merges]}
        Path(path).write_text(json.dumps(data), "utf-8")

    @classmethod
    def load(cls, path) -> BPETokenizer:
        """Read a tokenizer written by `save`."""
        data = _read_json(path, "bpe", "BPETokenizer.load")
        merges = data.get("merges", [])
        if not isinstance(merges, list) or not all(
                isinstance(m, list) and len(m) == 2 and all(isinstance(x, int) for x in m)
                for m in merges):
            raise ValueError(f"BPETokenizer.load: {path}: 'merges' must be a list of [int, int]")
        return cls(merges)

    def __repr__(self) -> str:
        return f"BPETokenizer(vocab_size={self.vocab_size})"
