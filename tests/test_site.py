"""`cakupan report --site`: the offline drill-down site, read back in headless Chromium against the views."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.ingest.dates import MONTH_NAMES
from flows.outputs.site import KEYS, SUMMARY_CARDS, parts_of, shown
from flows.store.sql import query_frame
from tests.helpers import (
    BATUANTEN,
    CITRA,
    build_warehouse,
    close_regency,
    holds_nik,
    send_late_bpd,
    state_of,
    write_roster,
)
from tests.test_report import CHROMIUM, HEADLESS, Text

CILONGOK = "33.02.17"
PAGERAJI, CIKIDANG = "33.02.17.2006", "33.02.17.2012"  # Cilongok desa: a file rejected whole; a row to fix
SHORT_NIK = "330217120575"
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium (Debian package chromium) is not installed")


def write_cli(warehouse: Path, out: Path) -> CliRunner:
    result = CliRunner().invoke(app, ["report", "--site", str(out), "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    assert "site written" in result.output
    return result


@pytest.fixture(scope="module")
def site(demo_zone: tuple[Path, object], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo zone (326 of 331 villages missing), April 2024 with a file rejected whole (Pageraji) and a row
    rejected (Cikidang), March 2024 closed with Batuanten's late correction held; the site of every month."""
    root = tmp_path_factory.mktemp("site")
    raw, warehouse = root / "raw", root / "cakupan.duckdb"
    shutil.copytree(demo_zone[0], raw)
    (raw / "2024-04" / "Cilongok" / "Pageraji.xlsx").write_text("bukan buku kerja")
    rows = [[CITRA, "Citra", "P", "Anggota BPD", "Sudah", ""], [SHORT_NIK, "Cahya", "L", "Ketua BPD", "Belum", ""]]
    write_roster(raw / "2024-04" / "Cilongok" / "Cikidang.xlsx", {"BPD": rows}, village="CIKIDANG")
    build_warehouse(raw, warehouse)
    close_regency(warehouse, "2024-03", by="Kabid Pemdes", reason="Maret 2024 dilaporkan ke Bupati")
    send_late_bpd(raw, "2024-03")
    build_warehouse(raw, warehouse)
    write_cli(warehouse, root / "situs")
    return root / "situs", warehouse


class Figures(HTMLParser):
    """Every figure of a page (an element with `data-view`) by (view, month, row, column): its month is the panel
    (`data-period`) it sits in, none for the trend over every month."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str | None] = []
        self.open: list[tuple[str, tuple[str, str | None, int, str]]] = []
        self.by_month: dict[tuple[str, str | None, int, str], list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section":
            self.sections.append(found.get("data-period"))
        if found.get("data-view"):
            month = next((p for p in reversed(self.sections) if p), None)
            key = (str(found["data-view"]), month, int(str(found["data-row"])), str(found["data-col"]))
            self.open.append((tag, key))
            self.by_month.setdefault(key, []).append("")

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1][0] == tag:
            self.open.pop()
        elif tag == "section" and self.sections:
            self.sections.pop()

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
    parts = parts_of(level)
    want = expected(warehouse, level, keys)
    assert {view for view, *_ in figures.by_month} <= set(parts)
    for name, part in parts.items():
        frame = want[name]
        months = sorted(set(frame["period"])) if "period" in frame.columns and part.monthly else [None]
        for month in months:
            rows = frame.filter(pl.col("period") == month) if month else frame
            shown_rows = {
                row: {
                    column: texts
                    for (v, m, r, column), texts in figures.by_month.items()
                    if (v, m, r) == (name, month, row)
                }
                for row in {r for v, m, r, _ in figures.by_month if (v, m) == (name, month)}
            }
            for cells in shown_rows.values():
                for column, texts in cells.items():
                    assert len(set(texts)) == 1, (name, month, column, texts)  # the chart says what the table says
            if name in ("trust", "regency_summary"):  # the sentences and cards: row 0, the columns they name
                assert rows.height == 1 and set(shown_rows) == {0}, (name, month)
                values = rows.row(0, named=True)
                for column, texts in shown_rows[0].items():
                    assert texts[0] == shown(values[column], column), (name, month, column)
                if name == "regency_summary":  # every card the place's views have a figure for, and nothing else
                    cards = {c for c, *_ in SUMMARY_CARDS if values.get(c) is not None}
                    assert cards <= set(shown_rows[0]) <= cards | {"villages_expected"}
                continue
            visible = [c for c in frame.columns if c not in (*KEYS, "period")]
            as_shown = sorted(tuple(shown(row[c], c) for c in visible) for row in rows.iter_rows(named=True))
            on_page = sorted(tuple(cells[c][0] for c in visible) for cells in shown_rows.values())
            assert on_page == as_shown, (name, month)
    return figures


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
    closed = cell_of(district, "period_status", "2024-03", {}, "period_state")
    assert (closed, cell_of(district, "period_status", "2024-03", {}, "files_pending")) == ("ditutup", "1")
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
        assert not re.search(r"\bsrc\s*=|<link\b|@import|url\(", html), page
        assert '<html lang="id">' in html and 'name="viewport"' in html and "@media print" in html
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
    assert '"Batuanten", "Cilongok", "desa/33.02.17.2008.html"' in village  # the search's inline index


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
