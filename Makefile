# rnn-lab: `make book` builds the book, `make test` runs every test.
# Both create .venv on first use and reinstall when a requirements file changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8000

.PHONY: book test serve site-zip pdf doctor notebooks nbgrader learner-branch binder-check bench lighthouse lint format clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

book: $(STAMP)  ## build the HTML book, executing every notebook
	$(BIN)/jupyter-book build . --all -W --keep-going
	@echo "The book is at $(CURDIR)/_build/html/index.html (or run: make serve)"

test: $(STAMP)  ## lint, unit tests, and the book built with warnings as errors
	$(BIN)/python -m pytest

serve:  ## read the built book at http://localhost:$(PORT)
	@test -f _build/html/index.html || $(MAKE) book
	$(BIN)/python -m http.server --directory _build/html $(PORT)

site-zip: $(STAMP)  ## the built site as _build/rnn-lab-site.zip: unzip anywhere, open index.html, no internet needed
	@test -f _build/html/index.html || $(MAKE) book
	$(BIN)/python -m rnn_lab.book.site_zip --site _build/html --out _build/rnn-lab-site.zip

pdf: $(STAMP)  ## the whole book as one PDF, and one PDF per chapter: _build/pdf (printed by Chromium)
	@$(BIN)/python -m rnn_lab.book.pdf --check
	@test -f _build/html/index.html || $(MAKE) book
	$(BIN)/python -m rnn_lab.book.pdf --site _build/html --out _build/pdf

doctor: $(STAMP)  ## the environment check a teacher gives a class
	$(BIN)/python -m rnn_lab doctor

# The learner editions are made from the executed book: build it first if it is missing.
_build/jupyter_execute/book:
	$(MAKE) book

notebooks: $(STAMP) _build/jupyter_execute/book  ## student and teacher editions, prose finished from the build, in _build/notebooks
	$(BIN)/python -m rnn_lab.book.learner_edition --out _build/notebooks

nbgrader: $(STAMP) _build/jupyter_execute/book  ## an nbgrader course (source assignment per chapter) in _build/nbgrader
	$(BIN)/python -m rnn_lab.book.nbgrader_release --out _build/nbgrader

learner-branch: notebooks  ## commit the student edition to the branch Binder/Colab open (PUSH=1 to push it)
	$(BIN)/python scripts/learner_branch.py $(if $(PUSH),--push)

binder-check: notebooks  ## as Binder would: fresh venv from requirements.txt, run the student edition, peak memory
	$(BIN)/python scripts/binder_check.py

bench: $(STAMP)  ## time loop vs NumPy vs Keras (QUICK=1 for the 20-second run); CSV and plots in _build/bench
	$(BIN)/python -m rnn_lab.bench $(if $(QUICK),--quick) --csv _build/bench/bench.csv --plots _build/bench

# Node tools (MathJax for the build, Lighthouse here) come from package-lock.json via `npm ci`,
# run by the build or this benchmark the first time they are needed.
lighthouse: $(STAMP)  ## Lighthouse's mobile audit of every page of the built site, served gzipped (a benchmark)
	@test -f _build/html/index.html || $(MAKE) book
	$(BIN)/python benchmarks/lighthouse.py --site _build/html

lint: $(STAMP)  ## ruff on the Python, Biome on the explorer's JavaScript
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/biome lint --error-on-warnings rnn_lab

format: $(STAMP)
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

clean:
	rm -rf _build
