"""Text as numbers: a corpus, a character vocabulary, one-hot vectors, softmax cross-entropy,
sampling with a temperature, perplexity, and the count-based baselines a language model must beat.

In the book's notation a text is a sequence of character ids ``c_1, c_2, ...`` in
``[0, V)``, ``V`` the vocabulary size. A language model reads ``c_1..c_t`` and outputs
*logits* ``y_t`` (one score per character, shape ``(V,)``); the softmax turns them into
probabilities for the next character::

    p_t = softmax(y_t),   p_t[k] = exp(y_t[k]) / Σ_j exp(y_t[j])
    L   = -(1/N) Σ_t log p_t[c_{t+1}]                  mean cross-entropy, in nats
    dL/dy_t = (p_t - onehot(c_{t+1})) / N               the gradient the book derives
    perplexity = exp(L)

A model that knows nothing gives every character ``1/V`` and has perplexity ``V``; a
perfect one has perplexity 1. Perplexity reads as "the model is as unsure as a fair
choice among this many characters".

The corpus is the source of a fixed list of Python standard-library modules, read from
the running interpreter's installation: every machine with Python has it, nothing is
downloaded, and nothing is copied into this repository.
"""

from __future__ import annotations

import sysconfig
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._validate import check_dtype_name, check_positive_int
from ..cells.weights import log_softmax, softmax

#: Standard-library modules read as the corpus, in this order (pure Python, stable across
#: 3.11 patch releases). The last ones end up in the validation split: held-out files.
STDLIB_FILES = (
    "textwrap.py",
    "heapq.py",
    "bisect.py",
    "fnmatch.py",
    "glob.py",
    "queue.py",
    "colorsys.py",
    "copy.py",
    "contextlib.py",
    "functools.py",
    "random.py",
    "dataclasses.py",
    "calendar.py",
    "fractions.py",
    "pprint.py",
)

#: The character that stands for every character outside the vocabulary.
UNKNOWN = "\N{REPLACEMENT CHARACTER}"


@dataclass(frozen=True)
class Corpus:
    """The corpus text and where it came from: ``files`` are ``(name, characters)`` pairs."""

    text: str
    directory: str
    files: tuple[tuple[str, int], ...]

    def __len__(self) -> int:
        return len(self.text)


def stdlib_directory() -> Path:
    """Where this interpreter's standard library lives (``sysconfig``'s ``stdlib`` path)."""
    return Path(sysconfig.get_paths()["stdlib"])


def stdlib_corpus(
    files: tuple[str, ...] = STDLIB_FILES, directory: str | Path | None = None
) -> Corpus:
    """The named standard-library files, read as UTF-8 and joined in order.

    Raises ``FileNotFoundError`` naming every missing file and the directory searched
    (a Python built without its ``.py`` sources, e.g. some slim containers).
    """
    if isinstance(files, str) or not files:
        raise ValueError(f"files must be a non-empty sequence of file names; got {files!r}")
    folder = Path(directory) if directory is not None else stdlib_directory()
    missing = [name for name in files if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"the corpus needs these standard-library files, missing from {folder}: "
            f"{', '.join(missing)} (is Python installed with its .py sources?)"
        )
    texts = [(folder / name).read_text(encoding="utf-8") for name in files]
    return Corpus(
        text="".join(texts),
        directory=str(folder),
        files=tuple((name, len(text)) for name, text in zip(files, texts, strict=True)),
    )


def _check_text(name: str, text: Any) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str; got {type(text).__name__}")
    if not text:
        raise ValueError(f"{name} must not be empty; got an empty string")
    return text


def split_text(text: str, validation_fraction: float = 0.1) -> tuple[str, str]:
    """``(train, validation)``: the last ``validation_fraction`` of the text is held out.

    Cutting at the end, not at random positions, keeps both parts contiguous, so a
    model never sees the text around a validation character during training.
    """
    text = _check_text("text", text)
    if not isinstance(validation_fraction, (int, float)) or not 0 < validation_fraction < 1:
        raise ValueError(f"validation_fraction must be in (0, 1); got {validation_fraction!r}")
    cut = round(len(text) * (1 - validation_fraction))
    if cut < 2 or len(text) - cut < 2:
        raise ValueError(
            f"a text of {len(text)} characters is too short to split with "
            f"validation_fraction={validation_fraction}: each part needs at least 2"
        )
    return text[:cut], text[cut:]


