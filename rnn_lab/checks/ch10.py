"""Checker for the exercise of chapter 10, *GRU by hand*: the whole loop of Keras's default
GRU (``reset_after=True``, bias ``(2, 3H)``: row 0 ``Bx``, row 1 ``Bhh``).

    z_t = σ(x_t·Wx_z + Bx_z + h_{t-1}·Wh_z + Bhh_z)
    r_t = σ(x_t·Wx_r + Bx_r + h_{t-1}·Wh_r + Bhh_r)
    h̃_t = tanh(x_t·Wx_h + Bx_h + r_t ⊙ (h_{t-1}·Wh_h + Bhh_h))
    h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ h̃_t,   h_0 = 0,   blocks [z, r, h]
"""

from __future__ import annotations

from .gated import GRU_LOOP, GRU_V1_LOOP, loop_exercise
from .texts import Texts

TEXTS = Texts(__name__)

check_gru_forward = loop_exercise(TEXTS, "gru_forward", GRU_LOOP, seed=1000)


# --- Exercise 10.2: the GRU of the original paper, reset_after=False ------------------------

check_gru_v1_forward = loop_exercise(TEXTS, "gru_v1_forward", GRU_V1_LOOP, seed=1020)
GRU_V1_EXERCISE = check_gru_v1_forward.exercise
