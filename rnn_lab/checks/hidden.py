"""How an exercise's hidden cases are drawn: one case per configuration, each from its own
seeded generator (so a case never changes when another is added), its input arrays
read-only (a learner's in-place change fails loudly instead of corrupting the case), its
answers compared to the tolerance of its dtype.

An exercise's cases are then ``seeded_cases(CONFIGS, seed, draw)``, where ``draw(rng,
*config)`` draws the arrays of one case and returns :func:`drawn_case` of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

import numpy as np

from ..tolerances import tolerance_for
from .verdicts import Case


def seeded_cases(
    configs: Iterable[tuple], seed: int, draw: Callable[..., Case], *, pass_seed: bool = False
) -> Callable[[], tuple[Case, ...]]:
    """The hidden cases, drawn when first asked for and kept: ``draw(rng, *config)`` for
    every ``config``, with ``rng = np.random.default_rng(seed + index)``; with
    ``pass_seed``, also ``seed=seed + index``, for random weights drawn with the same seed."""

    @cache
    def cases() -> tuple[Case, ...]:
        drawn = []
        for index, config in enumerate(configs):
            extra = {"seed": seed + index} if pass_seed else {}
            drawn.append(draw(np.random.default_rng(seed + index), *config, **extra))
        return tuple(drawn)

    return cases


def read_only(*arrays: Any) -> None:
    """Make every NumPy array among ``arrays`` read-only (other values pass)."""
    for array in arrays:
        if isinstance(array, np.ndarray):
            array.flags.writeable = False


def in_dtype(value: Any, dtype: str) -> Any:
    """``value`` (an array, a number or a tuple of them) as ``dtype``."""
    if isinstance(value, tuple):
        return tuple(in_dtype(part, dtype) for part in value)
    return np.asarray(value).astype(dtype)


def drawn_case(
    args: tuple,
    answers: Callable[..., tuple[Any, dict[str, Any]]],
    label: str,
    dtype: str,
    *,
    cast: bool = False,
) -> Case:
    """The hidden case ``args`` (its arrays made read-only first) whose answer and planted
    mistakes' answers are ``answers(*args)`` → ``(expected, variants)``, compared to
    ``tolerance_for(dtype)``; with ``cast``, answers computed in float64 are given in
    ``dtype``, as the learner's function returns them."""
    read_only(*args)
    expected, variants = answers(*args)
    if cast:
        expected = in_dtype(expected, dtype)
        variants = {name: in_dtype(value, dtype) for name, value in variants.items()}
    return Case(args, expected, label, tolerance_for(dtype), variants)
