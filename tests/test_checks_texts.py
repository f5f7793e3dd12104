"""The words of the exercises as data (``rnn_lab/checks/*.toml``, read by
``rnn_lab.checks.texts``): every file parses and ships with the package, every text in it is
read by a checker, every figure is filled in, and a missing figure or a table out of step
with its hooks is an error rather than a silent gap.
"""

from __future__ import annotations

import ast
import fnmatch
import importlib
import re
import tomllib
from pathlib import Path

import pytest

from rnn_lab import checks
from rnn_lab.checks import catalogue, texts
from rnn_lab.checks.verdicts import Mistake

REPO = Path(__file__).resolve().parents[1]
CHECKS = REPO / "rnn_lab" / "checks"
TEXT_FILES = sorted(CHECKS.glob("*.toml"))
PLACEHOLDER = re.compile(r"\{\w+(:[^{}]*)?\}")


def _keys_read(module: str) -> set[str]:
    """The first arguments of ``TEXTS.exercise/mistakes/planted(...)`` and of
    ``loop_exercise(TEXTS, ...)`` in a module's source: the tables it reads."""
    tree = ast.parse((CHECKS / f"{module}.py").read_text(encoding="utf-8"))
    keys = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("exercise", "mistakes", "planted"):
            args = node.args
        elif isinstance(func, ast.Name) and func.id == "loop_exercise":
            args = node.args[1:]  # loop_exercise(TEXTS, "key", ...)
        else:
            continue
        if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
            keys.add(args[0].value)
    return keys


def test_there_is_a_text_file_beside_every_module_that_reads_one():
    reads = re.compile(r"^TEXTS = Texts\(__name__\)$", re.MULTILINE)
    readers = {p.stem for p in CHECKS.glob("*.py") if reads.search(p.read_text("utf-8"))}
    assert readers == {p.stem for p in TEXT_FILES}
    assert len(readers) >= 15


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: p.name)
def test_every_table_of_a_text_file_is_read_by_its_module(path):
    tables = tomllib.loads(path.read_text(encoding="utf-8"))
    paragraphs = tables.pop(texts.PARAGRAPHS, {})
    assert set(tables) == _keys_read(path.stem), path.name
    # a shared paragraph is shared: used by at least two texts of its file
    used = re.findall(r"\{(\w+)\}", path.read_text(encoding="utf-8"))
    for name in paragraphs:
        assert used.count(name) >= 2, (path.name, name)


def test_the_text_files_ship_with_the_package():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["rnn_lab.checks"]
    for path in TEXT_FILES:
        assert any(fnmatch.fnmatch(path.name, pattern) for pattern in patterns), path.name


def test_every_exercise_has_its_words_with_every_figure_filled_in():
    for entry in catalogue.EXERCISES:
        spec = entry.exercise()
        words = [spec.returns, spec.verified, spec.card.skill, spec.refuses.advice]
        words += [part for m in spec.mistakes.values() for part in (m.title, m.advice)]
        doc = getattr(checks, entry.checker).__doc__
        for text in [doc, *words]:
            assert text and not PLACEHOLDER.search(text), (entry.number, text)
        assert doc.startswith("Check"), entry.number


def test_the_planted_tables_have_words_for_every_mistake():
    from rnn_lab.checks import ch07, ch08_training, ch09, gated, variants

    tables = [variants.PLANTED, gated.LSTM_PLANTED, gated.GRU_PLANTED, gated.GRU_V1_PLANTED]
    tables += [ch07.BACKWARD_PLANTED, ch08_training.TRAIN_PLANTED, ch09.LSTM_BACKWARD_PLANTED]
    for table in tables:
        assert len(table) >= 4
        for entry in table.values():
            assert entry.mistake.code and entry.mistake.title and entry.mistake.advice


def test_a_figure_is_formatted_with_its_specification_and_other_braces_stay():
    text = "on {cases} cases within {tolerance:g}, h_{t-1} and {x ≠ y} stay as written"
    filled = texts.fill(text, {"cases": 4, "tolerance": 1e-05})
    assert filled == "on 4 cases within 1e-05, h_{t-1} and {x ≠ y} stay as written"


def test_a_shared_paragraph_is_filled_in_and_no_figure_may_shadow_it():
    words = texts.Texts("rnn_lab.checks.ch11")
    paragraph = tomllib.loads((CHECKS / "ch11.toml").read_text("utf-8"))["paragraphs"]["sum"]
    advice = [m.advice for m in words.mistakes("lstm_from_torch", configs=3).values()]
    assert advice.count(paragraph) == 3
    with pytest.raises(KeyError, match="sum"):
        words.exercise("lstm_from_torch", configs=3, sum=1)


def test_a_missing_figure_is_an_error_naming_it():
    with pytest.raises(KeyError, match="cases"):
        texts.fill("on {cases} hidden cases", {"runs": 2})
    with pytest.raises(KeyError, match="configs"):
        texts.Texts("rnn_lab.checks.ch01").exercise("count_params")


def test_an_unknown_exercise_is_an_error_naming_the_known_ones():
    with pytest.raises(KeyError, match="count_params"):
        texts.Texts("rnn_lab.checks.ch01").exercise("count_parameters")


def test_hooks_out_of_step_with_the_words_are_an_error():
    words = texts.Texts("rnn_lab.checks.ch08_training")
    full = {name: {} for name in words.mistakes("clip_grads")}
    assert list(words.planted("clip_grads", full)) == list(full)
    missing = dict(list(full.items())[1:])
    with pytest.raises(KeyError, match="clip_grads"):
        words.planted("clip_grads", missing)
    with pytest.raises(KeyError, match="clip_grads"):
        words.planted("clip_grads", {**full, "an_extra_mistake": {}})


def test_the_words_are_the_records_of_the_checkers():
    """What a checker prints comes from its text file: the record holds exactly those words."""
    module = importlib.import_module("rnn_lab.checks.ch01")
    words = texts.Texts(module.__name__).exercise("output_shape", configs=8)
    spec = module.check_output_shape.exercise
    assert module.check_output_shape.__doc__ == words.doc
    assert (spec.returns, spec.verified) == (words.returns, words.verified)
    assert spec.refuses.advice == words.refusal
    assert spec.mistakes == words.mistakes
    assert all(isinstance(m, Mistake) for m in spec.mistakes.values())


def test_a_refusal_text_goes_with_refused_calls_and_only_with_them():
    from rnn_lab.checks.core import Exercise, Refusal

    words = texts.Texts("rnn_lab.checks.ch01").exercise("count_params", configs=5)
    with pytest.raises(ValueError, match="refusal"):
        Exercise.of(words, name="count_params")
    without = texts.ExerciseText(**{**vars(words), "refusal": None})
    with pytest.raises(ValueError, match="refusal"):
        Exercise.of(without, name="count_params", refuses=Refusal.of("rnn_lab.count_parameters"))
    spec = Exercise.of(words, name="count_params", refuses=Refusal.of("rnn_lab.count_parameters"))
    assert spec.refuses.advice == words.refusal
