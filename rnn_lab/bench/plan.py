"""What the benchmark measures: the six methods, the problem sizes (:class:`Config`) and
the sweeps around the original notebook's size (:class:`Plan`). No timing here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from .._validate import check_positive_int

REFERENCE = "numpy_batched"
METHODS = (
    "per_sample_loop",
    "numpy_batched",
    "numpy_floor",
    "keras_predict",
    "keras_call",
    "tf_function",
)
KERAS_METHODS = ("keras_predict", "keras_call", "tf_function")
CSV_COLUMNS = (
    "method",
    "n",
    "T",
    "D",
    "H",
    "O",
    "median_s",
    "q25_s",
    "q75_s",
    "min_s",
    "number",
    "repeats",
    "ratio_to_numpy",
    "max_abs_diff",
)
OVERHEAD_COLUMNS = ("probe", "median_s", "q25_s", "q75_s", "min_s", "number", "repeats")
AXES = ("n", "T", "H")


@dataclass(frozen=True, order=True)
class Config:
    """A problem size: ``n`` samples × ``T`` steps × ``D`` features, ``H`` units, ``O`` outputs."""

    n: int
    T: int
    D: int
    H: int
    O: int

    def __post_init__(self) -> None:
        for name in ("n", "T", "D", "H", "O"):
            check_positive_int(name, getattr(self, name))

    def with_(self, axis: str, value: int) -> Config:
        """This configuration with one of ``n``, ``T``, ``H`` changed."""
        if axis not in AXES:
            raise ValueError(f"axis must be one of {AXES}; got {axis!r}")
        return Config(**{**asdict(self), axis: value})

    def __str__(self) -> str:
        return f"n={self.n} T={self.T} D={self.D} H={self.H} O={self.O}"


#: The original notebook's size: 100 samples × 15 steps × 3 features, H = 5, O = 5.
ORIGINAL = Config(n=100, T=15, D=3, H=5, O=5)


@dataclass(frozen=True)
class Plan:
    """What to measure: sweeps of ``n``, ``T`` and ``H`` around ``base``, one axis at a time.

    ``min_time`` is the shortest a timed round may take (short calls are repeated
    ``number`` times within a round, so the clock's resolution does not matter);
    ``repeats`` is the number of rounds.
    """

    sweeps: Mapping[str, tuple[int, ...]]
    base: Config = ORIGINAL
    repeats: int = 7
    min_time: float = 0.05

    def configs(self) -> list[Config]:
        """Every distinct configuration, the base first (it is in every sweep)."""
        found = {self.base: None}
        for axis, values in self.sweeps.items():
            for value in values:
                found[self.base.with_(axis, value)] = None
        return list(found)


FULL_PLAN = Plan(
    sweeps={
        "n": (1, 10, 100, 1000, 10000),
        "T": (1, 5, 15, 50, 150, 500),
        "H": (5, 16, 64, 256, 1024),
    },
    repeats=7,
    min_time=0.05,
)
#: Small enough for CI and for a chapter to run while the book builds (< 20 s).
QUICK_PLAN = Plan(
    sweeps={"n": (10, 100, 1000), "T": (15, 50), "H": (5, 64)},
    repeats=5,
    min_time=0.005,
)
