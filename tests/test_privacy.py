"""One masking rule for Python, polars and SQL, checked against one list of cases."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from flows.privacy import mask_nik, mask_text, mask_variables
from flows.store.sql import run_script

CASES = json.loads((Path(__file__).parent / "fixtures" / "nik_mask_cases.json").read_text())


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    """A DuckDB session with the macros every state connection and the province publisher create."""
    connection = duckdb.connect()
    run_script(connection, "create_macros", mask_variables())
    return connection


@pytest.mark.parametrize("case", CASES, ids=[case["why"] for case in CASES])
def test_python_polars_and_sql_mask_every_case_alike(case: dict[str, str], con: duckdb.DuckDBPyConnection) -> None:
    assert mask_text(case["text"]) == case["masked"]
    assert pl.DataFrame({"v": [case["text"]]}).select(mask_nik(pl.col("v"))).item() == case["masked"]
    assert con.execute("select masked($text)", {"text": case["text"]}).fetchall() == [(case["masked"],)]


def test_the_cases_cover_every_form_named_in_the_issue() -> None:
    """Fullwidth digits, underscores, non-breaking spaces, header cells and sheet names are among the cases."""
    texts = "".join(case["text"] for case in CASES)
    assert all(form in texts for form in ("\uff13", "_", "\u00a0", "\u200b", "NO KPJ (NIK", "BPD 33"))
    assert all(case["masked"].isascii() or "\uff21" in case["masked"] for case in CASES)