@dataclass(frozen=True)
class Vocabulary:
    """The characters a model knows, each with an id: ``chars[i]`` has id ``i``.

    ``unknown`` is the policy for other characters: ``None`` refuses them
    (``encode`` raises), a character (by default :data:`UNKNOWN`, which is then part of
    ``chars``) stands for all of them.
    """

    chars: tuple[str, ...]
    unknown: str | None = UNKNOWN

    def __post_init__(self) -> None:
        if not self.chars:
            raise ValueError("a vocabulary needs at least one character; got none")
        if any(not isinstance(c, str) or len(c) != 1 for c in self.chars):
            raise ValueError("every vocabulary entry must be a single character")
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("vocabulary characters must be distinct")
        if self.unknown is not None and self.unknown not in self.chars:
            raise ValueError(f"the unknown character {self.unknown!r} must be in chars")
        object.__setattr__(self, "_ids", {c: i for i, c in enumerate(self.chars)})

    @classmethod
    def from_text(
        cls, text: str, *, min_count: int = 1, unknown: str | None = UNKNOWN
    ) -> Vocabulary:
        """Every character seen at least ``min_count`` times in ``text``, sorted by code
        point; with an ``unknown`` character, rarer ones (and unseen ones, later) map to it."""
        text = _check_text("text", text)
        min_count = check_positive_int("min_count", min_count)
        counts = Counter(text)
        kept = sorted(c for c, k in counts.items() if k >= min_count and c != unknown)
        if unknown is None:
            rare = sorted(c for c, k in counts.items() if k < min_count)
            if rare:
                raise ValueError(
                    f"with unknown=None every character must be kept, but {len(rare)} occur "
                    f"fewer than min_count={min_count} times, e.g. {rare[0]!r}"
                )
            return cls(tuple(kept), None)
        return cls((unknown, *kept), unknown)

    @property
    def size(self) -> int:
        """``V``."""
        return len(self.chars)

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """Character ids of ``text``, ``(len(text),)`` int64; unknown characters map to the
        ``unknown`` id, or raise ``ValueError`` naming the character if there is none."""
        text = _check_text("text", text)
        ids = self._ids  # type: ignore[attr-defined]
        if self.unknown is None:
            for position, char in enumerate(text):
                if char not in ids:
                    raise ValueError(
                        f"character {char!r} (U+{ord(char):04X}) at position {position} is not "
                        f"in the vocabulary of {self.size} characters and unknown=None"
                    )
            return np.fromiter((ids[c] for c in text), dtype=np.int64, count=len(text))
        fallback = ids[self.unknown]
        return np.fromiter((ids.get(c, fallback) for c in text), dtype=np.int64, count=len(text))

    def decode(self, ids: Any) -> str:
        """The characters of ``ids`` (any integer array in ``[0, V)``)."""
        ids = check_ids(ids, self.size)
        return "".join(self.chars[i] for i in ids.ravel())

    def unknown_count(self, text: str) -> int:
        """How many characters of ``text`` the vocabulary does not know."""
        ids = self._ids  # type: ignore[attr-defined]
        return sum(1 for c in _check_text("text", text) if c not in ids or c == self.unknown)


def check_ids(ids: Any, vocab_size: int, name: str = "ids") -> np.ndarray:
    """``ids`` as a non-empty int64 array with every entry in ``[0, V)``."""
    V = check_positive_int("vocab_size", vocab_size)
    array = np.asarray(ids)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integer character ids; got dtype {array.dtype.name}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {array.shape}")
    low, high = int(array.min()), int(array.max())
    if low < 0 or high >= V:
        bad = low if low < 0 else high
        raise ValueError(f"{name} must be in [0, V) = [0, {V}); got {bad}")
    return array.astype(np.int64, copy=False)


def one_hot(ids: Any, vocab_size: int, dtype: Any = "float32") -> np.ndarray:
    """``onehot(c)``: a ``(..., V)`` array with a 1 in column ``c`` and 0 elsewhere."""
    ids = check_ids(ids, vocab_size)
    out = np.zeros((*ids.shape, vocab_size), dtype=check_dtype_name(dtype))
    np.put_along_axis(out, ids[..., None], 1, axis=-1)
    return out


def softmax_cross_entropy(logits: Any, targets: Any) -> tuple[float, np.ndarray]:
    """``L = -(1/N) Σ log softmax(y)[target]`` and ``dL/dy = (softmax(y) - onehot(target)) / N``.

    ``logits`` is ``(..., V)``, ``targets`` the integer ids ``(...)``; ``N`` is the number
    of targets. This is Keras's ``SparseCategoricalCrossentropy(from_logits=True)`` with
    its default mean reduction.
    """
    y = np.asarray(logits)
    if y.dtype.kind != "f" or y.ndim < 1:
        raise TypeError(f"logits must be a float array (..., V); got {y.dtype.name} {y.shape}")
    targets = check_ids(targets, y.shape[-1], "targets")
    if targets.shape != y.shape[:-1]:
        raise ValueError(
            f"targets must have the logits' shape without V, {y.shape[:-1]}; got {targets.shape}"
        )
    log_p = log_softmax(y)
    picked = np.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0]
    N = targets.size
    loss = float(-picked.sum(dtype=np.float64) / N)
    grad = np.exp(log_p)
    np.put_along_axis(
        grad, targets[..., None], np.take_along_axis(grad, targets[..., None], -1) - 1, -1
    )
    return loss, grad * y.dtype.type(1.0 / N)


