"""The date task: a date written one of many ways, to be translated into ISO ``YYYY-MM-DD``.

Every example comes from Python's own ``datetime``, so the right answer is known exactly and
nothing is downloaded. Dates run from 1950-01-01 to 2049-12-31, where a two-digit year is
unambiguous (``99`` is 1999, ``05`` is 2005). English month and weekday names are written
out here rather than taken from ``calendar``, whose names follow the machine's locale.

Three sets, all drawn deterministically from one seed:

- **train**: dates not in the held-out list, in any style, at most ``max_length`` characters;
- **held_out**: dates never seen in training (in any style), also at most ``max_length``;
- **longer**: held-out dates whose rendering is *longer* than any training input
  (``max_length < len ≤ 40``), to see what happens past the lengths a model was trained on.

A model reads the source characters (ids of :data:`PAD` ``+`` the characters the styles can
produce) and writes the 10 target characters after a start symbol :data:`START`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .._validate import check_positive_int
from ..language.text import Vocabulary

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FIRST_DATE = dt.date(1950, 1, 1)
LAST_DATE = dt.date(2049, 12, 31)
#: Padding symbol of the source (id 0); no style writes it.
PAD = "·"
#: Start symbol the decoder reads before the first target character.
START = "^"
#: Characters of an ISO date.
TARGET_CHARS = "0123456789-"
#: Length of every target, ``YYYY-MM-DD``.
TARGET_LENGTH = 10


def ordinal(day: int) -> str:
    """``1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st, 22nd, 23rd, ...``."""
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _parts(d: dt.date) -> dict[str, str]:
    month, weekday = MONTHS[d.month - 1], WEEKDAYS[d.weekday()]
    return {
        "d": str(d.day), "dd": f"{d.day:02d}", "mm": f"{d.month:02d}", "m": str(d.month),
        "yyyy": f"{d.year}", "yy": f"{d.year % 100:02d}", "month": month, "mon": month[:3],
        "weekday": weekday, "wd": weekday[:3], "nth": ordinal(d.day),
    }  # fmt: skip


#: The styles, each a ``str.format`` template over the parts of :func:`_parts`.
STYLES: dict[str, str] = {
    "dd/mm/yyyy": "{dd}/{mm}/{yyyy}",
    "d/m/yy": "{d}/{m}/{yy}",
    "dd.mm.yyyy": "{dd}.{mm}.{yyyy}",
    "d month yyyy": "{d} {month} {yyyy}",
    "d mon yy": "{d} {mon} {yy}",
    "month d, yyyy": "{month} {d}, {yyyy}",
    "mon d yyyy": "{mon} {d} {yyyy}",
    "nth of month yyyy": "{nth} of {month} {yyyy}",
    "wd, d mon yyyy": "{wd}, {d} {mon} {yyyy}",
    "weekday, month d, yyyy": "{weekday}, {month} {d}, {yyyy}",
    "weekday the nth of month yyyy": "{weekday} the {nth} of {month} {yyyy}",
    "d month yyyy (lower case)": "{d} {month_lower} {yyyy}",
}


def render(date: dt.date, style: str) -> str:
    """``date`` written in ``style`` (a key of :data:`STYLES`), e.g. ``"3rd of March 1999"``."""
    if not isinstance(date, dt.date):
        raise TypeError(f"date must be a datetime.date; got {type(date).__name__}")
    if style not in STYLES:
        raise ValueError(f"style must be one of {sorted(STYLES)}; got {style!r}")
    parts = _parts(date)
    parts["month_lower"] = parts["month"].lower()
    return STYLES[style].format(**parts)


def iso(date: dt.date) -> str:
    """The target: ``date.isoformat()``, ``YYYY-MM-DD``."""
    return date.isoformat()


def _source_chars() -> tuple[str, ...]:
    # Every character a style can write: all styles over a leap year (every month and weekday).
    seen = set("0123456789")
    day = dt.date(2000, 1, 1)
    while day.year == 2000:
        for style in STYLES:
            seen.update(render(day, style))
        day += dt.timedelta(days=1)
    return (PAD, *sorted(seen))


#: Source characters: id 0 is :data:`PAD`; an unknown character raises (no unknown symbol).
SOURCE_VOCAB = Vocabulary(_source_chars(), unknown=None)
#: Target characters: id 0 is :data:`START`, then the digits and ``-``.
TARGET_VOCAB = Vocabulary((START, *TARGET_CHARS), unknown=None)


@dataclass(frozen=True)
class DateSet:
    """Source strings and their ISO targets, in the same order."""

    sources: tuple[str, ...]
    targets: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.sources)


@dataclass(frozen=True)
class DateTask:
    """The three sets of one seed, the length cut between them and the share of the calendar
    kept for held-out dates."""

    train: DateSet
    held_out: DateSet
    longer: DateSet
    max_length: int
    seed: int
    held_out_fraction: float


def _draw(
    rng: np.random.Generator,
    days: np.ndarray,
    count: int,
    keep: Callable[[int], bool],
) -> DateSet:
    sources, targets = [], []
    styles = list(STYLES)
    attempts = 0
    while len(sources) < count:
        attempts += 1
        if attempts > 200 * count:
            raise ValueError(f"could not draw {count} examples with the lengths asked for")
        date = FIRST_DATE + dt.timedelta(days=int(days[rng.integers(len(days))]))
        text = render(date, styles[int(rng.integers(len(styles)))])
        if keep(len(text)):
            sources.append(text)
            targets.append(iso(date))
    return DateSet(tuple(sources), tuple(targets))


def date_task(
    seed: int = 0,
    *,
    n_train: int = 4000,
    n_held_out: int = 500,
    n_longer: int = 500,
    max_length: int = 20,
    held_out_fraction: float = 0.1,
) -> DateTask:
    """Draw the train, held-out and longer sets (see the module docstring) from ``seed``."""
    check_positive_int("n_train", n_train)
    check_positive_int("n_held_out", n_held_out)
    check_positive_int("n_longer", n_longer)
    check_positive_int("max_length", max_length)
    if not 10 <= max_length < 40:
        raise ValueError(
            f"max_length must be in [10, 40) so every set can be drawn; got {max_length}"
        )
    if not 0 < held_out_fraction < 1:
        raise ValueError(f"held_out_fraction must be in (0, 1); got {held_out_fraction!r}")
    rng = np.random.default_rng(seed)
    all_days = rng.permutation((LAST_DATE - FIRST_DATE).days + 1)
    cut = int(len(all_days) * held_out_fraction)
    held, seen = all_days[:cut], all_days[cut:]
    return DateTask(
        train=_draw(rng, seen, n_train, lambda k: k <= max_length),
        held_out=_draw(rng, held, n_held_out, lambda k: k <= max_length),
        longer=_draw(rng, held, n_longer, lambda k: max_length < k <= 40),
        max_length=max_length,
        seed=seed,
        held_out_fraction=held_out_fraction,
    )


def encode_sources(
    sources: Sequence[str], length: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Source ids ``(n, T_x)`` padded at the end with :data:`PAD` (id 0), and the mask
    ``m (n, T_x)``, ``True`` on real characters. ``T_x`` is ``length`` or the longest source.

    An unknown character raises ``ValueError`` naming it and its position.
    """
    if isinstance(sources, str) or len(sources) == 0:
        raise ValueError("sources must be a non-empty list of strings")
    encoded = []
    for s, text in enumerate(sources):
        try:
            encoded.append(SOURCE_VOCAB.encode(text))
        except (TypeError, ValueError) as error:
            raise type(error)(f"sources[{s}] = {text!r}: {error}") from None
    T = max(len(ids) for ids in encoded) if length is None else check_positive_int("length", length)
    if max(len(ids) for ids in encoded) > T:
        raise ValueError(f"length = {T} is shorter than the longest source")
    ids = np.zeros((len(encoded), T), dtype=np.int64)
    mask = np.zeros((len(encoded), T), dtype=bool)
    for s, row in enumerate(encoded):
        ids[s, : len(row)] = row
        mask[s, : len(row)] = True
    return ids, mask


def encode_targets(targets: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Teacher forcing's two arrays, ``(n, 10)`` each: what the decoder reads (``START``
    and the first 9 target characters) and what it must write (the 10 characters)."""
    if isinstance(targets, str) or len(targets) == 0:
        raise ValueError("targets must be a non-empty list of ISO date strings")
    out = np.stack([TARGET_VOCAB.encode(t) for t in targets])
    if out.shape[1] != TARGET_LENGTH:
        raise ValueError(f"every target must have {TARGET_LENGTH} characters (YYYY-MM-DD)")
    start = np.zeros((len(targets), 1), dtype=np.int64)
    return np.concatenate([start, out[:, :-1]], axis=1), out


def decode_targets(ids: np.ndarray) -> list[str]:
    """The strings of target ids ``(n, 10)``."""
    return [TARGET_VOCAB.decode(row) for row in np.asarray(ids)]
