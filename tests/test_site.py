"""`cakupan report --site`: the offline drill-down site, read back in headless Chromium against the views."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.ingest.dates import MONTH_NAMES
from flows.outputs.discrepancies import HEADERS as DISCREPANCY_HEADERS
from flows.outputs.rejects import HEADERS as REJECTS_HEADERS
from flows.outputs.report import COLUMNS, SECTIONS, TEXT, bars_svg, cell, folder_districts
from flows.outputs.site import (
    FIXES,
    KEYS,
    SELISIH_NOTES,
    SUMMARY_CARDS,
    Page,
    heading,
    parts_of,
    render_page,
    shown,
    split,
)
from flows.store.sql import query_frame
from tests.browser import Browser, Tab, chromium
from tests.helpers import (
    ANI,
    BATUANTEN,
    BUDI,
    CITRA,
    build_warehouse,
    close_regency,
    holds_nik,
    send_late_bpd,
    state_of,
    write_roster,
)
from tests.test_report import CHROMIUM, HEADLESS, Cells, Text, render_cli

CILONGOK = "33.02.17"
PAGERAJI, CIKIDANG = "33.02.17.2006", "33.02.17.2012"  # Cilongok desa: a file rejected whole; a row to fix
SHORT_NIK = "330217120575"
UNKNOWN = "2024-04/Cilongok/Antah Berantah.xlsx"  # a village no list has, in Cilongok's folder
NOWHERE = "2024-04/Entah Dimana.xlsx"  # and one in no kecamatan's folder
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium (Debian package chromium) is not installed")


def write_cli(warehouse: Path, out: Path) -> CliRunner:
    result = CliRunner().invoke(app, ["report", "--site", str(out), "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    assert "site written" in result.output
    return result


MONTHS = ("2024-01", "2024-02", "2024-03", "2024-04")


DAY = 86400


def as_of(period: str) -> dt.datetime:
    """When the fixture's files of `period` arrived: the 5th of the next month, 09.00 WIB."""
    year, month = divmod(int(period[5:]), 12)
    return dt.datetime(int(period[:4]) + year, month + 1, 5, 9, tzinfo=dt.timezone(dt.timedelta(hours=7)))


