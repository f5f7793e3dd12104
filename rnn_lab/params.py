"""Parameter counts of ``SimpleRNN(H) -> Dense(O)`` by formula."""

from __future__ import annotations

from ._validate import check_positive_int


def count_parameters(dims: int, hidden_units: int, outputs: int) -> dict[str, int]:
    """Trainable parameters per layer.

    SimpleRNN: ``D·H`` (``Wx``) ``+ H·H`` (``Wh``) ``+ H`` (``Bh``).
    Dense: ``H·O`` (``Wo``) ``+ O`` (``Bo``).
    The count does not depend on the sequence length ``T``: the same weights are
    used at every timestep.
    """
    D = check_positive_int("dims", dims)
    H = check_positive_int("hidden_units", hidden_units)
    O = check_positive_int("outputs", outputs)
    simple_rnn = D * H + H * H + H
    dense = H * O + O
    return {"SimpleRNN": simple_rnn, "Dense": dense, "total": simple_rnn + dense}
