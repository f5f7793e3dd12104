"""rnn_lab.language.text: corpus, vocabulary, one-hot, softmax cross-entropy, sampling,
perplexity and the count baselines, with the bad inputs each function must refuse by name."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnn_lab.gradcheck import numerical_gradient
from rnn_lab.language import text

# --- corpus ---------------------------------------------------------------------------------


def test_the_stdlib_corpus_is_the_named_files_in_order():
    corpus = text.stdlib_corpus()
    assert [name for name, _ in corpus.files] == list(text.STDLIB_FILES)
    assert sum(size for _, size in corpus.files) == len(corpus.text)
    first = (text.stdlib_directory() / text.STDLIB_FILES[0]).read_text(encoding="utf-8")
    assert corpus.text.startswith(first)
    assert len(corpus) > 100_000  # the chapter's model needs a real amount of text


def test_a_missing_stdlib_file_is_named(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match=r"missing from .*: b\.py"):
        text.stdlib_corpus(("a.py", "b.py"), directory=tmp_path)
    assert text.stdlib_corpus(("a.py",), directory=tmp_path).text == "x = 1\n"
    with pytest.raises(ValueError, match="non-empty"):
        text.stdlib_corpus((), directory=tmp_path)


def test_split_keeps_the_text_and_holds_out_the_end():
    train, valid = text.split_text("abcdefghij", 0.3)
    assert (train, valid) == ("abcdefg", "hij")
    with pytest.raises(ValueError, match="must not be empty"):
        text.split_text("", 0.1)
    with pytest.raises(ValueError, match=r"validation_fraction must be in \(0, 1\); got 1.5"):
        text.split_text("abcdef", 1.5)
    with pytest.raises(ValueError, match="too short"):
        text.split_text("abc", 0.1)


# --- vocabulary -------------------------------------------------------------------------------


def test_vocabulary_round_trip_and_unknown_policy():
    vocab = text.Vocabulary.from_text("hello world")
    assert vocab.chars[0] == text.UNKNOWN
    assert vocab.size == len(set("hello world")) + 1
    ids = vocab.encode("hello")
    assert ids.dtype == np.int64 and vocab.decode(ids) == "hello"
    # An unseen character becomes the unknown character, and is counted.
    assert vocab.decode(vocab.encode("hex")) == "he" + text.UNKNOWN
    assert vocab.unknown_count("hex!") == 2


def test_rare_characters_map_to_unknown_with_min_count():
    vocab = text.Vocabulary.from_text("aaab", min_count=2)
    assert vocab.chars == (text.UNKNOWN, "a")
    assert vocab.decode(vocab.encode("ab")) == "a" + text.UNKNOWN


def test_without_an_unknown_character_outside_characters_are_refused_by_name():
    vocab = text.Vocabulary.from_text("abc", unknown=None)
    assert vocab.size == 3
    with pytest.raises(ValueError, match=r"character 'z' \(U\+007A\) at position 2"):
        vocab.encode("abz")
    with pytest.raises(ValueError, match="min_count=2"):
        text.Vocabulary.from_text("aab", min_count=2, unknown=None)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: text.Vocabulary.from_text(""), ValueError, "must not be empty"),
        (lambda: text.Vocabulary.from_text(b"abc"), TypeError, "must be a str; got bytes"),
        (lambda: text.Vocabulary.from_text("ab").encode(""), ValueError, "must not be empty"),
        (lambda: text.Vocabulary.from_text("ab").decode([0, 7]), ValueError, r"\[0, 3\); got 7"),
        (lambda: text.Vocabulary.from_text("ab").decode([0.5]), TypeError, "integer"),
        (lambda: text.Vocabulary(()), ValueError, "at least one"),
        (lambda: text.Vocabulary(("a", "a"), None), ValueError, "distinct"),
        (lambda: text.Vocabulary(("a", "bc"), None), ValueError, "single character"),
        (lambda: text.Vocabulary(("a",), "?"), ValueError, "must be in chars"),
    ],
)
def test_vocabulary_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --- one-hot, softmax, cross-entropy ---------------------------------------------------------


def test_one_hot_rows():
    out = text.one_hot(np.array([[2, 0]]), 3, "float64")
    np.testing.assert_array_equal(out, [[[0, 0, 1], [1, 0, 0]]])
    assert text.one_hot([1], 4).dtype == np.float32
    with pytest.raises(ValueError, match=r"\[0, 3\); got -1"):
        text.one_hot([-1], 3)


def test_softmax_is_stable_and_sums_to_one():
    p = text.softmax(np.array([[1000.0, 1000.0, -1000.0]]))
    np.testing.assert_allclose(p, [[0.5, 0.5, 0.0]])
    logits = np.random.default_rng(0).normal(size=(4, 7))
    np.testing.assert_allclose(text.softmax(logits).sum(axis=-1), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(np.exp(text.log_softmax(logits)), text.softmax(logits), atol=1e-15)


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
def test_softmax_cross_entropy_gradient_is_p_minus_onehot_over_n(shape):
    rng = np.random.default_rng(len(shape))
    V = 6
    logits = rng.normal(size=(*shape, V))
    targets = rng.integers(0, V, shape)
    loss, grad = text.softmax_cross_entropy(logits, targets)
    p = text.softmax(logits)
    expected = -np.mean(np.log(np.take_along_axis(p, targets[..., None], -1)))
    assert loss == pytest.approx(expected, rel=1e-13)
    np.testing.assert_allclose(grad, (p - text.one_hot(targets, V, "float64")) / targets.size)

    def f(y):
        return text.softmax_cross_entropy(y, targets)[0]

    np.testing.assert_allclose(numerical_gradient(f, logits), grad, rtol=0, atol=1e-9)


def test_cross_entropy_matches_keras():
    from rnn_lab.keras_side.models import import_keras

    keras = import_keras()
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(2, 5, 9)).astype("float32")
    targets = rng.integers(0, 9, (2, 5))
    keras_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(targets, logits)
    loss, grad = text.softmax_cross_entropy(logits, targets)
    assert loss == pytest.approx(float(keras_loss), rel=1e-6)
    assert grad.dtype == np.float32


def test_cross_entropy_bad_input():
    with pytest.raises(ValueError, match="targets must have the logits' shape"):
        text.softmax_cross_entropy(np.zeros((2, 3)), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match=r"targets must be in \[0, V\) = \[0, 3\); got 3"):
        text.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(TypeError, match="logits must be a float array"):
        text.softmax_cross_entropy(np.zeros((2, 3), dtype=int), np.array([0, 1]))


# --- perplexity, temperature, sampling -------------------------------------------------------


def test_perplexity_of_a_uniform_guess_is_the_vocabulary_size():
    V = 37
    loss, _ = text.softmax_cross_entropy(np.zeros((10, V)), np.arange(10))
    assert text.perplexity(loss) == pytest.approx(V)
    assert text.perplexity([math.log(2), math.log(8)]) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="at least one"):
        text.perplexity([])
    with pytest.raises(ValueError, match="finite"):
        text.perplexity([-1.0])


@pytest.mark.parametrize("bad", [0, -1.0, 0.0, float("inf"), float("nan")])
def test_temperature_must_be_positive_and_is_named(bad):
    with pytest.raises(ValueError, match=f"temperature must be a finite number > 0; got {bad}"):
        text.temperature_probabilities(np.zeros(3), bad)


def test_temperature_sharpens_and_flattens():
    logits = np.array([2.0, 1.0, 0.0])
    cold = text.temperature_probabilities(logits, 0.5)
    warm = text.temperature_probabilities(logits, 1.5)
    base = text.temperature_probabilities(logits, 1.0)
    np.testing.assert_allclose(base, text.softmax(logits))
    assert cold[0] > base[0] > warm[0]
    np.testing.assert_allclose(cold, text.softmax(logits / 0.5))
    with pytest.raises(TypeError, match="temperature"):
        text.temperature_probabilities(logits, "hot")


def test_inverse_cdf_sampling_matches_the_probabilities():
    p = np.array([0.1, 0.6, 0.3])
    assert [text.sample_index(p, u) for u in (0.0, 0.0999, 0.1, 0.69, 0.7, 0.9999)] == [
        0,
        0,
        1,
        1,
        2,
        2,
    ]
    rng = np.random.default_rng(0)
    draws = np.array([text.sample_index(p, rng.random()) for _ in range(20_000)])
    frequencies = np.bincount(draws, minlength=3) / draws.size
    # Binomial standard error at most sqrt(0.25 / 20000) = 0.0035: five of them.
    np.testing.assert_allclose(frequencies, p, atol=0.018)


# --- chunks -----------------------------------------------------------------------------------


def test_sequential_chunks_continue_row_by_row_and_targets_are_shifted():
    ids = np.arange(50)
    x, y = text.sequential_chunks(ids, batch_size=3, seq_len=4)
    stream = (50 - 1) // 3
    assert x.shape == y.shape == (stream // 4, 3, 4)
    np.testing.assert_array_equal(y, x + 1)  # teacher forcing: the target is the next id
    for k in range(1, x.shape[0]):
        np.testing.assert_array_equal(x[k, :, 0], x[k - 1, :, -1] + 1)  # rows continue
    np.testing.assert_array_equal(x[0, :, 0], [0, stream, 2 * stream])


def test_sequential_chunks_refuse_a_sequence_longer_than_the_corpus():
    with pytest.raises(ValueError, match=r"seq_len=20 is longer than .*\(9 characters\)"):
        text.sequential_chunks(np.arange(10), batch_size=1, seq_len=20)
    with pytest.raises(ValueError, match="empty corpus"):
        text.sequential_chunks(np.array([], dtype=int), batch_size=1, seq_len=2)
    with pytest.raises(ValueError, match="seq_len must be an integer >= 1; got 0"):
        text.sequential_chunks(np.arange(10), batch_size=1, seq_len=0)


# --- baselines --------------------------------------------------------------------------------


def test_unigram_and_bigram_counts():
    ids = np.array([0, 1, 0, 1, 0, 2])
    uni = text.unigram_probabilities(ids, 3, alpha=0.0)
    np.testing.assert_allclose(uni, [3 / 6, 2 / 6, 1 / 6])
    bi = text.bigram_probabilities(ids, 3, alpha=1.0)
    np.testing.assert_allclose(bi.sum(axis=1), 1.0)
    np.testing.assert_allclose(bi[0], [(0 + 1) / 6, (2 + 1) / 6, (1 + 1) / 6])
    assert text.bigram_loss(bi, ids) == pytest.approx(
        -np.mean(np.log(bi[ids[:-1], ids[1:]])), rel=1e-14
    )
    # Uniform probabilities give log V per character.
    assert text.unigram_loss(np.full(3, 1 / 3), ids) == pytest.approx(np.log(3))
    with pytest.raises(ValueError, match="alpha must be > 0"):
        text.bigram_probabilities(ids, 3, alpha=0.0)


# --- features of Python source and the unit search ------------------------------------------


def test_source_features_follow_strings_comments_indentation_brackets_and_words():
    source = 'def f(a):\n    s = "x#y"  # note\n    return a\n'
    features = text.source_features(source)
    at = {name: dict(enumerate(values)) for name, values in features.items()}
    inside_string = [source[k] for k in range(len(source)) if at["in_string"][k]]
    # The state after reading each character: inside from the opening quote on, outside
    # again once the closing quote has been read.
    assert "".join(inside_string) == '"x#y'
    comment = "".join(source[k] for k in range(len(source)) if at["in_comment"][k])
    assert comment == "# note"
    indent = [k for k in range(len(source)) if at["in_indentation"][k]]
    assert source[indent[0]] == "\n" and all(source[k] in " \n" for k in indent)
    assert len([k for k in indent if source[k] == " "]) == 8
    brackets = "".join(source[k] for k in range(len(source)) if at["in_brackets"][k])
    assert brackets == "(a"
    word = features["word_position"]
    start = source.index("return")
    np.testing.assert_array_equal(word[start : start + 7], [1, 2, 3, 4, 5, 6, 0])


def test_triple_quotes_and_escapes():
    source = "x = '''a'b\\n'''\ny = 'it\\'s'\n"
    inside = text.source_features(source)["in_string"]
    after_doc = source.index("'''", 5) + 3
    assert inside[source.index("a")] == 1 and inside[source.index("b")] == 1
    assert inside[after_doc] == 0  # the newline after the closing quotes
    assert inside[source.index("s'")] == 1  # the escaped quote did not close the string


def test_best_units_finds_a_planted_unit():
    rng = np.random.default_rng(0)
    feature = (rng.random(500) > 0.5).astype(float)
    hidden = rng.normal(size=(500, 6)) * 0.1
    hidden[:, 4] += -2 * feature
    found = text.best_units(hidden, {"planted": feature, "constant": np.ones(500)})
    assert found[0][:2] == ("planted", 4) and found[0][2] < -0.95
    assert found[1][2] == 0.0
    with pytest.raises(ValueError, match="must have shape"):
        text.best_units(hidden, {"short": np.ones(3)})