@pytest.fixture(scope="module")
def site(demo_zone: tuple[Path, object], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo zone, each month's files arrived on the 5th of the next (`as_of`); April 2024 with villages
    missing (326 of 331), a file rejected whole (Pageraji), a row rejected (Cikidang), a file placed on no village,
    then closed with Batuanten's late correction held: all in one month. The site of every month."""
    root = tmp_path_factory.mktemp("site")
    raw, warehouse = root / "raw", root / "cakupan.duckdb"
    shutil.copytree(demo_zone[0], raw)
    (raw / "2024-04" / "Cilongok" / "Pageraji.xlsx").write_text("bukan buku kerja")
    rows = [[CITRA, "Citra", "P", "Anggota BPD", "Sudah", ""], [SHORT_NIK, "Cahya", "L", "Ketua BPD", "Belum", ""]]
    write_roster(raw / "2024-04" / "Cilongok" / "Cikidang.xlsx", {"BPD": rows}, village="CIKIDANG")
    write_roster(raw / UNKNOWN, {"BPD": rows[:1]}, village="ANTAH BERANTAH")  # placed on no village
    for period in MONTHS:
        moment = as_of(period).timestamp()
        for path in (raw / period).rglob("*.*"):
            os.utime(path, (moment, moment))
    # April's "data as of" differs by place: Cikidang's file came on the 3rd, another kecamatan's all on the 4th
    early = (as_of("2024-04") - dt.timedelta(days=2)).timestamp()
    os.utime(raw / "2024-04" / "Cilongok" / "Cikidang.xlsx", (early, early))
    other = next(d for d in sorted((raw / "2024-04").iterdir()) if d.is_dir() and d.name not in ("Cilongok", "BPJS"))
    for path in other.rglob("*.*"):
        os.utime(path, (early + DAY, early + DAY))
    build_warehouse(raw, warehouse)
    close_regency(warehouse, "2024-04", by="Kabid Pemdes", reason="April 2024 dilaporkan ke Bupati")
    send_late_bpd(raw, "2024-04")  # arrives now: held, so not in April's figures nor its "data as of"
    build_warehouse(raw, warehouse)
    write_cli(warehouse, root / "situs")
    return root / "situs", warehouse


class Figures(HTMLParser):
    """Every figure of a page by (view, month, row, column): an element with `data-view`, or a table's cell (its
    table's `data-part`, its row in the body, its header's `data-col`); its month is the panel (`data-period`) it
    sits in, none for the trend over every month."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str | None] = []
        self.open: list[tuple[str, tuple[str, str | None, int, str]]] = []
        self.by_month: dict[tuple[str, str | None, int, str], list[str]] = {}
        self.part, self.columns, self.row, self.cell = "", list[str](), -1, -1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        month = next((p for p in reversed(self.sections) if p), None)
        if tag == "section":
            self.sections.append(found.get("data-period"))
        elif tag == "table":
            self.part, self.columns, self.row = str(found.get("data-part") or ""), [], -1
        elif tag == "th" and found.get("data-col"):
            self.columns.append(str(found["data-col"]))
        elif tag == "tr" and self.part and self.columns:
            self.row, self.cell = self.row + 1, -1
        elif tag == "td" and self.part:
            self.cell += 1
            self.start(tag, (self.part, month, self.row, self.columns[self.cell]))
        if found.get("data-view"):
            self.start(tag, (str(found["data-view"]), month, int(str(found["data-row"])), str(found["data-col"])))

    def start(self, tag: str, key: tuple[str, str | None, int, str]) -> None:
        self.open.append((tag, key))
        self.by_month.setdefault(key, []).append("")

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1][0] == tag:
            self.open.pop()
        elif tag == "section" and self.sections:
            self.sections.pop()
        elif tag == "table":
            self.part = ""

    def handle_data(self, data: str) -> None:
        if self.open:
            self.by_month[self.open[-1][1]][-1] += data


ISOLATED = (
    ["unshare", "--net"]
    if shutil.which("unshare") and subprocess.run(["unshare", "--net", "true"]).returncode == 0
    else []
)


def dump(page: Path, tmp_path: Path, hash_: str = "") -> str:
    """The page as Chromium renders it, scripts run, from file:// with no network (own namespace when possible)."""
    command = [*ISOLATED, str(CHROMIUM), *HEADLESS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom"]
    return subprocess.run(
        [*command, page.as_uri() + hash_], capture_output=True, text=True, timeout=180, check=True
    ).stdout


def expected(warehouse: Path, level: str, keys: dict[str, str]) -> dict[str, pl.DataFrame]:
    """Each part of a page's level as the views give it for the page's place, every month."""
    found = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        folder_districts(con)
        for name, part in parts_of(level).items():
            where = f' where "{part.key}" = $code' if part.key else ""
            found[name] = query_frame(
                con, f"select * from ({part.sql}){where}", {"code": keys[part.key]} if part.key else None
            )
    return found


def check_page(dom: str, warehouse: Path, level: str, keys: dict[str, str]) -> Figures:
    """Every figure on the page is a value of its parts' views for its place and month, and every row is shown."""
    figures = Figures()
    figures.feed(dom)
    check_figures(figures.by_month, warehouse, level, keys)
    return figures


ByMonth = dict[tuple[str, str | None, int, str], list[str]]  # (view, month or None, row, column) -> texts


def check_figures(by_month: ByMonth, warehouse: Path, level: str, keys: dict[str, str], chosen: str = "") -> None:
    """`by_month` (a page's figures) are the views' for the page's place: every month, or only the month `chosen`
    and the trend when given (what a reader sees with that month chosen)."""
    parts = parts_of(level)
    want = expected(warehouse, level, keys)
    assert {view for view, *_ in by_month} <= set(parts)
    if chosen:
        months_seen = {m for _, m, _, _ in by_month}
        assert chosen in months_seen <= {chosen, None}, months_seen
    for name, part in parts.items():
        frame = want[name]
        months = sorted(set(frame["period"])) if "period" in frame.columns and part.monthly else [None]
        for month in [m for m in months if m in (None, chosen)] if chosen else months:
            rows = frame.filter(pl.col("period") == month) if month else frame
            shown_rows = {
                row: {column: texts for (v, m, r, column), texts in by_month.items() if (v, m, r) == (name, month, row)}
                for row in {r for v, m, r, _ in by_month if (v, m) == (name, month)}
            }
            for cells in shown_rows.values():
                for column, texts in cells.items():
                    assert len(set(texts)) == 1, (name, month, column, texts)  # the chart says what the table says
            if name in ("trust", "regency_summary"):  # the sentences and cards: row 0, the columns they name
                assert rows.height == 1 and set(shown_rows) == {0}, (name, month)
                values = rows.row(0, named=True)
                for column, texts in shown_rows[0].items():
                    assert texts[0] == unescape(shown(values[column], column)), (name, month, column)
                if name == "regency_summary":  # every card the place's views have a figure for, and nothing else
                    cards = {c for c, *_ in SUMMARY_CARDS if values.get(c) is not None}
                    assert cards <= set(shown_rows[0]) <= cards | {"villages_expected"}
                continue
            visible = [c for c in frame.columns if c not in (*KEYS, "period")]
            as_shown = sorted(  # the page's text, as the DOM reads it: entities (a quote in a reason) unescaped
                tuple(unescape(shown(row[c], c)) for c in visible) for row in rows.iter_rows(named=True)
            )
            on_page = sorted(tuple(cells[c][0] for c in visible) for cells in shown_rows.values())
            assert on_page == as_shown, (name, month)


def cell_of(figures: Figures, view: str, month: str | None, match: dict[str, str], column: str) -> str:
    """The text of `column` in the row of `view` whose columns read as `match`."""
    rows = {r for v, m, r, _ in figures.by_month if (v, m) == (view, month)}
    for row in rows:
        if all(figures.by_month.get((view, month, row, c), [None])[0] == t for c, t in match.items()):
            return figures.by_month[(view, month, row, column)][0]
    raise AssertionError(f"no row {match} in {view} {month}")


def views(warehouse: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql).fetchall()


@needs_chromium
def test_the_regency_a_kecamatan_and_a_desa_read_back_against_the_views(
    site: tuple[Path, Path], tmp_path: Path
) -> None:
    out, warehouse = site
    months = [p for (p,) in views(warehouse, "select period from coverage_regency order by period")]
    regency = check_page(dump(out / "index.html", tmp_path), warehouse, "whole", {"regency_code": "33.02"})
    for period, coverage, missing, rejected in views(
        warehouse, "select period, coverage_pct, villages_missing, villages_rejected from coverage_regency"
    ):
        assert regency.by_month[("trust", period, 0, "coverage_pct")] == [shown(coverage, "coverage_pct")]
        assert regency.by_month[("regency_summary", period, 0, "villages_missing")] == [
            shown(missing, "villages_missing")
        ]
        assert regency.by_month[("trust", period, 0, "villages_rejected")][0] == str(rejected)
    assert views(
        warehouse, "select villages_missing > 300, villages_rejected from coverage_regency where period = '2024-04'"
    ) == [(True, 1)]
    district = check_page(
        dump(out / "kecamatan" / f"{CILONGOK}.html", tmp_path), warehouse, "district", {"district_code": CILONGOK}
    )
    for period, label, members in views(
        warehouse,
        f"select period, group_label, members from coverage_by_district_group where district_code = '{CILONGOK}'",
    ):
        assert cell_of(district, "coverage_by_group", period, {"group_label": label}, "members") == shown(
            members, "members"
        )
    closed = cell_of(district, "period_status", "2024-04", {}, "period_state")
    assert (closed, cell_of(district, "period_status", "2024-04", {}, "files_pending")) == ("ditutup", "1")
    assert cell_of(district, "period_status", "2024-03", {}, "period_state") == "terbuka"
    for name, column in (("Pageraji", "files_rejected"), ("Cikidang", "rows_rejected")):  # April's rejects
        assert cell_of(district, "data_quality", "2024-04", {"village_name": name}, column) == "1"
    village = check_page(
        dump(out / "desa" / f"{BATUANTEN}.html", tmp_path),
        warehouse,
        "village",
        {"village_code": BATUANTEN},
    )
    for period, label, pct in views(
        warehouse,
        f"select period, group_label, coverage_pct from coverage_by_village where village_code = '{BATUANTEN}'",
    ):
        assert cell_of(village, "coverage_by_group", period, {"group_label": label}, "coverage_pct") == shown(
            pct, "coverage_pct"
        )
    for label, cost in views(
        warehouse,
        f"select group_label, annual_cost_idr from budget_gap_by_village where village_code = '{BATUANTEN}' "
        "and period = '2024-04'",
    ):
        assert cell_of(village, "budget_gap", "2024-04", {"group_label": label}, "annual_cost_idr") == shown(
            cost, "annual_cost_idr"
        )
    assert {m for _, m, _, _ in village.by_month if m} == set(months)  # every month on the page
    assert cell_of(village, "period_status", "2024-04", {}, "period_state") == "ditutup"
    assert cell_of(regency, "period_status", "2024-04", {"district_name": "Cilongok"}, "files_pending") == "1"
    for figures in (regency, district, village):  # data as of the month shown: its files, not the late one held
        for period in months:
            assert figures.by_month[("trust", period, 0, "newest_file_at")] == [shown(as_of(period), "newest_file_at")]


def test_ids_are_unique_and_a_file_rejected_whole_points_to_its_section(site: tuple[Path, Path]) -> None:
    out, _ = site
    for page in (out / "index.html", out / "kecamatan" / f"{CILONGOK}.html", out / "desa" / f"{PAGERAJI}.html"):
        ids = re.findall(r'\sid="([^"]+)"', page.read_text())
        assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    pageraji = Figures()
    pageraji.feed((out / "desa" / f"{PAGERAJI}.html").read_text())
    assert (
        "<title>Desa/kelurahan Pageraji, Kecamatan Cilongok</title>" in (out / "desa" / f"{PAGERAJI}.html").read_text()
    )
    (top,) = pageraji.by_month[("data_quality", "2024-04", 0, "top_check")]
    assert "YANG PERLU DIPERBAIKI" not in top and "Berkas yang ditolak seluruhnya" in top, top


def panel(page: Path, period: str) -> str:
    """The HTML of the month `period` on `page` (as written, scripts not run)."""
    return page.read_text().split(f'data-period="{period}"', 1)[1].split('<section class="month', 1)[0]


def test_a_desa_page_shows_its_own_files_not_its_kecamatans(site: tuple[Path, Path]) -> None:
    """The held files and the "data as of" of a desa are the village's own, of a kecamatan the kecamatan's; a desa
    that sent nothing says so instead of "Tidak ada." (nothing owed) where its figures would be."""
    out, warehouse = site
    held = dict(
        views(warehouse, "select village_code, count(*) from file_reconciliation where status = 'ditahan' group by 1")
    )
    assert held == {BATUANTEN: 1}  # one late correction held in Cilongok: period_status says 1 for the kecamatan
    (provisional,) = views(
        warehouse,
        f"select is_provisional from submission_status where period = '2024-04' and district_code = '{CILONGOK}'",
    )[0]
    said = re.search(
        r"Catatan: (angka kecamatan )?<span[^>]*data-col=\"is_provisional\"",
        panel(out / "desa" / f"{BATUANTEN}.html", "2024-04"),
    )
    assert provisional and said and said.group(1), said  # Cilongok's flag, said as the kecamatan's on a desa page
    for code in (BATUANTEN, CIKIDANG, PAGERAJI):
        page = Figures()
        page.feed((out / "desa" / f"{code}.html").read_text())
        assert cell_of(page, "period_status", "2024-04", {}, "period_state") == "ditutup"  # the kecamatan's close
        assert cell_of(page, "period_status", "2024-04", {}, "files_pending") == str(held.get(code, 0)), code
    newest = {  # each kecamatan's and desa's newest April file its figures take in, as file_arrivals has them
        (level, code): moment
        for level in ("district_code", "village_code")
        for code, moment in views(
            warehouse,
            f"select f.{level}, max(a.arrived_at) from file_reconciliation f join file_arrivals a "
            "using (source_file, sha256) where f.period = '2024-04' and f.status in ('dimuat', 'ditolak') "
            f"and f.{level} is not null group by 1",
        )
    }
    cikidang = as_of("2024-04") - dt.timedelta(days=2)
    assert newest[("village_code", CIKIDANG)] == cikidang and newest[("district_code", CILONGOK)] == as_of("2024-04")
    assert sorted(set(newest.values())) == [cikidang, cikidang + dt.timedelta(days=1), as_of("2024-04")]
    for (level, code), moment in newest.items():
        page = Figures()
        page.feed((out / ("desa" if level == "village_code" else "kecamatan") / f"{code}.html").read_text())
        assert page.by_month[("trust", "2024-04", 0, "newest_file_at")] == [shown(moment, "newest_file_at")], code
    missing = views(
        warehouse,
        f"select village_code from submission_status_by_village where period = '2024-03' and status = 'belum_mengirim' "
        f"and district_code = '{CILONGOK}' order by village_code",
    )
    assert (CIKIDANG,) in missing  # Cikidang sent its first file in April
    for code in {CIKIDANG, *(c for (c,) in missing[:2])}:
        march = panel(out / "desa" / f"{code}.html", "2024-03")
        assert "newest_file_at" not in march and "belum mengirim berkas yang dihitung untuk bulan ini" in march
        for name in ("arrears", "budget_gap", "coverage_by_group"):
            found = march.split(f'id="{name}-2024-03"', 1)[1].split("</section>", 1)[0]
            assert "Belum ada data: desa/kelurahan ini belum mengirim" in found and TEXT["none"][0] not in found


def test_each_page_says_where_its_count_of_people_is(site: tuple[Path, Path]) -> None:
    """Coverage by group does not add up across groups, and its note sent every reader to "the regency's count of
    people in the summary": on a desa page, which has no summary, and on a kecamatan's, whose summary is its own."""
    out, _ = site
    regency, district, village = (
        panel(out / path, "2024-04") for path in ("index.html", f"kecamatan/{CILONGOK}.html", f"desa/{BATUANTEN}.html")
    )
    apart = "jadi baris-baris ini tidak dijumlahkan"
    assert f"{apart}: jumlah orang ada di ringkasan." in regency and "Ringkasan" in regency
    assert f"{apart}: jumlah orang se-kecamatan ada di ringkasan." in district and "Ringkasan" in district
    assert f"{apart}." in village and "ringkasan" not in village.lower()
    assert "se-kabupaten" not in district + village


@needs_chromium
def test_a_desa_page_lists_what_the_village_must_fix(site: tuple[Path, Path], tmp_path: Path) -> None:
    out, warehouse = site
    fix = check_page(
        dump(out / "desa" / f"{CIKIDANG}.html", tmp_path), warehouse, "village", {"village_code": CIKIDANG}
    )
    row = {"sheet": "BPD", "source_rows": "6"}  # the short NIK: the second data row under the header in row 4
    assert cell_of(fix, "fix_rows", "2024-04", row, "problem") == "NIK tidak 16 digit angka"
    assert cell_of(fix, "fix_rows", "2024-04", row, "severity") == "DITOLAK"
    rejected = check_page(
        dump(out / "desa" / f"{PAGERAJI}.html", tmp_path), warehouse, "village", {"village_code": PAGERAJI}
    )
    (alasan,) = views(warehouse, f"select alasan from file_reconciliation where village_code = '{PAGERAJI}'")[0]
    assert rejected.by_month[("fix_files", "2024-04", 0, "alasan")] == [shown(alasan, "alasan")]
    assert rejected.by_month[("trust", "2024-04", 0, "status")] == ["ditolak"]
    people = views(
        warehouse,
        f"select group_label, status, count(*) from verification_discrepancies where village_code = '{BATUANTEN}' "
        "and period = '2024-04' group by all",
    )
    batuanten = Figures()
    batuanten.feed((out / "desa" / f"{BATUANTEN}.html").read_text())
    assert people and sum(
        int(cell_of(batuanten, "fix_people", "2024-04", {"group_label": g, "result": shown(s, "result")}, "people"))
        for g, s, _ in people
    ) == sum(n for *_, n in people)


@needs_chromium
def test_the_latest_month_by_default_another_by_the_picker_and_without_scripts(
    site: tuple[Path, Path], tmp_path: Path
) -> None:
    out, _ = site
    page = out / "kecamatan" / f"{CILONGOK}.html"
    shown_months = re.findall(r'class="month[^"]*\bshown\b[^"]*" id="p-([\d-]+)"', dump(page, tmp_path))
    assert shown_months == ["2024-04"]
    assert re.findall(r'class="month[^"]*\bshown\b[^"]*" id="p-([\d-]+)"', dump(page, tmp_path, "#p-2024-02")) == [
        "2024-02"
    ]
    html = page.read_text()  # scripts off: the latest panel is shown by CSS, the others by their links (:target)
    assert re.findall(r'class="month latest" id="p-([\d-]+)"', html) == ["2024-04"]
    assert all(f'href="#p-{m}"' in html for m in ("2024-01", "2024-02", "2024-03", "2024-04"))


VISIBLE_FIGURES = """(function(){function visible(e){return e.getClientRects().length > 0}
function month(e){var panel=e.closest('[data-period]');return panel ? panel.dataset.period : null}
var found=Array.from(document.querySelectorAll('[data-view]')).filter(visible).map(function(e){
return [e.dataset.view, month(e), +e.dataset.row, e.dataset.col, e.textContent]});
document.querySelectorAll('table[data-part]').forEach(function(t){if(!visible(t))return;
var columns=Array.from(t.querySelectorAll('thead th')).map(function(th){return th.dataset.col});
Array.from(t.tBodies[0].rows).forEach(function(tr,row){Array.from(tr.cells).forEach(function(td,i){
found.push([t.dataset.part, month(t), row, columns[i], td.textContent])})})});return found})()"""


def seen(tab: Tab) -> ByMonth:
    """The figures a reader sees on the page in `tab` (hidden months left out), as Figures.by_month."""
    by_month: ByMonth = {}
    for view, month, row, column, text in tab.evaluate(VISIBLE_FIGURES):
        by_month.setdefault((view, month, row, column), []).append(text)
    return by_month


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    with chromium(tmp_path / "profile", ISOLATED) as running:
        yield running


@needs_chromium
def test_choosing_a_month_shows_its_figures_and_the_search_leads_to_a_desa(
    site: tuple[Path, Path], browser: Browser
) -> None:
    """Driven as a reader would: the month list, a month's link, the search box; every figure then in sight is
    the views' for the month chosen."""
    out, warehouse = site
    tab = browser.tab()
    page = (out / "kecamatan" / f"{CILONGOK}.html").as_uri()
    tab.open(page)
    district = {"district_code": CILONGOK}
    check_figures(seen(tab), warehouse, "district", district, "2024-04")  # the latest by default
    tab.evaluate("document.getElementById('bulan').focus()")
    tab.send("Input.dispatchKeyEvent", type="rawKeyDown", key="ArrowDown", code="ArrowDown", windowsVirtualKeyCode=40)
    tab.send("Input.dispatchKeyEvent", type="keyUp", key="ArrowDown", code="ArrowDown", windowsVirtualKeyCode=40)
    assert tab.wait_for("document.getElementById('bulan').value === '2024-03' && location.hash") == "#p-2024-03"
    check_figures(seen(tab), warehouse, "district", district, "2024-03")
    tab.click('a[href="#p-2024-01"]')  # a month's link: the page's hash changes
    tab.wait_for("document.getElementById('bulan').value === '2024-01'")
    check_figures(seen(tab), warehouse, "district", district, "2024-01")
    assert tab.evaluate(f"document.querySelector('a[href*=\"{BATUANTEN}\"]').hash") == "#p-2024-01"
    tab.open(page + "#p-2024-02")  # a link from another page, with its month
    check_figures(seen(tab), warehouse, "district", district, "2024-02")

    tab.type("#cari", "pageRAJ")  # part of a name, any case: the matching desa with its kecamatan, in the month shown
    found = tab.wait_for("Array.from(document.querySelectorAll('#hasil a')).map(function(a){return a.textContent})")
    assert found == ["Pageraji (Kecamatan Cilongok)"]
    tab.click("#hasil a")
    tab.loaded((out / "desa" / f"{PAGERAJI}.html").as_uri())
    assert tab.evaluate("location.hash") == "#p-2024-02"
    check_figures(seen(tab), warehouse, "village", {"village_code": PAGERAJI}, "2024-02")
    names = "Array.from(document.querySelectorAll('#hasil li')).map(function(li){return li.textContent})"
    for typed in ("ka", "kal", "xq"):  # two letters: the first 30 and how many more; a few; none
        tab.evaluate("document.getElementById('cari').value = ''")
        tab.type("#cari", typed)
        found = tab.wait_for(f"{names}.length && {names}")
        want = [
            f"{name} (Kecamatan {district})"
            for name, district in views(
                warehouse, f"select village_name, district_name from villages where village_name ilike '%{typed}%'"
            )
        ]
        assert set(found[:-1]) <= set(want) and len(found) - 1 == min(len(want), 30), typed
        more = f"dan {len(want) - 30} lainnya: ketik lebih banyak huruf." if len(want) > 30 else ""
        assert found[-1] == (more if want else "Tidak ada desa/kelurahan dengan nama itu."), typed


# A4 landscape less the site's print margins (12 mm each side, SITE_CSS) at 96 CSS pixels an inch: a kecamatan's
# table of groups is one column a group, whose headings do not break inside a word ("Kelom|pok" printed)
A4_PRINTABLE = round((297 - 2 * 12) / 25.4 * 96)
LAYOUT = r"""(function(){var root=document.documentElement,out={page:root.scrollWidth,
tables:[],small:[],charts:[],chart_text:[]};document.querySelectorAll('table').forEach(function(t){if(!t.getClientRects().length)return;
var box=t.closest('.wide')||t,cut=Array.from(t.querySelectorAll('th,td')).filter(function(c){
return c.scrollWidth>c.clientWidth+1}).map(function(c){return c.textContent});
out.tables.push([t.dataset.part,t.getBoundingClientRect().right,box.getBoundingClientRect().right,t.scrollWidth,
box.clientWidth,cut])});
document.querySelectorAll('body *:not(svg):not(svg *)').forEach(function(e){
if(!e.getClientRects().length||!Array.from(e.childNodes).some(function(n){return n.nodeType===3&&n.data.trim()}))return;
var size=parseFloat(getComputedStyle(e).fontSize);
if(size<12)out.small.push([e.tagName,size,e.textContent.slice(0,40)])});
document.querySelectorAll('svg').forEach(function(svg){if(!svg.getClientRects().length)return;
var t=svg.querySelector(':scope > title'),d=svg.querySelector(':scope > desc');
var scale=svg.getScreenCTM().a;svg.querySelectorAll('text').forEach(function(x){
out.chart_text.push([x.textContent,parseFloat(getComputedStyle(x).fontSize)*scale])});
out.charts.push([svg.getAttribute('role'),t?t.textContent:'',d?d.textContent:'',
Array.from(svg.querySelectorAll('text')).map(function(x){return x.textContent})])});
out.split=[];document.querySelectorAll('th,td:not(.path)').forEach(function(c){if(!c.getClientRects().length)return;
var w=document.createTreeWalker(c,NodeFilter.SHOW_TEXT),n,r=document.createRange(),m,re=/\p{L}+/gu;
while((n=w.nextNode())){while((m=re.exec(n.data))){r.setStart(n,m.index);r.setEnd(n,m.index+m[0].length);
var boxes=Array.from(r.getClientRects()),lines=new Set(boxes.map(function(b){return Math.round(b.top)}));
var wide=boxes.reduce(function(a,b){return a+b.width},0);
if(lines.size>1&&wide<=c.clientWidth)out.split.push(m[0])}}});return out})()"""


CRUMBS = "(function(n){return n&&n.getClientRects().length?n.innerText:''})(document.querySelector('nav.crumbs'))"


def check_layout(tab: Tab, width: int, scroll: bool) -> dict[str, Any]:
    """Nothing wider than `width`: no page scroll sideways; each table inside its box, or (`scroll`) wider only
    inside a box that scrolls. Every chart an image with a title, a description and its axes' titles."""
    found: dict[str, Any] = tab.evaluate(LAYOUT)
    assert found["page"] <= width, found["page"]
    for part, right, box_right, table_width, box_width, cut in found["tables"]:
        assert box_right <= width + 0.5, (part, box_right)
        assert (scroll and box_width < table_width) or right <= width + 0.5, (part, right, table_width)
        assert not cut, (part, cut)  # no cell's text runs past its edge
    for role, title, description, texts in found["charts"]:
        assert role == "img" and title and description, (title, description)
        axes = {heading(column) for column in COLUMNS} & set(texts)  # the value axis: a column's heading
        trend = title.startswith(SECTIONS["coverage_trend"].title[0])
        assert axes >= ({COLUMNS["coverage_pct"][1], COLUMNS["period"][1]} if trend else set()) and axes, title
    return found


@needs_chromium
def test_a_phone_shows_every_page_without_sideways_scroll_and_print_fits_a4(
    site: tuple[Path, Path], browser: Browser
) -> None:
    """On a 360 px phone the page never scrolls sideways (a wide table may, in its own box) and no text is
    under 12 px; printed on A4 every table of the month shown fits the paper's width."""
    out, _ = site
    tab = browser.tab()
    for page in (out / "index.html", out / "kecamatan" / f"{CILONGOK}.html", out / "desa" / f"{CIKIDANG}.html"):
        for month in ("2024-04", "2024-03"):
            tab.screen(360, 740, mobile=True)
            tab.open(f"{page.as_uri()}#p-{month}")
            phone = check_layout(tab, 360, scroll=True)
            assert not phone["small"], (page, phone["small"][:5])
            assert phone["chart_text"] and not [t for t in phone["chart_text"] if t[1] < 11], (page, phone)
            tab.screen(A4_PRINTABLE, 1000, media="print")
            printed = check_layout(tab, A4_PRINTABLE, scroll=False)
            assert printed["tables"] and printed["charts"], page
            # no word (its letters) that fits its cell broken across two lines ("DITOL|AK"); a path breaks at a "/"
            assert not printed["split"], (page, printed["split"][:10])
            assert tab.evaluate("document.querySelectorAll('.month.shown').length") == 1
            assert page.parent.name != "desa" or "Kecamatan Cilongok" in tab.evaluate(CRUMBS)  # printed: its kecamatan


def links(html: str) -> list[str]:
    return re.findall(r'\b(?:href|src|action|xlink:href)\s*=\s*"([^"]*)"', html)


def targets(page: Path) -> set[Path]:
    """The files a page links to."""
    paths = {target.partition("#")[0] for target in links(page.read_text())}
    return {(page.parent / unquote(path)).resolve() for path in paths if path}


def test_every_link_resolves_inside_the_site_and_nothing_is_fetched(site: tuple[Path, Path]) -> None:
    out, _ = site
    pages = sorted(out.rglob("*.html"))
    assert len(pages) == 1 + 27 + 331  # the regency, its kecamatan, its desa (those that sent nothing too)
    for page in pages:
        html = page.read_text()
        assert (
            "http:" not in html
            and "https:" not in html
            and "//" not in re.sub(r"<script>.*?</script>", "", html, flags=re.S)
        )
        own = re.sub(r'<script src="(?:\.\./)*cari\.js"></script>', "", html)  # the page set's desa index
        assert not re.search(r"\bsrc\s*=|<link\b|@import|url\(", own), page
        assert '<html lang="id">' in html and 'name="viewport"' in html and "@media print" in html
        assert "@page{size:A4 landscape" in html  # the width the print test lays the pages out at (A4_PRINTABLE)
        ids = set(re.findall(r'\bid="([^"]+)"', html))
        for target in links(html):
            path, _, fragment = target.partition("#")
            if not path:
                assert fragment in ids, (page, target)
                continue
            assert not urlsplit(target).scheme, target
            resolved = (page.parent / unquote(path)).resolve()
            assert resolved.is_file() and out.resolve() in resolved.parents, (page, target)
    regency = (out / "index.html").read_text()
    assert f'href="kecamatan/{CILONGOK}.html' in regency
    district = (out / "kecamatan" / f"{CILONGOK}.html").read_text()
    assert f'href="../desa/{BATUANTEN}.html' in district and 'href="../index.html' in district
    village = (out / "desa" / f"{BATUANTEN}.html").read_text()
    assert f'href="../kecamatan/{CILONGOK}.html' in village and 'href="../index.html' in village
    assert '<script src="../cari.js">' in village and '<script src="cari.js">' in regency
    assert '["Batuanten", "Cilongok", "desa/33.02.17.2008.html"]' in (out / "cari.js").read_text()  # its index


class Visible(Text):
    """The words a reader sees (test_report's Text), leaving scripts out as well."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        super().handle_starttag(tag, attrs)
        self.skip += tag == "script"
        self.attributes = getattr(self, "attributes", []) + [value or "" for _, value in attrs]

    def handle_endtag(self, tag: str) -> None:
        super().handle_endtag(tag)
        self.skip -= tag == "script"


def test_no_personal_data_and_no_english_or_technical_names_on_any_page(site: tuple[Path, Path]) -> None:
    out, warehouse = site
    with duckdb.connect(str(state_of(warehouse)), read_only=True) as con:
        people = con.sql("select distinct name, birth_date from roster_rows where name is not null").fetchall()
    names = {str(name).strip() for name, _ in people if len(str(name).strip()) >= 4}
    births = {str(b) for _, b in people if b} | {
        f"{b.day} {MONTH_NAMES['id'][b.month - 1]} {b.year}" for _, b in people if b
    }
    assert "Citra" in names and births
    for page in sorted(out.rglob("*.html")):
        html = page.read_text()
        text = Visible()
        text.feed(html)
        for piece in [*text.words, *text.attributes]:
            assert not holds_nik(piece), (page, piece)
        visible = " ".join(text.words)
        words = set(re.findall(r"[A-Za-z]+", visible))
        assert not [n for n in names if (n in visible if " " in n else n in words)], page
        assert not any(birth in html for birth in births), page
        assert not re.findall(r"\b[a-z]+_[a-z_]+\b", visible), page  # table, column, status or check codes
        english = {
            "the",
            "and",
            "of",
            "coverage",
            "village",
            "district",
            "enrolled",
            "None",
            "null",
            "nan",
            "True",
            "False",
        }
        assert not english & words, (page, english & words)
        assert "(lihat CATATAN)" not in visible, page  # a column of the selisih workbook, not of the page
    pointed = [page for page in out.rglob("*.html") if SELISIH_NOTES in page.read_text()]
    assert pointed  # the verified-with-differences meaning is on the demo's pages, naming where its notes are


def test_a_province_has_an_index_and_a_page_set_per_regency(province_zones: tuple[Path, Path], tmp_path: Path) -> None:
    from tests.province_helpers import REGION

    province, _ = province_zones
    warehouse = tmp_path / "jateng.duckdb"
    build_warehouse(province, warehouse, region=REGION)
    out = tmp_path / "situs"
    write_cli(warehouse, out)
    index = (out / "index.html").read_text()
    for code in REGION.split(","):
        assert f'href="{code}/index.html' in index and (out / code / "index.html").is_file()
        regency = targets(out / code / "index.html")
        assert (out / "index.html").resolve() in regency  # back to the province
        assert any(path.parent == (out / code / "kecamatan").resolve() for path in regency)  # down to its kecamatan
    figures = Figures()
    figures.feed(index)
    for name, coverage in views(warehouse, "select regency_name, coverage_pct from coverage_by_regency"):
        assert cell_of(figures, "coverage_by_regency", "2024-04", {"regency_name": name}, "coverage_pct") == shown(
            coverage, "coverage_pct"
        )
    for page in out.rglob("*.html"):
        assert all(path.is_file() for path in targets(page)), page


def test_a_folder_holding_other_files_is_refused(site: tuple[Path, Path], tmp_path: Path) -> None:
    (tmp_path / "catatan.txt").write_text("jangan ditimpa")
    result = CliRunner().invoke(app, ["report", "--site", str(tmp_path), "--warehouse", str(site[1])])
    assert result.exit_code == 1 and "holds other files" in result.output
    assert (tmp_path / "catatan.txt").read_text() == "jangan ditimpa"


@pytest.mark.parametrize("level", ["district", "regency", "whole"])
def test_a_region_with_no_file_counted_says_so_instead_of_none(level: str) -> None:
    """A kecamatan or regency none of whose villages has a file counted for the month (all missing, or their
    files rejected) has no coverage or cost of the gap yet: "Belum ada data", not "Tidak ada." (nobody uncovered).
    In a month with a file counted, an empty part still says "Tidak ada."."""
    parts = parts_of(level)
    key = {"district": "district_code", "regency": "regency_code", "whole": None}[level]
    moment = dt.datetime(2024, 4, 5, 9, 0)
    trust = pl.DataFrame(
        {
            "period": ["2024-03", "2024-04"],
            "villages_expected": [4, 4],
            "villages_missing": [1, 3],  # April: one village left, its file rejected
            "villages_rejected": [0, 1],
            "coverage_pct": [50.0, None],
            "verified_pct": [None, None],
            "is_provisional": [False, False],
            "newest_file_at": [moment, moment],  # the rejected file is April's newest: still nothing counted
            "last_run_at": [moment, moment],
        }
    ).with_columns(pl.lit("X").alias(key or "unused"))
    data = {part.sql: {} for part in parts.values()} | {parts["trust"].sql: split(parts["trust"], trust)}
    page = Page("kecamatan/X.html", level, {key or "regency_code": "X"}, "X", "", [])
    html = render_page(page, data, ["2024-03", "2024-04"], "2024-04-06")
    needs = [n for n in ("coverage_by_group", "coverage_by_district", "budget_gap", "budget_gap_total") if n in parts]
    assert needs, level
    for name in needs:
        march, april = (html.split(f'id="{name}-{p}"', 1)[1].split("</section>", 1)[0] for p in ("2024-03", "2024-04"))
        assert "Belum ada data: belum ada berkas yang dihitung untuk bulan ini" in april, name
        assert TEXT["none"][0] not in april, name
        assert TEXT["none"][0] in march and "Belum ada data" not in march, name


# --- what the site and the report say of rejected rows and files, as the corrections workbooks say it ----------------


@pytest.fixture(scope="module")
def quirks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """April 2024 in Cilongok: Batuanten with a row both rejected and warned (Ani: status unknown, sex not her NIK's)
    and a row only warned (Budi: sex not his NIK's); Pageraji's file not a workbook; two files placed on no village.
    The corrections workbooks (`cakupan rejects`), the site and the report of it."""
    root = tmp_path_factory.mktemp("quirks")
    raw, warehouse = root / "raw", root / "cakupan.duckdb"
    rows = [
        [ANI, "Ani", "L", "Anggota BPD", "Entah", ""],
        [BUDI, "Budi", "P", "Ketua BPD", "Belum", ""],
        [CITRA, "Citra", "L", "Anggota BPD", "Belum", ""],
    ]
    write_roster(raw / "2024-04" / "Cilongok" / "Batuanten.xlsx", {"BPD": rows})
    (raw / "2024-04" / "Cilongok" / "Pageraji.xlsx").write_text("bukan buku kerja")
    write_roster(raw / UNKNOWN, {"BPD": rows[2:]}, village="ANTAH BERANTAH")
    write_roster(raw / NOWHERE, {"BPD": rows[2:]}, village="ENTAH DIMANA", district="ENTAH")
    build_warehouse(raw, warehouse)
    result = CliRunner().invoke(app, ["rejects", "--out", str(root / "koreksi"), "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    write_cli(warehouse, root / "situs")
    render_cli(warehouse, root / "laporan.html")
    return root, warehouse, root / "koreksi"


def workbook_rows(path: Path) -> list[dict[str, object]]:
    """The rows of a corrections workbook's first sheet, by header (the header row is the fourth)."""
    import openpyxl

    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    found = list(sheet.iter_rows(values_only=True))
    return [dict(zip(found[3], row, strict=False)) for row in found[4:]]


def figures_of(page: Path) -> Figures:
    figures = Figures()
    figures.feed(page.read_text())
    return figures


def part_rows(figures: Figures, part: str, month: str) -> list[dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    for (view, m, row, column), texts in figures.by_month.items():
        if (view, m) == (part, month):
            rows.setdefault(row, {})[column] = texts[0]
    return [rows[r] for r in sorted(rows)]


def test_the_fix_list_holds_the_rows_of_the_villages_workbook(quirks: tuple[Path, Path, Path]) -> None:
    """Every problem the desa page lists is one the corrections workbook lists, on the same rows: a rejected row
    shows its errors only (Ani's row: the unknown status, not her sex), a row only warned shows its warning."""
    root, _, koreksi = quirks
    (book,) = koreksi.glob(f"{BATUANTEN} *.xlsx")
    problems = {c: shown(c, "problem") for c in FIXES}
    by_problem: dict[tuple[str, str, str], list[int]] = {}
    for row in workbook_rows(book):
        key = (str(row["TINGKAT"]), str(row["LEMBAR"]), problems[str(row["KODE PEMERIKSAAN"])])
        by_problem.setdefault(key, []).append(int(str(row["BARIS"])))
    page = part_rows(figures_of(root / "situs" / "desa" / f"{BATUANTEN}.html"), "fix_rows", "2024-04")
    on_page = {(r["severity"], r["sheet"], r["problem"]): (r["failures"], r["source_rows"]) for r in page}
    assert on_page == {k: (str(len(v)), ", ".join(map(str, sorted(v)))) for k, v in by_problem.items()}
    sex = problems["nik_sex_mismatch"]
    assert on_page[("PERINGATAN", "BPD", sex)] == ("1", "6")  # Budi's row; Ani's (5) is rejected: its errors only
    assert on_page[("DITOLAK", "BPD", problems["status_vocabulary"])] == ("1", "5")


def test_a_file_rejected_whole_is_named_and_its_reason_given_where_an_official_reads(
    quirks: tuple[Path, Path, Path],
) -> None:
    """The desa page names the file rejected whole (masked) beside its reason; the report gives the reason in its
    list of villages with rejected files, and no check's problem, on a page, points to a workbook column."""
    root, warehouse, koreksi = quirks
    (source_file, alasan), *others = views(
        warehouse, f"select source_file, alasan from file_reconciliation where village_code = '{PAGERAJI}'"
    )
    assert not others
    page = part_rows(figures_of(root / "situs" / "desa" / f"{PAGERAJI}.html"), "fix_files", "2024-04")
    assert page == [
        {"source_file": unescape(shown(source_file, "source_file")), "alasan": unescape(shown(alasan, "alasan"))}
    ]
    (book,) = koreksi.glob(f"{PAGERAJI} *.xlsx")
    assert [row["BERKAS"] for row in workbook_rows(book)] == [page[0]["source_file"]]
    report = Cells()
    report.feed((root / "laporan.html").read_text())
    row = next(r for (v, r, c), t in report.cells.items() if v == "data_quality_by_village" and t == ["Pageraji"])
    assert report.cells[("data_quality_by_village", row, "rejected_because")] == [unescape(shown(alasan, "alasan"))]
    top = report.cells[("data_quality_by_village", row, "top_check")][0]
    assert top.startswith("Seluruh berkas ditolak") and COLUMNS["rejected_because"][1] in top
    columns = [f"kolom {header}" for header in (*REJECTS_HEADERS.values(), *DISCREPANCY_HEADERS.values())]
    for check in FIXES:  # every check as the report and the site say it
        for said in (cell(check, "top_check"), cell(check, "top_check", "en"), shown(check, "problem")):
            assert not [c for c in columns if c.lower() in said.lower()], (check, said)


def test_files_placed_on_no_village_are_on_the_kecamatan_page_and_in_the_report(
    quirks: tuple[Path, Path, Path],
) -> None:
    """The files of a kecamatan's list of files placed on no village (`cakupan rejects`) are on the kecamatan's page
    (how many, each file's masked name and its reason in Bahasa Indonesia) and the regency's (with those of no
    kecamatan's folder); the report counts them per kecamatan and says so in its trust line."""
    root, _, koreksi = quirks
    listed = {
        row["BERKAS"]: row["YANG PERLU DIPERBAIKI"]
        for row in workbook_rows(koreksi / "Kecamatan Cilongok - berkas tidak dikenali.xlsx")
    }
    assert list(listed) == [UNKNOWN]
    district = root / "situs" / "kecamatan" / f"{CILONGOK}.html"
    rows = part_rows(figures_of(district), "unplaced", "2024-04")
    assert {r["source_file"]: r["alasan"] for r in rows} == listed
    assert "Desa tidak ditemukan" in rows[0]["alasan"]
    assert "Jumlah: 1 berkas." in panel(district, "2024-04")
    regency = part_rows(figures_of(root / "situs" / "index.html"), "unplaced", "2024-04")
    assert [(r["district_name"], r["source_file"]) for r in regency] == [
        ("Cilongok", UNKNOWN),
        ("(folder tanpa nama kecamatan)", NOWHERE),
    ]
    assert "Jumlah: 2 berkas." in panel(root / "situs" / "index.html", "2024-04")
    (nowhere,) = [row["BERKAS"] for row in workbook_rows(koreksi / "Berkas tidak dikenali.xlsx")]
    assert nowhere == NOWHERE
    report = Cells()
    html = (root / "laporan.html").read_text()
    report.feed(html)
    counted = {
        report.cells[("unplaced_files", row, "district_name")][0]: texts[0]
        for (view, row, column), texts in report.cells.items()
        if (view, column) == ("unplaced_files", "files_unplaced")
    }
    assert counted == {"Cilongok": "1", "(folder tanpa nama kecamatan)": "1"}
    assert "2 berkas bulan ini tidak dapat ditempatkan pada desa mana pun" in html


def test_the_report_says_what_its_rejected_count_counts_and_its_charts_have_short_numbers(
    quirks: tuple[Path, Path, Path],
) -> None:
    """The trust line and the summary count villages whose every file was rejected, and say so; a village with
    only some files rejected is in the report's list of rejected files. No number in a chart has more than two
    decimals (18 letters at 6.2 px once drew x1="123.60000000000001")."""
    root = quirks[0]
    html = (root / "laporan.html").read_text()
    text = Text()
    text.feed(html)
    visible = " ".join(text.words)
    assert "semua berkasnya ditolak" in visible and "desa/kelurahan yang semua berkasnya ditolak" in visible
    assert " berkasnya ditolak, sehingga" not in visible.replace("semua berkasnya ditolak", "")
    pages = [html, *(p.read_text() for p in (root / "situs").rglob("*.html"))]
    long = re.compile(r"\d\.\d{3,}")
    for found in pages:
        for svg in re.findall(r"<svg.*?</svg>", found, re.S):
            numbers = re.findall(r'="([^"]*)"', re.sub(r"<(title|desc)>.*?</\1>", "", svg, flags=re.S))
            assert not [n for n in numbers if long.search(n)], [n for n in numbers if long.search(n)][:3]
    label = "Delapan belas huru"  # 18 letters: 12 + 6.2 * 18 is 123.60000000000001 unrounded
    frame = pl.DataFrame({"group_label": [label], "coverage_pct": [50.0]})
    chart = bars_svg("coverage_by_group", frame, "group_label", "coverage_pct", "id")
    assert not long.search(chart), chart


@needs_chromium
def test_the_report_fits_a_phone(
    quirks: tuple[Path, Path, Path], site: tuple[Path, Path], browser: Browser, tmp_path: Path
) -> None:
    """At 360 and 485 px the report never scrolls sideways: a wide table, or a chart, scrolls in its own box; a chart
    keeps its drawn size (shrunk to the screen, its labels were 4 to 5 px). The report of this module's small
    month, and of the demo's four months."""
    render_cli(site[1], tmp_path / "laporan.html")
    tab = browser.tab()
    for report in (quirks[0] / "laporan.html", tmp_path / "laporan.html"):
        for width in (360, 485):
            tab.screen(width, 900, mobile=True)
            tab.open(report.as_uri())
            found = tab.evaluate(LAYOUT)
            assert found["page"] <= width, (report, width, found["page"])
            for part, _, box_right, *_ in found["tables"]:  # a table wider than the screen scrolls in its box
                assert box_right <= width + 0.5, (part, box_right)
            assert tab.evaluate(
                "Array.from(document.querySelectorAll('svg')).every(function(s){"
                "var box = s.parentElement; return getComputedStyle(box).overflowX == 'auto'"
                f" && box.getBoundingClientRect().right <= {width} + 0.5"
                " && Math.abs(s.getBoundingClientRect().width - s.viewBox.baseVal.width) < 1})"
            )
