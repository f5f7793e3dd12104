"""A hidden-state trajectory seen from its two most important directions (PCA).

``h_1 .. h_T`` are ``T`` points in ``H`` dimensions. Principal component analysis finds
the directions along which they spread most; projecting onto the first two gives a 2-D
picture of the path the state takes. It is computed with NumPy's SVD (no new dependency):

    h̄ = (1/T) Σ_t h_t                      the mean state, (H,)
    C = [h_1 − h̄; …; h_T − h̄] = U Σ Vᵀ      centred states (T, H), singular values σ_1 ≥ σ_2 ≥ …
    z_t = (h_t − h̄) · V[:, :k]               the projected point, (k,)
    share_i = σ_i² / Σ_j σ_j²                fraction of the spread along direction i
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import as_float_array, check_positive_int


@dataclass(frozen=True, eq=False)
class Projection:
    """The PCA of one trajectory: ``coords`` ``(T, k)``, ``components`` ``(H, k)``
    (columns are the directions ``V[:, :k]``), ``mean`` ``h̄`` ``(H,)`` and
    ``explained`` ``(k,)``, the share of the variance along each direction."""

    coords: np.ndarray
    components: np.ndarray
    mean: np.ndarray
    explained: np.ndarray

    def transform(self, states: object) -> np.ndarray:
        """``z = (h − h̄)·V[:, :k]`` for other states ``(m, H)``, e.g. ``h_0 = 0``."""
        H = self.mean.size
        states = as_float_array("states", states, ndim=2, layout=f"(m, H = {H})")
        if states.shape[1] != H:
            raise ValueError(f"states must have H = {H} columns; got shape {states.shape}")
        return (states - self.mean) @ self.components


def _fix_signs(V: np.ndarray) -> np.ndarray:
    # An SVD direction is only defined up to its sign; make each column's largest entry
    # positive so the same trajectory is always drawn the same way round.
    if V.size == 0:
        return V
    largest = np.argmax(np.abs(V), axis=0)
    signs = np.sign(V[largest, np.arange(V.shape[1])])
    signs[signs == 0] = 1.0
    return V * signs


def project_trajectory(states: object, n_components: int = 2) -> Projection:
    """Project the states ``(T, H)`` of one sample onto their first ``k`` principal
    directions: ``z_t = (h_t − h̄)·V[:, :k]`` with ``h_t − h̄ = U Σ Vᵀ`` (see the module).

    When the trajectory has fewer than ``k`` directions (``H < k``, ``T < k`` or a state
    that never moves), the missing coordinates are zeros with an explained share of 0,
    so the result always has ``k`` columns and can be plotted in 2-D.
    """
    states = as_float_array("states", states, ndim=2, layout="(T, H)", dtype=np.float64)
    k = check_positive_int("n_components", n_components)
    H = states.shape[1]
    mean = states.mean(axis=0)
    _, sigma, Vt = np.linalg.svd(states - mean, full_matrices=False)
    V = _fix_signs(Vt.T)
    total = float(np.sum(sigma**2))
    share = sigma**2 / total if total > 0 else np.zeros_like(sigma)
    kept = min(k, V.shape[1])
    components = np.zeros((H, k))
    components[:, :kept] = V[:, :kept]
    explained = np.zeros(k)
    explained[:kept] = share[:kept]
    return Projection((states - mean) @ components, components, mean, explained)
