"""The state database, a warehouse and a report are never written one for another (issue 26)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ANI, build_warehouse, state_of, write_roster
from tests.test_cli import cakupan_here

OFFLINE = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}  # nothing there: Prefect must not be needed


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("paths")
    write_roster(
        root / "raw" / "2024-04" / "Cilongok" / "Batuanten.xlsx",
        {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", ""]]},
    )
    warehouse = root / "wh" / "cakupan.duckdb"
    build_warehouse(root / "raw", warehouse)
    return root, warehouse


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line(done: subprocess.CompletedProcess[str], command: str) -> str:
    assert done.returncode == 1 and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"cakupan {command} failed: "), line
    return line


def test_a_run_refuses_a_state_database_or_another_file_as_its_warehouse(published: tuple[Path, Path]) -> None:
    root, warehouse = published
    state = state_of(warehouse)
    renamed = root / "elsewhere" / "analysis.duckdb"  # a copy of the state under a warehouse's name: by content
    renamed.parent.mkdir()
    shutil.copy(state, renamed)
    page = root / "laporan.html"
    page.write_text("<!doctype html><p>laporan</p>")
    for target in (state, renamed, page):
        before = digest(target)
        line = one_line(cakupan_here("run", "--raw", str(root / "raw"), "--warehouse", str(target), env=OFFLINE), "run")
        assert str(target) in line
        assert digest(target) == before
    assert not (state.parent / ".cakupan").exists()  # no state database made for the wrong "warehouse"


def test_a_report_never_overwrites_a_database_or_another_file(published: tuple[Path, Path]) -> None:
    root, warehouse = published
    state = state_of(warehouse)
    copy = root / "copy.html"
    shutil.copy(warehouse, copy)  # a database, whatever its name says
    notes = root / "notes.txt"
    notes.write_text("catatan rapat")
    for target in (warehouse, state, copy, notes, root / "new.duckdb"):
        before = digest(target) if target.exists() else None
        done = cakupan_here("report", "--warehouse", str(warehouse), "--out", str(target), env=OFFLINE)
        assert str(target) in one_line(done, "report")
        assert (digest(target) if target.exists() else None) == before
    page = root / "laporan.html"
    for _ in range(2):  # a new page, then an older page replaced
        done = cakupan_here("report", "--warehouse", str(warehouse), "--out", str(page), env=OFFLINE)
        assert done.returncode == 0, done.stderr
    assert page.read_text().startswith("<!doctype html>")


def test_nothing_is_written_inside_the_landing_zone(published: tuple[Path, Path]) -> None:
    """A warehouse, report, site or workbook folder under raw/ would be read by the next run as submissions,
    and a warehouse's state folder (raw NIKs, the key) would sit in the villages' share."""
    root, warehouse = published
    raw = root / "raw"
    before = sorted(p.relative_to(raw) for p in raw.rglob("*"))
    inside = raw / "2024-05" / "hasil"
    writes = {
        "run": ["run", "--raw", str(raw), "--warehouse", str(inside / "c.duckdb")],
        "report": ["report", "--warehouse", str(warehouse), "--out", str(raw / "2024-04" / "laporan.html")],
        "report --site": ["report", "--warehouse", str(warehouse), "--site", str(inside)],
        "rejects": ["rejects", "--warehouse", str(warehouse), "--out", str(raw)],
    }
    for command, args in writes.items():
        env = {**OFFLINE, "CAKUPAN_RAW_DIR": str(raw)}
        line = one_line(cakupan_here(*args, env=env), command.split()[0])
        assert "inside the landing zone" in line, (command, line)
    assert sorted(p.relative_to(raw) for p in raw.rglob("*")) == before


def test_an_empty_query_fails_in_one_line(published: tuple[Path, Path]) -> None:
    _, warehouse = published
    for query in ("", "   ", "/* nothing */"):
        line = one_line(cakupan_here("sql", query, "--warehouse", str(warehouse), env=OFFLINE), "sql")
        assert "the query is empty" in line
