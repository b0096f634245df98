"""docs/analysts.md is run, not just read: every command and Python block against a demo warehouse.

Each ```sh block runs in bash with .venv/bin first on PATH (the `duckdb` CLI of `make install`),
each ```python block in the project's Python, from a folder holding warehouse/cakupan.duckdb,
as an analyst would run them from the repository root. The fetch behaviours the page's table
claims for this DuckDB without numpy, pandas or pyarrow are checked here too.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl
import pytest

DOC = Path(__file__).parents[1] / "docs" / "analysts.md"
BLOCK = re.compile(r"^```(sh|python|python pyarrow)\n(.*?)^```", re.MULTILINE | re.DOTALL)
BLOCKS = [(kind, code) for kind, code in BLOCK.findall(DOC.read_text())]
HAS_PYARROW = importlib.util.find_spec("pyarrow") is not None


@pytest.fixture(scope="module")
def folder(copy_demo_warehouse: Callable[[Path], Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("analyst_doc")
    copy_demo_warehouse(root / "warehouse")
    return root


def run(kind: str, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = ["bash", "-euo", "pipefail", "-c", code] if kind == "sh" else [sys.executable, "-c", code]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_the_page_has_the_recipes_it_promises() -> None:
    kinds = [kind for kind, _ in BLOCKS]
    assert kinds.count("sh") >= 10 and kinds.count("python") >= 3 and kinds.count("python pyarrow") == 1
    text = DOC.read_text()
    for question in ("latest month", "like with like", "trend", "sent nothing", "cost of closing the gap"):
        assert question in text, question


@pytest.mark.parametrize(("kind", "code"), BLOCKS, ids=[f"{i}-{kind}" for i, (kind, _) in enumerate(BLOCKS)])
def test_every_recipe_runs(folder: Path, kind: str, code: str) -> None:
    if kind == "sh":
        assert shutil.which("duckdb", path=str(Path(sys.executable).parent)), "the duckdb CLI (make install)"
    done = run(kind.split()[0], code, folder)
    if kind == "python pyarrow" and not HAS_PYARROW:  # the page says .pl() needs pyarrow
        assert done.returncode == 1 and "No module named 'pyarrow'" in done.stderr, done.stderr
        return
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() or "copy (" in code or "write_csv" in code, "prints nothing"
    assert "Error" not in done.stdout + done.stderr, done.stdout + done.stderr


def test_the_exports_are_what_indonesian_excel_and_parquet_readers_need(folder: Path) -> None:
    for kind, code in BLOCKS:
        if "copy (" in code or "write_csv" in code:
            assert run(kind, code, folder).returncode == 0
    lines = (folder / "cakupan-kecamatan.csv").read_text().splitlines()
    assert lines[0] == "district_name;group_label;members;enrolled;coverage_pct"
    assert all(line.count(";") == 4 for line in lines) and len(lines) > 5
    decimals = [line.rsplit(";", 1)[1] for line in lines[1:]]
    assert all(re.fullmatch(r"\d+,\d", value) for value in decimals), decimals  # a decimal comma, never a point
    assert (folder / "groups.csv").read_text().startswith("period;group_code;group_label;")
    parquet = pl.read_parquet(folder / "coverage_by_village.parquet")
    assert parquet.schema["members"] == pl.Int64 and parquet.height > 0


def test_the_fetch_table_holds_for_this_duckdb(folder: Path) -> None:
    """The page's table of what works with DuckDB 2.0 without numpy, pandas or pyarrow."""
    with duckdb.connect(str(folder / "warehouse" / "cakupan.duckdb"), read_only=True) as con:
        query = "select * from coverage_by_group"
        assert con.sql(query).fetchall() and con.sql(query).limit(1).fetchall()
        if not hasattr(duckdb.DuckDBPyRelation, "fetchone"):
            assert duckdb.__version__.startswith("2.")
        with pytest.raises(AttributeError):
            con.sql(query).fetchone()  # type: ignore[attr-defined]
        if importlib.util.find_spec("numpy") is None:
            with pytest.raises(ModuleNotFoundError, match="numpy"):
                con.sql(query).df()
        if not HAS_PYARROW:
            with pytest.raises(ModuleNotFoundError, match="pyarrow"):
                con.sql(query).pl()
        assert pl.DataFrame(con.sql(query)).height > 0
        assert con.execute(query).fetchone() is not None
        with pytest.raises(duckdb.Error, match="unfinished result"):
            con.sql("select 1").fetchall()
        con.complete()
        assert con.sql("select 1").fetchall() == [(1,)]
