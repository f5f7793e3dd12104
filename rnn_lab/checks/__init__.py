"""Self-checking exercises: one checker per exercise, ``check_xxx(answer)``.

Each checker runs the learner's function (or value) on hidden random cases against
Keras/NumPy references, prints ✓ with what was verified or ✗ with a diagnosis that
names a recognised mistake, and returns a :class:`CheckResult`. A checker never
raises because of the learner's code, and refuses answers that delegate the exercise to
the library function or framework that does the job (:mod:`.guard`). Every exercise, with
its difficulty, time and diagnoses, is listed in :mod:`.catalogue`.

One module per chapter (``ch01`` .. ``ch15``; a chapter with many exercises has a second
module by idea, e.g. ``ch08_training``) on a shared core: :mod:`.core` declares an exercise
and runs an answer (:mod:`.timing`: the time limit), :mod:`.answers` says what each kind of
answer must be, :mod:`.verdicts` holds the codes, records and recognised mistakes,
:mod:`.hidden` draws hidden cases. The words of every exercise (its docstring, what a pass
verified, the teachers' card, the refusal advice and each mistake's verdict) are data, in a
TOML file beside its module (``ch01.toml``; :mod:`.texts`), so a teacher can re-word or
translate them without touching Python. A known mistake is its verdict and the named hooks
of the reference computation it replaces (:mod:`.variants`: the SimpleRNN loop;
:mod:`.gated`: the LSTM and GRU loops; :mod:`.recurrence`: the SimpleRNN hidden cases).
Grading where the learner's code cannot reach the verdict: :mod:`.isolated` (the grader's
side), :mod:`.worker` (the worker's), :mod:`.transport` (plain data between them),
:mod:`.autograde` (nbgrader's step).

The checks may import the maths (and :mod:`rnn_lab.plots`, though none needs it); nothing
else in the package imports them.

Adding an exercise, in its chapter's module:

1. its words, in the chapter's TOML file: a table ``[name]`` (``doc``, ``returns``,
   ``verified``, ``refusal``, ``card``) and one ``[name.mistakes.<variant>]`` (``code``,
   ``title``, ``advice``) per mistake it recognises (:mod:`.texts`);
2. its hidden cases: a function ``draw(rng, *config)`` that draws one case's arrays and
   returns ``drawn_case(args, answers, label, dtype)``, where ``answers(*args)`` gives the
   expected answer and each variant's; ``seeded_cases(CONFIGS, seed, draw)`` then draws
   one case per configuration, once (:mod:`.hidden`). A variant is best written as hooks of
   the reference computation: ``TEXTS.planted("name", {variant: dict(hook=...)})`` and
   ``with_mistake(Reference(), table, variant)`` (:mod:`.verdicts`);
3. one statement declares it and builds its checker (``TEXTS = Texts(__name__)`` once per
   module)::

       check_name = exercise(
           TEXTS.exercise("name", cases=len(NAME_CONFIGS)),  # its words, figures filled in
           seeded_cases(NAME_CONFIGS, seed, _name_case),
           refuses=Refusal.of("rnn_lab.the_function_it_rebuilds"),
       )

4. its line in :data:`.catalogue.EXERCISES` (number, title, checker) and its name in
   ``__all__`` below; ``python -m rnn_lab.checks.catalogue --write book/for_teachers.md``
   regenerates the teachers' table.
"""

from __future__ import annotations

from .ch01 import check_count_params, check_output_shape
from .ch02 import check_step, check_step_output, check_weight_shapes
from .ch03 import (
    check_agree,
    check_forward_batch,
    check_forward_from,
    check_forward_reversed,
    check_forward_sequences,
    check_worst_timestep,
)
from .ch04 import check_doubled_wh, check_scaled_states
from .ch07 import check_backward_step, check_grad_Wh, check_rnn_backward
from .ch07_gradcheck import check_numerical_gradient
from .ch08 import check_amsgrad_step, check_momentum_step, check_nesterov_step
from .ch08_training import check_clip_grads, check_train_sgd
from .ch09 import (
    check_forget_bias,
    check_gated_params,
    check_lstm_backward_step,
    check_lstm_forward,
)
from .ch10 import check_gru_forward, check_gru_v1_forward
from .ch11 import check_gru_bias_from_torch, check_gru_weight_ih, check_lstm_from_torch
from .ch12 import check_embedding_grad, check_softmax_ce_grad
from .ch12_text import (
    check_perplexity_from_losses,
    check_sample_with_temperature,
    check_smoothed_bigram,
)
from .ch13 import check_cell_state_grad, check_forget_bias_for_delay, check_gru_step_backward
from .ch14 import check_bidirectional_concat, check_masked_mean_loss, check_masked_step_backward
from .ch15 import check_attention_context, check_beam_step, check_masked_softmax
from .core import TIME_LIMIT_S, CheckResult

__all__ = [
    "TIME_LIMIT_S",
    "CheckResult",
    "check_agree",
    "check_amsgrad_step",
    "check_attention_context",
    "check_backward_step",
    "check_beam_step",
    "check_bidirectional_concat",
    "check_cell_state_grad",
    "check_clip_grads",
    "check_count_params",
    "check_doubled_wh",
    "check_embedding_grad",
    "check_forget_bias",
    "check_forget_bias_for_delay",
    "check_forward_batch",
    "check_forward_from",
    "check_forward_reversed",
    "check_forward_sequences",
    "check_gated_params",
    "check_grad_Wh",
    "check_gru_bias_from_torch",
    "check_gru_forward",
    "check_gru_step_backward",
    "check_gru_v1_forward",
    "check_gru_weight_ih",
    "check_lstm_backward_step",
    "check_lstm_forward",
    "check_lstm_from_torch",
    "check_masked_mean_loss",
    "check_masked_softmax",
    "check_masked_step_backward",
    "check_momentum_step",
    "check_nesterov_step",
    "check_numerical_gradient",
    "check_output_shape",
    "check_perplexity_from_losses",
    "check_rnn_backward",
    "check_sample_with_temperature",
    "check_scaled_states",
    "check_smoothed_bigram",
    "check_softmax_ce_grad",
    "check_step",
    "check_step_output",
    "check_train_sgd",
    "check_weight_shapes",
    "check_worst_timestep",
]
