"""Backpropagation through time for one recurrent layer of any kind: SimpleRNN, LSTM, GRU.

The layer runs over ``x (n, T, D)`` as in :mod:`rnn_lab.cells` (Keras's packed weights, gate
blocks side by side). Given ``dY = dL/dY (n, T, H)``, the gradient reaching the layer's
output sequence from whatever sits on top, :func:`sequence_backward` walks back from
``t = T`` and returns ``dL/d kernel``, ``dL/d recurrent_kernel``, ``dL/d bias``, ``dL/dx``
and ``dL/d(initial state)``. ``g_t`` is the *total* ``dL/dh_t`` (from ``y_t`` and from
step ``t+1``); for the LSTM ``gc_t`` is the total ``dL/dc_t``.

LSTM (``c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t``, ``h_t = o_t ⊙ tanh(c_t)``)::

    gc_t += g_t ⊙ o_t ⊙ (1 − tanh²(c_t))         the cell state collects from h_t
    do_t  = g_t ⊙ tanh(c_t)
    di_t  = gc_t ⊙ c̃_t     dc̃_t = gc_t ⊙ i_t     df_t = gc_t ⊙ c_{t-1}
    gc_{t-1} = gc_t ⊙ f_t                        ∂c_t/∂c_{t-1} = diag(f_t)
    da_t = [di ⊙ i(1−i), df ⊙ f(1−f), dc̃ ⊙ (1−c̃²), do ⊙ o(1−o)]     (n, 4H)
    g_{t-1} += da_t·Whᵀ

GRU (``h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ h̃_t``)::

    dz_t = g_t ⊙ (h_{t-1} − h̃_t)    dh̃_t = g_t ⊙ (1 − z_t)    g_{t-1} += g_t ⊙ z_t
    dã_t = dh̃_t ⊙ (1 − h̃_t²)       (pre-activation of the candidate)
    reset_after=True:  candidate = tanh(x·Wx_h + Bx_h + r ⊙ (h_{t-1}·Wh_h + Bhh_h))
        dr_t = dã_t ⊙ (h_{t-1}·Wh_h + Bhh_h);  the recurrent block gets dã_t ⊙ r_t
    reset_after=False: candidate = tanh(x·Wx_h + (r ⊙ h_{t-1})·Wh_h + B_h)
        dr_t = (dã_t·Wh_hᵀ) ⊙ h_{t-1};  g_{t-1} += (dã_t·Wh_hᵀ) ⊙ r_t

SimpleRNN: ``da_t = g_t ⊙ (1 − h_t²)``, ``g_{t-1} += da_t·Whᵀ``.

In every case the weights are shared by all steps, so ``dWx = Σ_t x_tᵀ·da^x_t``,
``dWh = Σ_t h_{t-1}ᵀ·da^h_t`` and the bias gradients are sums over steps and samples.

**Masks** (``m_t`` ``(n,)`` of 0/1, Keras's semantics, see :mod:`rnn_lab.cells.replay`): at a
masked step the states are carried, ``s_t = m_t·s'_t + (1 − m_t)·s_{t-1}``, and the output
repeats the previous output, ``Y_t = m_t·h'_t + (1 − m_t)·Y_{t-1}`` with ``Y_0 = 0``. So
backwards a masked step passes its gradient straight to the step before, untouched, and the
cell's own gradient there is zero.

Only Keras's default activations (``tanh`` and the ``sigmoid`` recurrent activation) are
differentiated here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import (
    as_float_array,
    check_features,
    check_positive_int,
    check_record,
    check_shape,
)
from ..tolerances import relative_error
from .masking import check_mask
from .steps import gru_gates, initial_states, lstm_gates, simple_rnn_step
from .weights import CellWeights


@dataclass(frozen=True, eq=False)
class CellGradients:
    """What :func:`sequence_backward` returns, in the weights' dtype.

    ``kernel``, ``recurrent_kernel``, ``bias`` have the shapes of the weights (``bias`` is
    ``None`` without one); ``dx`` is ``dL/dx (n, T, D)``; ``initial`` is ``[dL/dh_0]`` (LSTM:
    ``[dL/dh_0, dL/dc_0]``); ``dh`` is the total ``dL/dh_t`` on the state ``(n, T, H)``
    and ``dc`` the LSTM's ``dL/dc_t`` (``None`` for the other cells). ``da`` is the
    gradient on the pre-activations ``x_t·Wx + ...`` at every step, ``(n, T, G)`` with the
    gate blocks side by side (``δ_t`` for a SimpleRNN): ``kernel = Σ_t x_tᵀ·da_t``.
    """

    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray | None
    dx: np.ndarray
    initial: list[np.ndarray]
    dh: np.ndarray
    dc: np.ndarray | None = None
    da: np.ndarray | None = None

    def as_list(self) -> list[np.ndarray]:
        """``[kernel, recurrent_kernel(, bias)]``: the order of ``layer.trainable_weights``."""
        return [self.kernel, self.recurrent_kernel] + ([] if self.bias is None else [self.bias])

    def dh_norms(self) -> np.ndarray:
        """``‖dL/dh_t‖`` for ``t = 1..T`` (norm over samples and units), float64 ``(T,)``."""
        return np.sqrt(np.sum(np.square(self.dh, dtype=np.float64), axis=(0, 2)))


@dataclass(frozen=True, eq=False)
class ForwardTrace:
    """Every intermediate of :func:`forward_trace`, for the backward pass (each ``(n, T, H)``)."""

    weights: CellWeights
    x: np.ndarray
    states: list[np.ndarray]  # initial states [h_0(, c_0)]
    gates: dict[str, np.ndarray]  # the cell's gates at every step, unmasked
    h: np.ndarray  # the carried h_t (masked steps repeat h_{t-1})
    c: np.ndarray | None  # the carried c_t (LSTM)
    outputs: np.ndarray  # what the layer returns with return_sequences=True
    keep: np.ndarray | None  # the mask (n, T), True where a step counts


def check_layer_inputs(
    weights: CellWeights,
    x: object,
    initial_state: object | None,
    mask: object | None,
    name: str = "x",
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray | None]:
    """What a recurrent layer is given, checked: ``x (n, T, D)`` in the weights' dtype, the
    initial states ``[h_0(, c_0)]`` (zeros by default) and the mask ``(n, T)`` or ``None``."""
    check_record("weights", weights, CellWeights)
    x = as_float_array(name, x, ndim=3, layout="(n, T, D)", dtype=weights.dtype)
    check_features(name, x, weights.dims, f"the kernel (shape {weights.kernel.shape})")
    n, T, _ = x.shape
    states = initial_states(weights, n, initial_state)
    keep = None if mask is None else check_mask(mask, n, T)
    return x, states, keep


def forward_trace(
    weights: CellWeights,
    x: object,
    *,
    initial_state: object | None = None,
    mask: object | None = None,
) -> ForwardTrace:
    """Run the layer over ``x (n, T, D)`` keeping every gate; ``mask (n, T)`` as in Keras."""
    x, states, keep = check_layer_inputs(weights, x, initial_state, mask)
    T = x.shape[1]
    carried = list(states)
    previous_output = np.zeros_like(states[0])
    gates: dict[str, list[np.ndarray]] = {}
    hs, cs, outputs = [], [], []
    for t in range(T):
        if weights.kind == "LSTM":
            step = lstm_gates(x[:, t], carried[0], carried[1], weights)._asdict()
            new = [step["h"], step["c"]]
        elif weights.kind == "GRU":
            step = gru_gates(x[:, t], carried[0], weights)._asdict()
            new = [step["h"]]
        else:
            step = {"h": simple_rnn_step(x[:, t], carried[0], weights)}
            new = [step["h"]]
        output = new[0]
        if keep is not None:
            kept = keep[:, t, None]
            new = [np.where(kept, a, b) for a, b in zip(new, carried, strict=True)]
            output = np.where(kept, output, previous_output)
        for name, value in step.items():
            gates.setdefault(name, []).append(value)
        carried, previous_output = new, output
        hs.append(new[0])
        outputs.append(output)
        if weights.kind == "LSTM":
            cs.append(new[1])
    return ForwardTrace(
        weights=weights,
        x=x,
        states=states,
        gates={name: np.stack(values, axis=1) for name, values in gates.items()},
        h=np.stack(hs, axis=1),
        c=np.stack(cs, axis=1) if cs else None,
        outputs=np.stack(outputs, axis=1),
        keep=keep,
    )


def simple_rnn_trace(
    weights: CellWeights, x: np.ndarray, h: np.ndarray, h0: np.ndarray
) -> ForwardTrace:
    """The trace of an unmasked SimpleRNN whose states ``h (n, T, H)`` from ``h0 (n, H)`` are
    already computed (a SimpleRNN keeps nothing else), for :func:`backward_from_trace`.

    Chapter 7's :func:`rnn_lab.backward.manual_backward` walks back through the states of
    chapter 3's forward pass, whose sum is written in the book's order: recomputing them
    here in Keras's order would move the book's numbers by a rounding. Unchecked: callers
    have checked ``x``, ``h`` and ``h0`` against ``weights``.
    """
    if weights.kind != "SimpleRNN":
        raise ValueError(f"expected SimpleRNN weights; got {weights.kind}")
    return ForwardTrace(
        weights=weights, x=x, states=[h0], gates={"h": h}, h=h, c=None, outputs=h, keep=None
    )


def _step_backward(
    trace: ForwardTrace, t: int, g: np.ndarray, gc: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Back through the cell at step ``t``, given ``g = dL/dh'_t`` (and ``gc = dL/dc'_t``) on
    the cell's fresh outputs. Returns the pre-activation gradients ``da^x_t`` (what the
    kernel's product receives) and ``da^h_t`` (the recurrent kernel's), then the gradients
    on ``h_{t-1}`` and ``c_{t-1}``. Only the GRU gives the two products different ``da``."""
    weights = trace.weights
    H = weights.hidden_units
    h_prev = trace.h[:, t - 1] if t > 0 else trace.states[0]
    Wh = weights.recurrent_kernel
    gate = {name: values[:, t] for name, values in trace.gates.items()}
    if weights.kind == "LSTM":
        c_prev = trace.c[:, t - 1] if t > 0 else trace.states[1]
        i, f, c_tilde, o, c = gate["i"], gate["f"], gate["c_tilde"], gate["o"], gate["c"]
        tanh_c = np.tanh(c)
        gc = gc + g * o * (1 - tanh_c * tanh_c)
        da = np.concatenate(
            [
                gc * c_tilde * i * (1 - i),
                gc * c_prev * f * (1 - f),
                gc * i * (1 - c_tilde * c_tilde),
                g * tanh_c * o * (1 - o),
            ],
            axis=-1,
        )
        return da, da, da @ Wh.T, gc * f  # ∂c_t/∂c_{t-1} = diag(f_t)
    if weights.kind == "GRU":
        z, r, h_tilde = gate["z"], gate["r"], gate["h_tilde"]
        dz_pre = g * (h_prev - h_tilde) * z * (1 - z)
        d_candidate = g * (1 - z) * (1 - h_tilde * h_tilde)
        if weights.reset_after:
            recurrent_h = h_prev @ Wh[:, 2 * H :]
            if weights.bias is not None:
                recurrent_h = recurrent_h + weights.bias[1, 2 * H :]
            dr_pre = d_candidate * recurrent_h * r * (1 - r)
            da_x = np.concatenate([dz_pre, dr_pre, d_candidate], axis=-1)
            da_h = np.concatenate([dz_pre, dr_pre, d_candidate * r], axis=-1)
            return da_x, da_h, g * z + da_h @ Wh.T, None
        d_reset_h = d_candidate @ Wh[:, 2 * H :].T  # dL/d(r ⊙ h_{t-1})
        dr_pre = d_reset_h * h_prev * r * (1 - r)
        da_x = np.concatenate([dz_pre, dr_pre, d_candidate], axis=-1)
        dh_prev = g * z + d_reset_h * r + da_x[:, : 2 * H] @ Wh[:, : 2 * H].T
        # The candidate block's recurrent product sees r ⊙ h_{t-1}: _weight_gradients
        # pairs da^h's last block with it.
        return da_x, da_x, dh_prev, None
    h = gate["h"]
    da = g * (1 - h * h)
    return da, da, da @ Wh.T, None


