# cakupan: the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_PYTHON_DOWNLOADS := never
# uv verifies TLS against its own roots unless told where the system's are
ifneq ($(wildcard /etc/ssl/certs/ca-certificates.crt),)
export SSL_CERT_FILE ?= /etc/ssl/certs/ca-certificates.crt
endif

.PHONY: install demo test lint format bench profile

## install: bootstrap uv (with pip, into .tools/) when missing, then create .venv from uv.lock
install:
	@command -v uv >/dev/null 2>&1 || test -x .tools/bin/uv || \
		($(PYTHON) -m venv .tools && .tools/bin/pip install --quiet uv==$(UV_VERSION))
	$(UV) sync --frozen

## demo: write the Banyumas demo landing zone into raw/ and publish warehouse/cakupan.duckdb
demo: install
	$(UV) run --frozen cakupan demo

## test: the whole test suite (CI runs exactly this), its files spread over the cores (pytest-xdist), the
## slowest files first (tests/conftest.py SLOWEST_FIRST; docs/performance.md "The test suite"); it ends with the 30
## slowest tests and set-ups, so a CI log says where the time went. Python keeps the bytecode it compiles even where
## PYTHONDONTWRITEBYTECODE is set: each Python process the suite starts (servers, commands, workers) otherwise compiles
## every module it imports from source again (Prefect alone: 2 s of CPU a process)
test: install
	env -u PYTHONDONTWRITEBYTECODE $(UV) run --frozen pytest -n auto --maxprocesses 4 --dist loadfile --no-loadscope-reorder --durations=30

## lint: ruff (lint and format check) and mypy on flows/, schemas/ and tools/
lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy flows schemas tools

format: install
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

## bench: the pipeline against the raw-read floor and a pandas baseline, the province through its engine, the province
## publisher, the offline site (docs/performance.md). Its processes keep their bytecode, as an installed cakupan's do
## (where PYTHONDONTWRITEBYTECODE is set, each would compile Prefect and Dask from source: about 2 s a process)
bench: install
	env -u PYTHONDONTWRITEBYTECODE $(UV) run --frozen --group bench python benchmarks/bench.py
	env -u PYTHONDONTWRITEBYTECODE $(UV) run --frozen --group bench python benchmarks/bench_publish.py
	env -u PYTHONDONTWRITEBYTECODE $(UV) run --frozen --group bench python benchmarks/bench_site.py

## profile: a pyinstrument call tree of the pipeline in one process (docs/performance.md)
profile: install
	$(UV) run --frozen --group bench python benchmarks/profile.py