def perplexity(losses: Any) -> float:
    """``exp(mean(losses))``: losses are per-character cross-entropies in nats (or one mean)."""
    values = np.asarray(losses, dtype=np.float64)
    if values.size == 0:
        raise ValueError("perplexity needs at least one loss; got none")
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError("losses must be finite cross-entropies >= 0")
    return float(np.exp(values.mean()))


def check_temperature(temperature: Any) -> float:
    """``temperature`` as a float, refused unless finite and > 0."""
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.floating)):
        raise TypeError(f"temperature must be a number > 0; got {type(temperature).__name__}")
    value = float(temperature)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"temperature must be a finite number > 0; got {temperature!r}")
    return value


def temperature_probabilities(logits: Any, temperature: float = 1.0) -> np.ndarray:
    """``softmax(y / τ)`` in float64: ``τ < 1`` sharpens the distribution towards the most
    likely character, ``τ > 1`` flattens it towards uniform, ``τ = 1`` leaves it alone."""
    tau = check_temperature(temperature)
    return softmax(np.asarray(logits, dtype=np.float64) / tau)


def sample_index(probabilities: np.ndarray, u: float) -> int:
    """The character whose slice of ``[0, 1)`` contains ``u``: the first ``k`` with
    ``p_0 + ... + p_k > u`` (inverse-CDF sampling; ``u`` uniform in ``[0, 1)``)."""
    cumulative = np.cumsum(probabilities)
    k = int(np.searchsorted(cumulative, u * cumulative[-1], side="right"))
    return min(k, len(probabilities) - 1)


def check_seq_len(seq_len: Any, available: int, what: str = "the corpus") -> int:
    """``seq_len`` as an int, refused if < 1 or longer than ``available``."""
    seq_len = check_positive_int("seq_len", seq_len)
    if seq_len > available:
        raise ValueError(f"seq_len={seq_len} is longer than {what} allows ({available} characters)")
    return seq_len


