"""Checkers for the exercises of chapter 12, *A character-level language model*, on its
gradients: softmax cross-entropy, and the embedding's backward pass (a scatter-add that
repeated ids must not overwrite). Sampling, perplexity and the bigram baseline:
:mod:`.ch12_text`.

    dL/dy = (softmax(y) - onehot(target)) / N         mean loss over N characters
    dE[v] = Σ of dx over the positions whose id is v
"""

from __future__ import annotations

import numpy as np

from ..cells.weights import softmax
from .core import Refusal, exercise
from .hidden import drawn_case, seeded_cases
from .texts import Texts
from .verdicts import Case

TEXTS = Texts(__name__)

# --- softmax cross-entropy gradient -------------------------------------------------------

#: Hidden cases: ``(N, V, dtype, logit scale)``. The last case has logits near 1000, where
#: ``exp`` overflows unless the maximum is subtracted first.
GRAD_CASES = ((4, 5, "float64", 2.0), (6, 3, "float32", 1.0), (3, 7, "float64", 1000.0))


def _grad_answers(logits: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, dict]:
    y = logits.astype(np.float64)
    N, V = y.shape
    p = softmax(y)
    onehot = np.eye(V)[targets]
    shifted = y - y.max(axis=0, keepdims=True)
    p0 = np.exp(shifted) / np.exp(shifted).sum(axis=0, keepdims=True)
    log_p = y - y.max(axis=-1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(axis=-1, keepdims=True))
    return (p - onehot) / N, {
        "sum": p - onehot,
        "sign": (onehot - p) / N,
        "no_onehot": p / N,
        "wrong_axis": (p0 - onehot) / N,
        "log_p": (log_p - onehot) / N,
    }


def _grad_case(rng, N, V, dtype, scale) -> Case:
    logits = (rng.normal(0.0, 1.0, (N, V)) * (1.0 if scale < 100 else 3.0)).astype(dtype)
    if scale >= 100:
        logits = logits + np.dtype(dtype).type(scale)
    targets = rng.integers(0, V, N)
    label = f"N={N}, V={V}, {dtype}" + (", logits near 1000" if scale >= 100 else "")
    return drawn_case((logits, targets), _grad_answers, label, dtype)


check_softmax_ce_grad = exercise(
    TEXTS.exercise("softmax_ce_grad", cases=len(GRAD_CASES)),
    seeded_cases(GRAD_CASES, 12_000, _grad_case),
    refuses=Refusal.of(
        "rnn_lab.language.text.softmax_cross_entropy",
        "rnn_lab.language.model.loss_and_gradients",
        "rnn_lab.language.keras_lm.keras_lm_gradients",
    ),
)


# --- the embedding's backward pass ---------------------------------------------------------------

#: Hidden cases ``(n, T, V, D, dtype)``: n·T > V, so characters repeat within a case.
EMBED_CASES = ((3, 5, 6, 2, "float32"), (2, 7, 4, 3, "float64"), (4, 4, 9, 2, "float64"))


def _embed_answers(ids, dx, V) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    flat_ids, rows = ids.reshape(-1), dx.reshape(-1, dx.shape[-1]).astype(np.float64)
    dE = np.zeros((V, rows.shape[1]))
    np.add.at(dE, flat_ids, rows)
    last = np.zeros_like(dE)
    last[flat_ids] += rows
    counts = np.bincount(flat_ids, minlength=V)[:, None]
    first = np.zeros_like(dE)
    _, where = np.unique(flat_ids, return_index=True)
    first[flat_ids[where]] = rows[where]
    return dE, {
        "last_write": last,
        "mean": np.divide(dE, np.maximum(counts, 1)),
        "per_id_once": first,
    }


def _embed_case(rng, n, T, V, D, dtype) -> Case:
    ids = rng.integers(0, V - 1, (n, T))  # the last id never occurs: its row stays 0
    dx = rng.normal(size=(n, T, D)).astype(dtype)
    label = f"n={n}, T={T}, V={V}, D={D}, {dtype}"
    return drawn_case((ids, dx, V), _embed_answers, label, dtype, cast=True)


check_embedding_grad = exercise(
    TEXTS.exercise("embedding_grad", cases=len(EMBED_CASES)),
    seeded_cases(EMBED_CASES, 12400, _embed_case),
    refuses=Refusal.of(
        "rnn_lab.language.model.loss_and_gradients",
    ),
)
