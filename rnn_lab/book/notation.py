"""The book's notation as one table: symbol, meaning, shape, name in ``rnn_lab``, Keras, PyTorch.

The notation page of the book is rendered from :data:`NOTATION`, and the tests check it
against the code: every ``attribute`` must exist in ``rnn_lab``, and every Keras weight
and PyTorch parameter named here must have the shape given, on real layers. So the page,
the code and the frameworks cannot drift apart.

Shapes are tuples of size names; ``"4H"`` means four times ``H``. Rows are vectors as in
Keras: an input batch at one timestep is ``(n, D)`` and multiplies weights from the left.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The sections of the table, in the order the page shows them.
SECTIONS = (
    "sizes",
    "SimpleRNN",
    "LSTM",
    "GRU",
    "BPTT",
    "training",
    "language model",
    "gated backward",
    "masks and stacks",
    "attention",
)


@dataclass(frozen=True)
class Symbol:
    """One row of the notation table.

    ``attribute`` is ``"module:Name.field"`` inside ``rnn_lab`` (checked by the tests) or
    ``None`` for a plain variable name. ``keras_weight`` is ``(layer, variable name)`` for a
    weight Keras stores, ``torch_parameter`` the PyTorch ``state_dict`` key of the same
    weight (the tests build both and compare shapes).
    """

    section: str
    symbol: str
    meaning: str
    shape: tuple[str, ...]
    code: str
    attribute: str | None = None
    keras: str = ""
    torch: str = ""
    keras_weight: tuple[str, str] | None = None
    torch_parameter: tuple[str, str, tuple[str, ...]] | None = None  # (layer, key, shape)


def _rows() -> tuple[Symbol, ...]:
    S = Symbol
    return (
        # sizes ------------------------------------------------------------------------
        S("sizes", "n", "samples in a batch", (), "n = x.shape[0]", None,
          "batch axis (first)", "batch axis (first, with `batch_first=True`)"),
        S("sizes", "T", "sequence length (timesteps)", (), "T = x.shape[1]", None,
          "second axis of `Input(shape=(T, D))`", "second axis (`batch_first=True`)"),
        S("sizes", "D", "input features per timestep", (), "weights.dims",
          "weights:SimpleRNNWeights.dims", "last axis of `Input(shape=(T, D))`", "`input_size`"),
        S("sizes", "H", "hidden units", (), "weights.hidden_units",
          "weights:SimpleRNNWeights.hidden_units", "`units`", "`hidden_size`"),
        S("sizes", "O", "outputs of the Dense layer", (), "weights.outputs",
          "weights:SimpleRNNWeights.outputs", "`Dense(units)`", "`nn.Linear` `out_features`"),
        S("sizes", "G", "gate blocks of a cell: 1 (`SimpleRNN`), 4 (LSTM), 3 (GRU)", (),
          "len(GATE_ORDER[kind])", "cells.weights:GATE_ORDER",
          "blocks side by side: `kernel` $(D, GH)$",
          "gates stacked: `weight_ih_l0` $(GH, D)$"),
        S("sizes", "x_t", "input at timestep $t$ (of $x$, $(n, T, D)$)", ("n", "D"),
          "x[:, t - 1, :]", None, "`inputs[:, t - 1, :]`", "`input[:, t - 1, :]`"),
        S("sizes", "h_t", "hidden state after timestep $t$", ("n", "H"),
          "hidden_states(x, weights)[:, t - 1]", "forward:hidden_states",
          "`return_sequences=True` output at $t$", "`output[:, t - 1]`"),
        S("sizes", "h_0", "initial state (zeros unless given)", ("n", "H"), "h0", None,
          "`initial_state=[h0]`", "`h_0` (with a leading layer axis)"),
        S("sizes", "y_t", "output at timestep $t$", ("n", "O"), "manual_forward(x, weights)",
          "forward:manual_forward", "`Dense` output", "`nn.Linear` output"),
        # SimpleRNN -> Dense -----------------------------------------------------------
        S("SimpleRNN", "W_x", "input-to-hidden weights", ("D", "H"), "weights.Wx",
          "weights:SimpleRNNWeights.Wx", "`kernel`", "`weight_ih_l0`, transposed",
          ("SimpleRNN", "kernel"), ("SimpleRNN", "weight_ih_l0", ("H", "D"))),
        S("SimpleRNN", "W_h", "hidden-to-hidden (recurrent) weights", ("H", "H"), "weights.Wh",
          "weights:SimpleRNNWeights.Wh", "`recurrent_kernel`", "`weight_hh_l0`, transposed",
          ("SimpleRNN", "recurrent_kernel"), ("SimpleRNN", "weight_hh_l0", ("H", "H"))),
        S("SimpleRNN", "B_h", "hidden bias", ("H",), "weights.Bh",
          "weights:SimpleRNNWeights.Bh", "`bias`", "`bias_ih_l0` + `bias_hh_l0`",
          ("SimpleRNN", "bias"), ("SimpleRNN", "bias_ih_l0", ("H",))),
        S("SimpleRNN", "W_o", "hidden-to-output weights (Dense)", ("H", "O"), "weights.Wo",
          "weights:SimpleRNNWeights.Wo", "`Dense` `kernel`", "`nn.Linear` `weight`, transposed",
          ("Dense", "kernel")),
        S("SimpleRNN", "B_o", "output bias (Dense)", ("O",), "weights.Bo",
          "weights:SimpleRNNWeights.Bo", "`Dense` `bias`", "`nn.Linear` `bias`",
          ("Dense", "bias")),
        S("SimpleRNN", "a_t", "pre-activation $x_t W_x + h_{t-1} W_h + B_h$", ("n", "H"),
          "x_t @ Wx + h_prev @ Wh + Bh", None, "inside `SimpleRNNCell.call`", "inside `nn.RNN`"),
        # LSTM --------------------------------------------------------------------------
        S("LSTM", "i_t", "input gate", ("n", "H"), "lstm_gates(...).i", "cells.steps:LSTMGates.i",
          "columns `0:H` of the weights", "rows `0:H` (gate `i`)"),
        S("LSTM", "f_t", "forget gate", ("n", "H"), "lstm_gates(...).f", "cells.steps:LSTMGates.f",
          "columns `H:2H`", "rows `H:2H` (gate `f`)"),
        S("LSTM", r"\tilde c_t", "candidate cell state", ("n", "H"), "lstm_gates(...).c_tilde",
          "cells.steps:LSTMGates.c_tilde", "columns `2H:3H` (block `c`)",
          "rows `2H:3H` (gate `g`)"),
        S("LSTM", "o_t", "output gate", ("n", "H"), "lstm_gates(...).o", "cells.steps:LSTMGates.o",
          "columns `3H:4H`", "rows `3H:4H` (gate `o`)"),
        S("LSTM", "c_t", "cell state", ("n", "H"), "lstm_gates(...).c", "cells.steps:LSTMGates.c",
          "second state (`return_state=True`)", "`c_n`"),
        S("LSTM", "W_x^{(k)}", "input weights of all four gates, side by side", ("D", "4H"),
          "weights.kernel", "cells.weights:CellWeights.kernel", "`kernel`",
          "`weight_ih_l0`, transposed",
          ("LSTM", "kernel"), ("LSTM", "weight_ih_l0", ("4H", "D"))),
        S("LSTM", "W_h^{(k)}", "recurrent weights of all four gates", ("H", "4H"),
          "weights.recurrent_kernel", "cells.weights:CellWeights.recurrent_kernel",
          "`recurrent_kernel`", "`weight_hh_l0`, transposed",
          ("LSTM", "recurrent_kernel"), ("LSTM", "weight_hh_l0", ("4H", "H"))),
        S("LSTM", "B^{(k)}", "biases of all four gates", ("4H",), "weights.bias",
          "cells.weights:CellWeights.bias", "`bias`", "`bias_ih_l0` + `bias_hh_l0`",
          ("LSTM", "bias"), ("LSTM", "bias_ih_l0", ("4H",))),
        # GRU ---------------------------------------------------------------------------
        S("GRU", "z_t", "update gate", ("n", "H"), "gru_gates(...).z", "cells.steps:GRUGates.z",
          "columns `0:H` (block `z`)", "rows `H:2H` (gate `z`)"),
        S("GRU", "r_t", "reset gate", ("n", "H"), "gru_gates(...).r", "cells.steps:GRUGates.r",
          "columns `H:2H` (block `r`)", "rows `0:H` (gate `r`)"),
        S("GRU", r"\tilde h_t", "candidate state", ("n", "H"), "gru_gates(...).h_tilde",
          "cells.steps:GRUGates.h_tilde", "columns `2H:3H` (block `h`)", "rows `2H:3H` (gate `n`)"),
        S("GRU", "W_x^{(k)}", "input weights of all three blocks", ("D", "3H"),
          "weights.kernel", "cells.weights:CellWeights.kernel", "`kernel`",
          "`weight_ih_l0`, transposed",
          ("GRU", "kernel"), ("GRU", "weight_ih_l0", ("3H", "D"))),
        S("GRU", "W_h^{(k)}", "recurrent weights of all three blocks", ("H", "3H"),
          "weights.recurrent_kernel", "cells.weights:CellWeights.recurrent_kernel",
          "`recurrent_kernel`", "`weight_hh_l0`, transposed",
          ("GRU", "recurrent_kernel"), ("GRU", "weight_hh_l0", ("3H", "H"))),
        S("GRU", "B_x^{(k)}, B_{hh}^{(k)}",
          "input and recurrent bias rows `Bx`, `Bhh` (`reset_after=True`)",
          ("2", "3H"), "weights.bias", "cells.weights:CellWeights.bias", "`bias`, rows 0 and 1",
          "`bias_ih_l0`, `bias_hh_l0`", ("GRU", "bias"), ("GRU", "bias_hh_l0", ("3H",))),
        S("GRU", "B^{(k)}", "one bias per block (`reset_after=False`)", ("3H",), "weights.bias",
          "cells.weights:CellWeights.bias", "`bias`", "no equivalent", ("GRU(reset_after=False)",
          "bias")),
        # BPTT --------------------------------------------------------------------------
        S("BPTT", "L", "the loss, mean squared error", (), "result.loss",
          "backward:Gradients.loss", "`keras.losses.MeanSquaredError()`", "`nn.MSELoss()`"),
        S("BPTT", r"\hat y", "target the loss compares $y$ with (`y_true`)", ("n", "O"),
          "y_true", None, "`y` of `fit`, `y_true` of a loss", "`target`"),
        S("BPTT", "g_t", r"$\partial L / \partial h_t$, through $y_t$ and $h_{t+1}$", ("n", "H"),
          "result.dh[:, t - 1]", "backward:Gradients.dh", "`tape.gradient(loss, h_t)`",
          "`h_t.grad`"),
        S("BPTT", r"\delta_t", r"$\partial L / \partial a_t = g_t \odot (1 - h_t \odot h_t)$",
          ("n", "H"), "backpropagate_through_time(h, e, Wh)[1]",
          "backward:backpropagate_through_time", "", ""),
        S("BPTT", r"\partial L / \partial W_x", "gradient of a weight, same shape as it",
          ("D", "H"), "result.grads.Wx", "backward:Gradients.grads", "`tape.gradient(loss, ...)`",
          "`.grad` of the parameter"),
        S("BPTT", "k", "truncation window or chunk length", (),
          "truncate=k or chunked_backward(..., chunk=k)",
          "tbptt:chunked_backward", "`tf.stop_gradient` every $k$ steps", "`h.detach()`"),
        # training ----------------------------------------------------------------------
        S("training", r"\eta", "learning rate", (), "learning_rate",
          "training.optimizers:Adam.learning_rate", "`learning_rate`", "`lr`"),
        S("training", r"\beta_1, \beta_2", "Adam's moment decay rates", (), "beta_1, beta_2",
          "training.optimizers:Adam.beta_2", "`beta_1`, `beta_2`", "`betas`"),
        S("training", r"\varepsilon", "Adam's $\\hat\\varepsilon$, added to $\\sqrt{v}$", (),
          "epsilon", "training.optimizers:Adam.epsilon", "`epsilon`",
          "`eps` (added to $\\sqrt{\\hat v}$)"),
        S("training", "m, v", "Adam's first and second moments, one per weight array",
          (), "state.m, state.v", "training.optimizers:AdamState.v", "optimizer variables",
          "`exp_avg`, `exp_avg_sq`"),
        S("training", r"\kappa", "clipping threshold", (), "global_clipnorm",
          "training.optimizers:SGD.global_clipnorm", "`global_clipnorm`",
          "`clip_grad_norm_(..., max_norm)`"),
        # language model (chapter 12) ------------------------------------------------------
        S("language model", "V", "vocabulary size (characters the model knows)", (),
          "vocab.size", "language.text:Vocabulary.size", "`Embedding(input_dim=V)`, `Dense(V)`",
          "`nn.Embedding(num_embeddings)`"),
        S("language model", r"\mathrm{id}_t", "character id read at step $t$, in $0..V-1$",
          ("n",), "x_chunks[b][:, t - 1]", None, "integer input of `Embedding`",
          "integer input of `nn.Embedding`"),
        S("language model", "E", "embedding matrix: row $\\mathrm{id}$ is that character's $x_t$",
          ("V", "D"), "weights.E", "language.model:LanguageModelWeights.E",
          "`Embedding` `embeddings`", "`nn.Embedding` `weight`"),
        S("language model", "p_t", "next-character probabilities, $\\mathrm{softmax}(y_t)$",
          ("n", "V"), "softmax(logits)", "language.text:softmax", "`softmax` of the `Dense` output",
          "`torch.softmax`"),
        S("language model", "N", "predictions the mean loss averages over, $nT$", (),
          "N = x.size", None, "`SparseCategoricalCrossentropy` mean", "`nn.CrossEntropyLoss`"),
        S("language model", r"\tau",
          "sampling temperature: draw from $\\mathrm{softmax}(y_t/\\tau)$", (),
          "generate(..., temperature=tau)", "language.sampling:generate", "", ""),
        # gated backward (chapter 13) --------------------------------------------------------
        S("gated backward", "g^c_t", r"$\partial L / \partial c_t$ of the LSTM, total",
          ("n", "H"), "grads.dc[:, t - 1]", "cells.bptt:CellGradients.dc",
          "`tape.gradient(loss, c_t)`", "`c_t.grad`"),
        S("gated backward", r"\delta^{(f)}_t",
          r"gradient on gate $f$'s pre-activation (likewise $i, \tilde c, o, z, r$)",
          ("n", "H"), "da[:, H:2H]", None, "", ""),
        # masks and stacks (chapter 14) --------------------------------------------------------
        S("masks and stacks", "m_t", "mask at step $t$: 1 on a real step, 0 on padding",
          ("n",), "pad_sequences(seqs)[1][:, t - 1]", "cells.masking:pad_sequences",
          "`mask=`, `Masking`, `Embedding(mask_zero=True)`", "`pack_padded_sequence`"),
        S("masks and stacks", "T_s", "length of sample $s$ (its real steps)", (),
          "lengths_from_mask(mask)[s]", "cells.masking:lengths_from_mask", "`sum(mask[s])`",
          "`lengths[s]`"),
        S("masks and stacks", "h^{(l)}_t", "state of layer $l$ of a stack, $h^{(0)}_t = x_t$",
          ("n", "H"), "run_stack(cells, x)[l - 1][:, t - 1]", "cells.replay:run_stack",
          "output of the $l$-th recurrent layer", "`output` of layer $l$ (`num_layers`)"),
        S("masks and stacks", r"\overrightarrow{Y}_t, \overleftarrow{Y}_t",
          "forward and backward halves of a `Bidirectional` output, in time order", ("n", "H"),
          "run_bidirectional(fw, bw, x, merge_mode=None)", "cells.replay:run_bidirectional",
          "`Bidirectional(merge_mode=None)`", "`bidirectional=True` halves"),
        # attention (chapter 15) --------------------------------------------------------
        S("attention", "T_x", "source length (characters of the input)", (), "source.shape[1]",
          None, "second axis of the encoder's input", "second axis (`batch_first=True`)"),
        S("attention", "T_y", "target length (10 characters, `YYYY-MM-DD`)", (), "TARGET_LENGTH",
          "seq2seq.dates:TARGET_LENGTH", "second axis of the decoder's input", "same"),
        S("attention", "m_j", "source mask, 1 on real positions, 0 on padding", ("n", "T_x"),
          "mask", None, "`mask=` of the encoder, `mask=[query_mask, value_mask]`",
          "`key_padding_mask` (inverted: `True` = padding)"),
        S("attention", r"\bar h_j",
          r"encoder outputs (the keys and values), $[\overrightarrow{Y}_j, \overleftarrow{Y}_j]$",
          ("n", "T_x", "2H"), "forward(...).encoder.outputs", "seq2seq.model:EncoderTrace.outputs",
          "`Bidirectional(GRU(..., return_sequences=True, return_state=True))` output",
          "`nn.GRU(..., bidirectional=True)` output"),
        S("attention", "s_t",
          r"decoder state (the query); "
          r"$s_0 = [\overrightarrow{Y}_{\text{last}}, \overleftarrow{Y}_1]$",
          ("n", "2H"),
          "forward(...).decoder.outputs[:, t - 1]", "cells.bptt:ForwardTrace.outputs",
          "decoder `GRU` output, `initial_state=`", "`nn.GRU` output, `h_0`"),
        S("attention", "Q, K", "queries and keys", ("n", "T_q", "d"), "attention(query, ..., key)",
          "seq2seq.attention:AttentionTrace.query", "`[query, value, key]`",
          "`query`, `key` of `nn.MultiheadAttention`"),
        S("attention", r"\mathcal{V}", "values ($V$ alone is the vocabulary size)",
          ("n", "T_x", "d_v"), "attention(query, value)",
          "seq2seq.attention:AttentionTrace.value", "`value`", "`value`"),
        S("attention", r"e_{t,j}", "attention scores", ("n", "T_q", "T_x"),
          "attention(...).scores", "seq2seq.attention:AttentionTrace.scores",
          "before the layer's softmax", "`attn_mask` is added to them"),
        S("attention", r"\alpha_{t,j}", "attention weights, a softmax over $j$",
          ("n", "T_q", "T_x"), "attention(...).weights",
          "seq2seq.attention:AttentionTrace.weights", "`return_attention_scores=True`",
          "`need_weights=True`"),
        S("attention", r"\mathrm{ctx}_t", "context vector $\\sum_j \\alpha_{t,j} \\mathcal{V}_j$",
          ("n", "T_q", "d_v"), "attention(...).context",
          "seq2seq.attention:AttentionTrace.context", "the layer's output", "first output"),
        S("attention", r"\gamma", "scale of dot-product scores", (), "scale",
          "seq2seq.attention:AttentionTrace.scale", "`Attention(use_scale=True)`, `scale`",
          "fixed $1/\\sqrt{d_k}$"),
        S("attention", "v_a", "weights of additive scores", ("d",), "scale",
          "seq2seq.attention:AttentionTrace.scale", "`AdditiveAttention(use_scale=True)`, `scale`",
          "no equivalent"),
        S("attention", "d_k", "key size of one head", (), "weights.Wq.shape[1]",
          "seq2seq.attention:HeadWeights.Wq", "`MultiHeadAttention(key_dim=...)`",
          "`embed_dim // num_heads`"),
        S("attention", "b", "beam width", (), "beam_search(..., width=b)",
          "seq2seq.model:beam_search", "no equivalent (written by hand)", "no equivalent"),
    )  # fmt: skip


#: Every symbol of the book, in page order.
NOTATION: tuple[Symbol, ...] = _rows()


def size_of(entry: str, sizes: dict[str, int]) -> int:
    """``"4H"`` with ``sizes={"H": 5}`` is 20; ``"2"`` is 2."""
    digits = entry.rstrip("nTDHO")
    name = entry[len(digits) :]
    factor = int(digits) if digits else 1
    if not name:
        return factor
    if name not in sizes:
        raise ValueError(f"shape entry {entry!r} needs the size {name!r}; got {sorted(sizes)}")
    return factor * sizes[name]


def shape_of(shape: tuple[str, ...], **sizes: int) -> tuple[int, ...]:
    """A symbolic shape with numbers: ``shape_of(("D", "4H"), D=3, H=5) == (3, 20)``."""
    return tuple(size_of(entry, sizes) for entry in shape)


def table_rows(section: str) -> list[list[str]]:
    """The rows of one section, ready for ``rnn_lab.show_table``: symbol, meaning, shape,
    ``rnn_lab``, Keras, PyTorch."""
    if section not in SECTIONS:
        raise ValueError(f"section must be one of {SECTIONS}; got {section!r}")
    rows = []
    for entry in NOTATION:
        if entry.section != section:
            continue
        shape = f"$({', '.join(entry.shape)}{',' if len(entry.shape) == 1 else ''})$"
        rows.append(
            [
                f"${entry.symbol}$",
                entry.meaning,
                shape if entry.shape else "",
                f"`{entry.code}`",
                entry.keras,
                entry.torch,
            ]
        )
    return rows


#: The header that goes with :func:`table_rows`.
TABLE_HEADER = ["symbol", "meaning", "shape", "in `rnn_lab`", "Keras", "PyTorch"]
