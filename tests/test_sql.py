"""`cakupan sql`: limits that hold, output that cannot attack a terminal or a spreadsheet (issues 26, 27)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import ANI, build_warehouse, write_roster
from tests.test_cli import cakupan_here

OFFLINE = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sql")
    roster = [[ANI, "Ani", "P", "Anggota BPD", "Sudah", ""]]
    write_roster(root / "raw" / "2024-04" / "Cilongok" / "Batuanten.xlsx", {"BPD": roster})
    build_warehouse(root / "raw", root / "wh" / "cakupan.duckdb")
    return root / "wh" / "cakupan.duckdb"


def sql(warehouse: Path, query: str, *flags: str, **settings: str) -> tuple[int, str, str]:
    env = {**OFFLINE, **{f"CAKUPAN_{key.upper()}": value for key, value in settings.items()}}
    done = cakupan_here("sql", query, "--warehouse", str(warehouse), *flags, env=env)  # line ends as written
    return done.returncode, done.stdout, done.stderr


def test_markup_and_control_characters_are_printed_as_text(warehouse: Path) -> None:
    query = "select '[/]' as \"[bold]x\", chr(27) || '[31mred' as ansi, 'a' || chr(7) || chr(8238) || 'b' as bell"
    code, out, err = sql(warehouse, query)
    assert (code, err) == (0, "")
    assert "[/]" in out and "[bold]x" in out and "\\x1b[31mred" in out and "a\\x07\\u202eb" in out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out


def test_csv_cells_that_look_like_formulas_are_text(warehouse: Path) -> None:
    query = (
        "select '=1+1' as a, '+62 81' as b, '-x' as c, '@SUM(A1)' as d, chr(9) || 'x' as e, chr(13) || 'x' as f, "
        "-5 as n, 'Desa' as g, '=bad' as \"=h\""
    )
    code, out, _ = sql(warehouse, query, "--csv")
    assert code == 0
    assert out.splitlines()[0] == "a,b,c,d,e,f,n,g,'=h"
    assert out.split("\r\n", 1)[1] == "'=1+1,'+62 81,'-x,'@SUM(A1),'\tx,\"'\rx\",-5,Desa,'=bad\r\n"


def test_csv_for_indonesian_excel_has_semicolons_and_decimal_commas(warehouse: Path) -> None:
    query = "select group_code, members, coverage_pct, 22.4::double as share from coverage_by_group"
    code, out, _ = sql(warehouse, query, "--excel-id")
    assert code == 0
    assert out.splitlines() == ["\ufeffgroup_code;members;coverage_pct;share", "BPD;1;100,0;22,4"]


def test_a_query_past_the_time_limit_is_stopped_in_one_line(warehouse: Path) -> None:
    code, out, err = sql(warehouse, "select sum(hash(i)) from range(10000000000000) t(i)", sql_timeout_seconds="1")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "cakupan sql failed: the query was stopped after running longer than 1 s (sql_timeout_seconds)"
    ]


def test_a_query_past_the_memory_limit_is_stopped_in_one_line(warehouse: Path) -> None:
    query = "select length(string_agg(i::varchar, ',')) from range(30000000) t(i)"  # a 250 MB text
    code, out, err = sql(warehouse, query, sql_memory_limit="64MB")
    assert (code, out) == (1, "")
    (line,) = err.splitlines()
    assert line.startswith("cakupan sql failed: the query needs more memory than 64MB (sql_memory_limit)")


def test_the_session_has_the_documented_memory_limit_and_fetches_at_most_the_row_limit(warehouse: Path) -> None:
    code, out, _ = sql(warehouse, "select current_setting('memory_limit') as m", "--csv")
    assert (code, out.splitlines()) == (0, ["m", "953.6 MiB"])  # sql_memory_limit = "1GB", DuckDB's GB is 10^9
    code, out, err = sql(warehouse, "select i from range(100) t(i)", "--csv", sql_max_rows="10")
    assert code == 0 and out.splitlines() == ["i", *map(str, range(10))]
    assert err.splitlines() == ["cakupan sql: showing the first 10 rows (sql_max_rows)"]
    code, out, err = sql(warehouse, "select repeat('x', 1000) from range(100)", "--csv", sql_max_bytes="5000")
    assert code == 0 and len(out.splitlines()) == 1 + 5 and "(sql_max_bytes)" in err