def sequence_backward(
    weights: CellWeights,
    x: object,
    d_outputs: object,
    *,
    initial_state: object | None = None,
    mask: object | None = None,
    d_final_states: object | None = None,
    truncate: int | None = None,
) -> CellGradients:
    """BPTT through one recurrent layer, given ``d_outputs = dL/dY (n, T, H)``.

    ``Y`` is the layer's output sequence (what ``return_sequences=True`` returns, with
    Keras's masking rule); for a loss on the last output only, put ``dL/dy_T`` in
    ``d_outputs[:, -1]`` and zeros elsewhere. ``d_final_states`` optionally adds gradients
    on the final states ``[h_T(, c_T)]`` (what ``return_state`` returns). ``truncate=k``
    gives truncated BPTT(k) (see :func:`backward_from_trace`). The equations are in the
    module docstring.
    """
    trace = forward_trace(weights, x, initial_state=initial_state, mask=mask)
    return backward_from_trace(trace, d_outputs, d_final_states=d_final_states, truncate=truncate)


def backward_from_trace(
    trace: ForwardTrace,
    d_outputs: object,
    *,
    d_final_states: object | None = None,
    truncate: int | None = None,
) -> CellGradients:
    """:func:`sequence_backward` on a trace already computed by :func:`forward_trace`.

    ``truncate=k`` gives truncated BPTT(k): the gradient of each loss term (each step ``s``
    where ``d_outputs[:, s]`` is not zero, and the final states if given) flows back through
    at most ``k`` steps, ``s, s-1, ..., s-k+1``, reaches the state ``h_{s-k}`` (``c_{s-k}``),
    where it is recorded in ``dh`` (``dc``, or ``initial`` once the window reaches the start)
    and stops, as if that state were ``tf.stop_gradient``-ed when differentiating the term.
    The weight gradients collect only what crosses the windows. ``k >= T`` is full BPTT.
    """
    check_record("trace", trace, ForwardTrace)
    weights = trace.weights
    n, T, H = trace.h.shape
    dY = as_float_array("d_outputs", d_outputs, ndim=3, layout="(n, T, H)", dtype=weights.dtype)
    check_shape("d_outputs", dY, (n, T, H), "(n, T, H)")
    finals = [np.zeros((n, H), dtype=weights.dtype)] * len(trace.states)
    if d_final_states is not None:
        finals = initial_states(weights, n, d_final_states)  # same shapes as the states
    walk = _Walk(trace)
    if truncate is None or check_positive_int("truncate", truncate) >= T:
        initial = walk.back(dY, 0, T, finals)
    else:
        initial = [np.zeros((n, H), dtype=weights.dtype) for _ in trace.states]
        for s in range(T):
            last = s == T - 1 and d_final_states is not None
            if not (last or np.any(dY[:, s])):
                continue  # no loss term at this step: nothing to walk back
            start = max(s + 1 - truncate, 0)
            window = np.zeros((n, s + 1 - start, H), dtype=weights.dtype)
            window[:, -1] = dY[:, s]
            reached = walk.back(window, start, s + 1, finals if last else None)
            if start == 0:
                initial = [a + b for a, b in zip(initial, reached, strict=True)]
            else:
                walk.dh[:, start - 1] += reached[0]  # h_{s-k}: where this term's path stops
                if walk.dc is not None:
                    walk.dc[:, start - 1] += reached[1]
    return CellGradients(
        kernel=walk.kernel,
        recurrent_kernel=walk.recurrent_kernel,
        bias=walk.bias,
        dx=walk.dx,
        initial=initial,
        dh=walk.dh,
        dc=walk.dc,
        da=walk.da,
    )


