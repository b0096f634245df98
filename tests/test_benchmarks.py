"""`make bench` imports what it needs from the tests and tools: every benchmark module still imports."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCHMARKS = sorted(p.stem for p in (Path(__file__).parents[1] / "benchmarks").glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("module", BENCHMARKS)
def test_every_benchmark_imports(module: str) -> None:
    importlib.import_module(f"benchmarks.{module}")
