# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install clean-cache dictionary serve collect bench eval-dev

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/deportdata run

test: $(STAMP)
	$(BIN)/python -m pytest -q

serve: $(STAMP)
	$(BIN)/deportdata serve

collect: $(STAMP)
	$(BIN)/deportdata collect

SIZES ?= 1000 10000 100000
bench: $(STAMP)
	$(BIN)/python -m bench.run --sizes $(SIZES)

eval-dev: $(STAMP)
	$(BIN)/python eval/score_dev.py --misses

dictionary: $(STAMP)
	$(BIN)/python -m schemas.dictionary > docs/data-dictionary.md

clean-cache:
	rm -rf .cache