class _Walk:
    """The backward walk's accumulators: the gradients on the weights, and per step on the
    states (``dh``, ``dc``), the inputs (``dx``) and the kernel's pre-activations (``da``)."""

    def __init__(self, trace: ForwardTrace) -> None:
        self.trace = trace
        weights = trace.weights
        self.kernel = np.zeros_like(weights.kernel)
        self.recurrent_kernel = np.zeros_like(weights.recurrent_kernel)
        self.bias = None if weights.bias is None else np.zeros_like(weights.bias)
        self.dh = np.zeros_like(trace.h)
        self.dc = np.zeros_like(trace.h) if weights.kind == "LSTM" else None
        self.dx = np.zeros_like(trace.x)
        self.da = np.zeros(trace.h.shape[:2] + weights.kernel.shape[1:], dtype=weights.dtype)

    def back(
        self, dY: np.ndarray, start: int, stop: int, finals: list[np.ndarray] | None
    ) -> list[np.ndarray]:
        """Walk back from step ``stop - 1`` to ``start`` with ``dY = dL/dY`` on those steps
        and ``finals`` on the states after ``stop - 1``; add to the accumulators and return
        the gradients reaching the states before ``start`` (``[dh(, dc)]``)."""
        trace, weights = self.trace, self.trace.weights
        lstm = self.dc is not None
        zeros = np.zeros_like(trace.h[:, 0])
        g, gc = (zeros, zeros) if finals is None else (finals[0], finals[1] if lstm else zeros)
        carry_output = zeros  # dL/dY_t through Y_{t+1} (a masked step repeats Y_t)
        for t in reversed(range(start, stop)):
            d_out = dY[:, t - start] + carry_output
            if trace.keep is None:
                fresh_g, fresh_gc = g + d_out, gc
                pass_g, pass_gc = zeros, zeros
            else:
                m = trace.keep[:, t, None].astype(weights.dtype)
                fresh_g, fresh_gc = m * (g + d_out), m * gc
                carry_output = (1 - m) * d_out  # a masked step's output is Y_{t-1}
                pass_g, pass_gc = (1 - m) * g, (1 - m) * gc  # carried states skip the cell
            self.dh[:, t] += fresh_g + pass_g
            if lstm:
                self.dc[:, t] += fresh_gc + pass_gc
            da_x, da_h, dh_prev, dc_prev = _step_backward(trace, t, fresh_g, fresh_gc)
            self.add_weight_gradients(t, da_x, da_h)
            self.da[:, t] += da_x
            self.dx[:, t] += da_x @ weights.kernel.T
            g = dh_prev + pass_g
            if lstm:
                gc = dc_prev + pass_gc
        return [g, gc] if lstm else [g]

    def add_weight_gradients(self, t: int, da_x: np.ndarray, da_h: np.ndarray) -> None:
        """Step ``t``'s share: ``dWx += x_tᵀ·da^x_t``, ``dWh += h_{t-1}ᵀ·da^h_t``, the biases
        ``+= Σ_rows da``. The weights are shared by every step, so their gradients sum."""
        trace, weights = self.trace, self.trace.weights
        h_prev = trace.h[:, t - 1] if t > 0 else trace.states[0]
        self.kernel += trace.x[:, t].T @ da_x
        if weights.kind == "GRU" and not weights.reset_after:
            H = weights.hidden_units
            r_h_prev = trace.gates["r"][:, t] * h_prev  # what the candidate's block sees
            self.recurrent_kernel[:, : 2 * H] += h_prev.T @ da_h[:, : 2 * H]
            self.recurrent_kernel[:, 2 * H :] += r_h_prev.T @ da_h[:, 2 * H :]
        else:
            self.recurrent_kernel += h_prev.T @ da_h
        if self.bias is None:
            return
        if weights.kind == "GRU" and weights.reset_after:
            self.bias[0] += da_x.sum(axis=0)
            self.bias[1] += da_h.sum(axis=0)
        else:
            self.bias += da_x.sum(axis=0)