def sequential_chunks(ids: Any, batch_size: int, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets ``(K, n, T)``: chunk ``k`` of row ``i`` continues chunk ``k-1``.

    The text is cut into ``n`` streams of equal length, one per batch row; each stream is
    read ``T`` characters at a time. The target of every input character is the next
    character (teacher forcing: the model always reads the true text). Because row ``i``
    of chunk ``k+1`` starts where row ``i`` of chunk ``k`` stopped, the hidden state at the
    end of one chunk is the right initial state for the next (Keras ``stateful=True``).
    """
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"ids must be a 1-D sequence of character ids; got shape {ids.shape}")
    if ids.size == 0:
        raise ValueError("ids must not be empty (an empty corpus)")
    n = check_positive_int("batch_size", batch_size)
    stream = (ids.size - 1) // n  # each stream needs one extra character for its last target
    T = check_seq_len(seq_len, stream, f"{ids.size} characters cut into {n} streams")
    K = stream // T
    used = K * T
    x = np.stack([ids[i * stream : i * stream + used] for i in range(n)])
    y = np.stack([ids[i * stream + 1 : i * stream + used + 1] for i in range(n)])
    return (
        x.reshape(n, K, T).transpose(1, 0, 2).copy(),
        y.reshape(n, K, T).transpose(1, 0, 2).copy(),
    )


# --- count-based baselines ---------------------------------------------------------------


def unigram_probabilities(ids: Any, vocab_size: int, alpha: float = 1.0) -> np.ndarray:
    """``P(c) = (count(c) + α) / (N + α·V)``: the next character ignoring all context."""
    ids = check_ids(ids, vocab_size)
    counts = np.bincount(ids, minlength=vocab_size).astype(np.float64)
    return (counts + alpha) / (counts.sum() + alpha * vocab_size)


def bigram_probabilities(ids: Any, vocab_size: int, alpha: float = 1.0) -> np.ndarray:
    """``P(b | a) = (count(a b) + α) / (count(a ·) + α·V)``, ``(V, V)``, row ``a`` sums to 1.

    ``α > 0`` (additive smoothing) gives pairs never seen in training a small probability,
    so a held-out text never has probability 0 (infinite perplexity).
    """
    ids = check_ids(ids, vocab_size)
    if ids.size < 2:
        raise ValueError("a bigram model needs at least 2 characters")
    if not alpha > 0:
        raise ValueError(f"alpha must be > 0; got {alpha!r}")
    counts = np.zeros((vocab_size, vocab_size))
    np.add.at(counts, (ids[:-1], ids[1:]), 1.0)
    return (counts + alpha) / (counts.sum(axis=1, keepdims=True) + alpha * vocab_size)


def unigram_loss(probabilities: np.ndarray, ids: Any) -> float:
    """Mean cross-entropy of predicting ``ids[1:]`` with the unigram ``probabilities``."""
    ids = check_ids(ids, len(probabilities))
    return float(-np.mean(np.log(probabilities[ids[1:]])))


def bigram_loss(probabilities: np.ndarray, ids: Any) -> float:
    """Mean cross-entropy of predicting ``ids[t+1]`` from ``ids[t]`` with the bigram table."""
    ids = check_ids(ids, len(probabilities))
    return float(-np.mean(np.log(probabilities[ids[:-1], ids[1:]])))


# --- nameable features of Python source, for looking inside a trained model ---------------

#: Features of Python source that :func:`source_features` computes, and what each means.
FEATURES = {
    "in_string": "inside a string literal (from its opening quote to before its closing one)",
    "in_comment": "inside a # comment",
    "in_indentation": "in the leading spaces of a line",
    "in_brackets": "inside (), [] or {} (outside strings and comments)",
    "word_position": "characters since the start of the current identifier or number (0 outside)",
}


def source_features(source: str) -> dict[str, np.ndarray]:
    """For each character ``c_t`` of Python ``source``: the :data:`FEATURES` as they stand
    *after* reading ``c_t`` (what ``h_t`` could know), each a float64 array ``(len,)``.

    A small scanner, not a tokenizer: it follows quotes (single, double, triple, with
    backslash escapes), ``#`` comments, brackets and identifiers, and is right on ordinary
    code; it can be wrong on f-string nesting and unbalanced text at a cut.
    """
    source = _check_text("source", source)
    size = len(source)
    out = {name: np.zeros(size) for name in FEATURES}
    quote, comment, depth, word, line_start = "", False, 0, 0, True
    t = 0
    while t < size:
        c = source[t]
        step = 1
        if quote:
            if c == "\\":
                step = 2  # the escaped character stays inside
            elif source.startswith(quote, t):
                step, quote = len(quote), ""
        elif comment:
            comment = c != "\n"
        elif c == "#":
            comment = True
        elif c in "'\"":
            quote = c * 3 if source.startswith(c * 3, t) else c
            step = len(quote)
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(depth - 1, 0)
        inside = bool(quote)
        for k in range(t, min(t + step, size)):
            ch = source[k]
            if ch == "\n":
                line_start = True
            elif ch != " ":
                line_start = False
            is_word = not inside and not comment and (ch.isalnum() or ch == "_")
            word = word + 1 if is_word else 0
            out["in_string"][k] = inside
            out["in_comment"][k] = comment and ch != "\n"
            out["in_indentation"][k] = line_start and ch in " \n"
            out["in_brackets"][k] = depth > 0 and not inside and not comment
            out["word_position"][k] = word
        t += step
    return out


def best_units(hidden: Any, features: dict[str, np.ndarray]) -> list[tuple[str, int, float]]:
    """For each feature, the hidden unit whose activation correlates most with it:
    ``(feature, unit, Pearson r)``, ``hidden`` being ``h_t`` ``(len, H)``.

    ``|r| = 1`` would be a unit that *is* the feature (up to scale and offset); ``r`` near 0,
    a unit that ignores it. A constant feature gets ``r = 0``.
    """
    h = np.asarray(hidden, dtype=np.float64)
    if h.ndim != 2:
        raise ValueError(f"hidden must be (len, H); got shape {h.shape}")
    h_centred = h - h.mean(axis=0)
    h_norm = np.linalg.norm(h_centred, axis=0)
    found = []
    for name, values in features.items():
        f = np.asarray(values, dtype=np.float64)
        if f.shape != (h.shape[0],):
            raise ValueError(f"feature {name!r} must have shape ({h.shape[0]},); got {f.shape}")
        f_centred = f - f.mean()
        scale = np.linalg.norm(f_centred) * h_norm
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.where(scale > 0, f_centred @ h_centred / scale, 0.0)
        unit = int(np.argmax(np.abs(r)))
        found.append((name, unit, float(r[unit])))
    return found
