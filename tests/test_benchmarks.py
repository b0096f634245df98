"""`make bench` imports what it needs from the tests and tools: every benchmark module still imports.

A library of the bench dependency group (pandas, pyinstrument: `make bench` installs it, `make test`
does not) may be missing; a name of this project that moved or vanished may not.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCHMARKS = sorted(p.stem for p in (Path(__file__).parents[1] / "benchmarks").glob("*.py") if p.stem != "__init__")
PROJECT = {"benchmarks", "flows", "schemas", "tests", "tools"}


@pytest.mark.parametrize("module", BENCHMARKS)
def test_every_benchmark_imports(module: str) -> None:
    try:
        importlib.import_module(f"benchmarks.{module}")
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] in PROJECT:
            raise
        pytest.skip(f"{error.name} is in the bench dependency group (`make bench` installs it)")
