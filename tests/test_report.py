"""`cakupan report`: one offline HTML page, rendered by headless Chromium, whose figures match the views."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.outputs.report import (
    COLUMNS,
    SECTIONS,
    cell,
    exact_rupiah,
    folder_districts,
    spread,
    timestamp,
    trust_notes,
)
from tests.helpers import ANI, BUDI, build_warehouse, write_roster

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
    """Every figure of a rendered page (any element with `data-view`): (view, row, column) -> the texts shown."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, int, str], list[str]] = {}
        self.open: list[tuple[str, tuple[str, int, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("data-view"):
            key = (str(found["data-view"]), int(str(found["data-row"])), str(found["data-col"]))
            self.open.append((tag, key))
            self.cells.setdefault(key, []).append("")

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1][0] == tag:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.open:
            self.cells[self.open[-1][1]][-1] += data


def render_cli(warehouse: Path, out: Path, *options: str) -> str:
    result = CliRunner().invoke(app, ["report", "--out", str(out), "--warehouse", str(warehouse), *options])
    assert result.exit_code == 0, result.output
    return out.read_text()


@pytest.fixture(scope="module")
def page(copy_demo_warehouse: Callable[[Path], Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo zone's report with no --period: the latest month, in Bahasa Indonesia."""
    root = tmp_path_factory.mktemp("report")
    warehouse = copy_demo_warehouse(root / "warehouse")
    render_cli(warehouse, root / "report.html")
    return root / "report.html", warehouse


def all_nik_cut(path: Path) -> None:
    """Every NIK of a roster four digits short, so that every row of the file is rejected (openpyxl re-saves it)."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for found in row:
                if isinstance(found.value, str) and found.value.isdigit() and len(found.value) == 16:
                    found.value = found.value[:12]
    book.save(path)


@pytest.fixture(scope="module")
def damaged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A damaged month loaded in a backfill: one village sent nothing, one file is corrupt, every row of one file
    is rejected, and the files' own times say when they were sent except for the file saved again just now."""
    from tests.conftest import SMALL_VILLAGES
    from tools.generate import write_landing_zone

    root = tmp_path_factory.mktemp("damaged")
    raw = root / "raw"
    write_landing_zone(raw, seed=42, periods=("2024-04",), village_codes=SMALL_VILLAGES, workers=1)
    files = sorted(path for path in (raw / "2024-04").rglob("*.xlsx") if path.parent.name != "Cilongok")
    files[0].unlink()
    files[1].write_bytes(b"PK\x03\x04 not a workbook")
    all_nik_cut(files[2])
    sent = dt.datetime(2024, 5, 2, 9, tzinfo=dt.UTC).timestamp()  # before the due date, 10 May
    os.utime(raw / "2024-04" / "Cilongok" / "Batuanten.xlsx", (sent, sent))
    os.utime(files[3])  # copied in just now: no evidence of when it was sent
    build_warehouse(raw, root / "cakupan.duckdb")
    render_cli(root / "cakupan.duckdb", root / "report.html")
    return root / "report.html", root / "cakupan.duckdb"


@pytest.fixture(params=["page", "damaged"])
def any_page(request: pytest.FixtureRequest) -> tuple[Path, Path]:
    """The demo's page, and the damaged month's."""
    found: tuple[Path, Path] = request.getfixturevalue(request.param)
    return found


def test_the_page_is_self_contained(page: tuple[Path, Path]) -> None:
    html = page[0].read_text()
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html and html.count("<svg") == 6
    assert html.count('<line class="axis"') == 5 + 2  # an x-axis per bar chart, both axes of the trend


def test_indonesian_numbers_dates_and_labels() -> None:
    assert cell(1234.5, "coverage_pct") == "1.234,5" and cell(1234.5, "coverage_pct", "en") == "1,234.5"
    assert cell(3379, "members") == "3.379" and cell(2024, "year") == "2024"
    assert cell(43_545_600, "annual_cost_idr") == "Rp 43,5 juta" and cell(16_800, "monthly_cost_idr") == "Rp 16.800"
    assert cell(6_108_681_600, "annual_cost_idr") == "Rp 6,1 miliar" and exact_rupiah(6_108_681_600, "id") == (
        "Rp 6.108.681.600"
    )
    assert cell(6_108_681_600, "annual_cost_idr", "en") == "Rp 6.1 billion"
    assert cell("nik_length", "top_check") == "NIK tidak 16 digit angka"  # the problem, never the check's code
    assert cell(-1.25, "pct_points_vs_regency") == "-1,2" and cell(0.5, "change_pct_points") == "+0,5"
    assert (cell(True, "is_provisional"), cell(False, "is_provisional")) == ("sementara", "")
    assert (cell("belum_mengirim", "status"), cell("ditolak", "status", "en")) == ("belum mengirim", "rejected")
    assert cell("2025-12", "due_period") == "Desember 2025"
    noon = dt.datetime(2026, 11, 30, 7, 5, tzinfo=dt.UTC)
    assert timestamp(noon, "id") == "30 November 2026, 14.05 WIB"
    assert timestamp(noon, "en") == "30 November 2026, 14:05 WIB"


def test_the_latest_month_in_bahasa_indonesia_by_default_and_english_with_a_flag(
    page: tuple[Path, Path], tmp_path: Path
) -> None:
    html = page[0].read_text()
    assert '<html lang="id">' in html and "Kabupaten Banyumas: April 2024</h1>" in html
    for words in ("Ringkasan kabupaten", "Cakupan per kelompok", "Pengurus RT/RW", "Anggota Satlinmas", " WIB."):
        assert words in html, words
    for internal in ("group_code", "coverage_pct<", "is_provisional<", ">RT_RW<", ">LINMAS<", " UTC"):
        assert internal not in html, internal
    english = render_cli(page[1], tmp_path / "en.html", "--lang", "en", "--period", "2024-02")
    assert '<html lang="en">' in english and "Kabupaten Banyumas: February 2024</h1>" in english
    assert "RT/RW officials" in english and "Regency summary" in english


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium (Debian package chromium) is not installed; .ci/run installs it")
def test_figures_rendered_in_chromium_match_the_views(any_page: tuple[Path, Path], tmp_path: Path) -> None:
    report, warehouse = any_page
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

    seen = set()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        folder_districts(con)
        for view, section in SECTIONS.items():
            params = {"period": "2024-04", "lang": "id"} if "$lang" in section.sql else {"period": "2024-04"}
            result = con.execute(section.sql, params)
            columns = [d[0] for d in result.description]
            expected = {
                (view, index, column): cell(value, column)
                for index, row in enumerate(result.fetchall())
                for column, value in zip(columns, row, strict=True)
            }
            rendered = {key: texts for key, texts in parser.cells.items() if key[0] == view}
            assert rendered or not expected, f"{view}: no figure on the page"
            for key, texts in rendered.items():
                assert key in expected, key
                assert all(text == expected[key] for text in texts), (key, texts, expected[key])
            if view not in ("regency_summary", "trust"):  # tables show every figure of their query
                assert set(rendered) == set(expected), view
            seen |= set(rendered)
    assert set(parser.cells) == seen  # no figure on the page comes from anywhere else
    assert parser.cells[("coverage_by_group", 0, "group_label")] == ["Anggota BPD"]
    assert len(parser.cells[("coverage_by_group", 0, "coverage_pct")]) == 2  # the table and the chart


def test_the_regency_summary_and_the_missing_villages_per_kecamatan(page: tuple[Path, Path]) -> None:
    _, warehouse = page
    html = page[0].read_text()
    parser = Cells()
    parser.feed(html)
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        members, missing = con.execute(
            "select members, villages_missing from coverage_regency where period = '2024-04'"
        ).fetchall()[0]
        per_district = con.execute(
            "select district_name, count(*) from submission_status_by_village "
            "where period = '2024-04' and status = 'belum_mengirim' group by all"
        ).fetchall()
    assert parser.cells[("regency_summary", 0, "members")] == [cell(members, "members")]
    listed = {
        parser.cells[("villages_not_submitted", row, "district_name")][0]: int(
            parser.cells[("villages_not_submitted", row, "villages")][0].replace(".", "")
        )
        for (view, row, column) in parser.cells
        if view == "villages_not_submitted"
        and column == "status"
        and parser.cells[(view, row, column)] == ["belum mengirim"]
    }
    assert listed == dict(per_district) and sum(listed.values()) == missing > 0


def test_trend_labels_never_overlap(page: tuple[Path, Path]) -> None:
    html = page[0].read_text()
    trend = html[html.index('id="section-coverage_trend"') :]
    trend = trend[: trend.index("</svg>")]
    ends = sorted(float(y) for y in re.findall(r'<text x="[\d.]+" y="([\d.]+)" fill="#', trend))
    assert len(ends) == 5
    assert all(b - a >= 13 for a, b in itertools.pairwise(ends)), ends
    assert spread([100.0, 101.0, 102.0], 14, 0, 300) == [100.0, 114.0, 128.0]
    assert spread([290.0, 295.0], 14, 0, 300) == [286.0, 300.0]  # pushed back inside the plot


def test_one_month_still_shows_each_groups_coverage(tmp_path: Path) -> None:
    write_roster(
        tmp_path / "raw" / "2024-04" / "Batuanten.xlsx",
        {
            "BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", "12345678901"]],
            "RT RW": [[BUDI, "Budi", "L", "Ketua RT 001", "Belum", ""]],
        },
    )
    build_warehouse(tmp_path / "raw", tmp_path / "c.duckdb")
    html = render_cli(tmp_path / "c.duckdb", tmp_path / "one.html")
    trend = html[html.index('id="section-coverage_trend"') :]
    assert trend.count("<circle") == 2 and "<polyline" not in trend[: trend.index("</svg>")]
    assert "Baru ada satu bulan data" in trend
    parser = Cells()
    parser.feed(html)
    assert parser.cells[("coverage_trend", 0, "coverage_pct")] == ["100,0", "100,0"]  # the chart's label and table


def test_a_closed_month_a_held_correction_and_sharp_changes_are_reported(tmp_path: Path) -> None:
    from tests.conftest import SMALL_VILLAGES
    from tests.helpers import BATUANTEN, close_regency, send_late_bpd
    from tools.generate import Jump, write_landing_zone

    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    jump = Jump(BATUANTEN, "RT_RW", "2024-03", "members_up")
    write_landing_zone(
        raw, seed=42, periods=("2024-01", "2024-02", "2024-03"), village_codes=SMALL_VILLAGES, workers=1, jumps=[jump]
    )
    build_warehouse(raw, warehouse)
    close_regency(warehouse, "2024-03", by="Kabid Pemdes")
    send_late_bpd(raw, "2024-03")
    build_warehouse(raw, warehouse)
    html = render_cli(warehouse, tmp_path / "report.html", "--period", "2024-03")
    closed = html[html.index('id="section-period_status"') : html.index('id="section-outliers"')]
    assert "ditutup" in closed and "Kabid Pemdes" in closed and "WIB" in closed
    assert re.search(r'data-col="files_pending">1<', closed)  # Batuanten's late BPD roster, held
    sharp = html[html.index('id="section-outliers"') :]
    assert "Batuanten" in sharp and "jumlah orang berubah tajam" in sharp
    timely = html[html.index('id="section-submission_timeliness"') : html.index('id="section-period_status"')]
    assert "10 April 2024" in timely  # the due date of March: the 10th of the following month


class Text(HTMLParser):
    """The words a reader sees: text outside tags, plus each table's column headings by table id."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.skip += tag in ("style", "title")

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("style", "title")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.words.append(data)


def test_every_label_shows_one_number_and_the_page_names_nothing_technical(any_page: tuple[Path, Path]) -> None:
    """A label (a column heading) shown for the same kecamatan in two tables shows the same figure; the
    summary's and the trust line's village counts are the per-kecamatan tables' totals; no table, column,
    command, file or check code reaches the page."""
    html = any_page[0].read_text()
    parser = Cells()
    parser.feed(html)
    shown: dict[tuple[str, str, str], set[str]] = {}
    tables: dict[tuple[str, str, str], set[str]] = {}
    for (view, row, column), texts in parser.cells.items():
        district = parser.cells.get((view, row, "district_name"))
        group = parser.cells.get((view, row, "group_label"), [""])[0]
        if district and column not in ("district_name", "group_label") and view != "villages_not_submitted":
            key = (COLUMNS[column][1], district[0], group)
            shown.setdefault(key, set()).update(texts)
            tables.setdefault(key, set()).add(view)
    assert not {key for key, texts in shown.items() if len(texts) > 1}
    twice = {label for (label, _, _), views in tables.items() if len(views) > 1}
    assert {COLUMNS["villages_rejected"][1], "Cakupan kasar (%)", "Catatan"} <= twice  # in two tables, one figure each

    def total(view: str, column: str) -> int:
        return sum(
            int(texts[0].replace(".", "")) for (v, _, c), texts in parser.cells.items() if (v, c) == (view, column)
        )

    for column in ("villages_missing", "villages_rejected"):
        assert total("regency_summary", column) == total("trust", column) == total("submission_status", column)
    assert total("submission_timeliness", "villages_rejected") == total("submission_status", "villages_rejected")
    text = Text()
    text.feed(html)
    visible = " ".join(text.words)
    assert not re.findall(r"\b[a-z]+_[a-z_]+\b", visible)  # table, column, status or check codes
    for technical in ("cakupan accept", "cakupan follow-up", "docs/", "tabel ", ".csv", "due_dates"):
        assert technical not in visible, technical
    assert "perangkat" not in visible.lower()  # BPD, RT/RW, LKD and Linmas are not perangkat desa
    assert "contoh bawaan aplikasi" in visible and "Target yang ditetapkan kabupaten" not in visible
    assert re.search(r'title="Rp \d{1,3}(\.\d{3})+">Rp [\d,]+ (juta|miliar)<', html)
    assert "Tahun yang datanya belum lengkap (2024)" in visible


def test_a_damaged_backfilled_month_counts_a_file_with_every_row_rejected_as_rejected(
    damaged: tuple[Path, Path],
) -> None:
    """The villages whose people are in no figure are the ones the page calls rejected or missing, wherever it
    counts them: a file read whole but with every row rejected is rejected like a corrupt one, in the views,
    the trust line, the list of villages and the worst-quality list. A sent file is on time by its own time,
    and 'not known' when nothing tells when it was sent (a file copied in just now, a backfill)."""
    from tests.conftest import SMALL_VILLAGES

    report, warehouse = damaged
    parser = Cells()
    parser.feed(report.read_text())
    import duckdb

    ours = f"period = '2024-04' and village_code in {tuple(SMALL_VILLAGES)}"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        status = dict(
            con.execute(
                f"select status, count(*) from submission_status_by_village where {ours} group by all"
            ).fetchall()
        )
        timely = dict(
            con.execute(
                f"select status, count(*) from submission_timeliness_by_village where {ours} group by all"
            ).fetchall()
        )
        counted = con.execute("select count(distinct village_code) from roster where period = '2024-04'").fetchall()
        said = con.execute(
            "select status, reason, alasan from file_reconciliation where rows_loaded = 0 and rows_rejected > 0"
        ).fetchall()
        rejected = {
            name
            for (name,) in con.execute(
                f"select village_name from submission_status_by_village where {ours} and status = 'ditolak'"
            ).fetchall()
        }
    assert status == {"terkirim": 2, "ditolak": 2, "belum_mengirim": 1} and counted == [(2,)]
    [(file_status, reason, alasan)] = said  # read whole, every row rejected: its reason says nothing counts
    assert file_status == "dimuat" and "every row was rejected" in reason and "semua barisnya ditolak" in alasan
    assert timely == {"tepat_waktu": 1, "tidak_diketahui": 1, "ditolak": 2, "belum_mengirim": 1}
    assert parser.cells[("trust", 0, "villages_rejected")] == ["2"]
    listed = {
        name
        for (view, row, column), texts in parser.cells.items()
        if (view, column) == ("villages_not_submitted", "village_names")
        and parser.cells[(view, row, "status")] == ["ditolak"]
        for name in texts[0].split(", ")
    }
    worst = {
        texts[0]
        for (view, _, column), texts in parser.cells.items()
        if (view, column) == ("data_quality_by_village", "village_name")
    }
    assert listed == rejected and rejected <= worst
    unknown = [
        texts
        for (view, _, column), texts in parser.cells.items()
        if (view, column) == ("submission_timeliness", "arrival_unknown")
    ]
    assert sum(int(texts[0]) for texts in unknown) == 1


@pytest.mark.parametrize(
    ("count", "said"),
    [(1, "1 file this month matched no village: its people"), (2, "2 files this month matched no village: their")],
)
def test_the_unplaced_files_note_counts_in_good_english(count: int, said: str) -> None:
    frames = {
        "target_progress": pl.DataFrame(schema={"set_by": pl.String}),
        "data_years": pl.DataFrame(schema={"year": pl.Int32, "is_partial": pl.Boolean}),
        "unplaced_files": pl.DataFrame({"files_unplaced": [count]}),
    }
    assert said in trust_notes(frames, "en")