def lstm_backward(weights: CellWeights, x: object, d_outputs: object, **options) -> CellGradients:
    """:func:`sequence_backward` for an LSTM layer (refuses other kinds)."""
    _check_kind(weights, "LSTM")
    return sequence_backward(weights, x, d_outputs, **options)


def gru_backward(weights: CellWeights, x: object, d_outputs: object, **options) -> CellGradients:
    """:func:`sequence_backward` for a GRU layer, ``reset_after`` True or False."""
    _check_kind(weights, "GRU")
    return sequence_backward(weights, x, d_outputs, **options)


def _check_kind(weights: object, kind: str) -> None:
    check_record("weights", weights, CellWeights)
    if weights.kind != kind:
        raise ValueError(f"expected {kind} weights; got {weights.kind}")


def gradient_agreement(ours: CellGradients, reference: CellGradients) -> dict[str, float]:
    """Relative error ``‖a − b‖ / max(‖a‖, ‖b‖)`` per array: kernel, recurrent_kernel,
    bias (if any), dx, and each initial state's gradient (``dh0``, ``dc0``)."""
    errors = {
        "kernel": relative_error(ours.kernel, reference.kernel),
        "recurrent_kernel": relative_error(ours.recurrent_kernel, reference.recurrent_kernel),
    }
    if ours.bias is not None:
        errors["bias"] = relative_error(ours.bias, reference.bias)
    errors["dx"] = relative_error(ours.dx, reference.dx)
    for name, a, b in zip(("dh0", "dc0"), ours.initial, reference.initial, strict=False):
        errors[name] = relative_error(a, b)
    return errors
