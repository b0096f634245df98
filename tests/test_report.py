"""`cakupan report`: one offline HTML page, rendered by headless Chromium, whose figures match the views."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.outputs.report import SECTIONS, cell
from tests.helpers import build_warehouse

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HEADLESS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Cells(HTMLParser):
    """The `data-view` cells of a rendered page: (view, row, column) -> text."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, int, str], str] = {}
        self.current: tuple[str, int, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "td" and found.get("data-view"):
            self.current = (str(found["data-view"]), int(str(found["data-row"])), str(found["data-col"]))
            self.cells[self.current] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.current:
            self.cells[self.current] += data


@pytest.fixture(scope="module")
def page(demo_zone: tuple[Path, object], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    raw, _ = demo_zone
    root = tmp_path_factory.mktemp("report")
    build_warehouse(raw, root / "cakupan.duckdb")
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--period",
            "2024-04",
            "--out",
            str(root / "report.html"),
            "--warehouse",
            str(root / "cakupan.duckdb"),
        ],
    )
    assert result.exit_code == 0, result.output
    return root / "report.html", root / "cakupan.duckdb"


def test_the_page_is_self_contained(page: tuple[Path, Path]) -> None:
    html = page[0].read_text()
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html and html.count("<svg") == 4


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium (Debian package chromium) is not installed; .ci/run installs it")
def test_figures_rendered_in_chromium_match_the_views(page: tuple[Path, Path], tmp_path: Path) -> None:
    report, warehouse = page
    dom = subprocess.run(
        [str(CHROMIUM), *HEADLESS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", report.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    parser = Cells()
    parser.feed(dom)
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        for view, sql in SECTIONS.items():
            result = con.sql(sql, params={"period": "2024-04"})
            expected = {
                (view, index, column): cell(value)
                for index, row in enumerate(result.fetchall())
                for column, value in zip(result.columns, row, strict=True)
            }
            rendered = {key: value for key, value in parser.cells.items() if key[0] == view}
            assert rendered == expected, view
    assert parser.cells[("coverage_by_group", 0, "group_code")] == "BPD"
