"""`python -m rnn_lab doctor`: the environment check a teacher gives a class."""

from __future__ import annotations

import io
import platform
import subprocess
import sys

import numpy as np

from rnn_lab.book import doctor
from rnn_lab.book.doctor import machine_summary


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


def test_machine_summary_names_processor_blas_and_tensorflow():
    summary = machine_summary()
    assert set(summary) == {"cpu", "architecture", "blas", "tensorflow"}
    assert all(isinstance(v, str) and v for v in summary.values())
    assert summary["architecture"] == platform.machine()
    assert summary["tensorflow"].startswith("TensorFlow 2.")
    assert "oneDNN" in summary["tensorflow"]


def test_machine_summary_names_numpys_blas_without_threadpoolctl(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import fails, as if missing
    blas = machine_summary()["blas"]
    config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    assert blas.startswith(config["name"]) and "kernels" not in blas
