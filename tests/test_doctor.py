"""`python -m rnn_lab doctor`: the environment check a teacher gives a class."""

from __future__ import annotations

import io
import subprocess
import sys

from rnn_lab.book import doctor


def test_doctor_reports_versions_and_agreement_and_exits_zero():
    result = subprocess.run(
        [sys.executable, "-m", "rnn_lab", "doctor"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for word in (
        "Python",
        "NumPy",
        "TensorFlow",
        "Keras",
        "Processor",
        "NumPy BLAS",
        "TF kernels",
        "float32:",
        "float64:",
        "Environment OK",
    ):
        assert word in result.stdout
    assert result.stderr == "", "doctor must not print TensorFlow log lines"


def test_doctor_fails_when_agreement_exceeds_tolerance(monkeypatch):
    monkeypatch.setattr(doctor, "tolerance_for", lambda dtype: -1.0)  # nothing can pass
    out = io.StringIO()
    assert doctor.run_doctor(out) == 1
    assert "FAIL" in out.getvalue()


def test_unknown_command_is_refused():
    result = subprocess.run([sys.executable, "-m", "rnn_lab", "frobnicate"], capture_output=True)
    assert result.returncode == 2
