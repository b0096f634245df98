"""The offline drill-down site: a page for the regency, one per kecamatan and one per desa, every month on each.

`cakupan report --site DIR` writes it from the analyst warehouse, read-only. Every figure is a
value of a documented view, in the words and number formats of the one-page report
(`flows.outputs.report`: its COLUMNS, WORDS, TRUST and chart functions); each PART below is one
query over every month and place at once, split in polars by place and month, so the whole
regency over a year is written in seconds. Each figure of a sentence or chart carries `data-view`,
`data-row` and `data-col`, and each table its part (`data-part`) and its headers their columns (`data-col`),
inside a month's panel (`data-period`), so a test reads a page back against the views.

The pages work from a folder, a shared drive or a USB stick (`file://`): no server, no network,
no file outside the site; CSS, the month picker and the charts are inline, the desa search reads
its page set's index of villages from one script beside the set's index.html (cari.js). With
scripts off the latest month shows and the month links still work (CSS `:target`). A province
warehouse (flows/province_flow.py, several regencies) gets a province index and a page set per regency.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from html import escape
from pathlib import Path

import duckdb
import polars as pl

from flows.ingest.dates import month_name
from flows.outputs.discrepancies import STATUS_LABELS
from flows.outputs.report import (
    AS_OF,
    COLUMNS,
    CSS,
    GROUPS_APART,
    REJECTED_WHOLE,
    SECTIONS,
    SUMMARY_CARDS,
    SVG_NAMESPACE,
    TEXT,
    TRUST,
    bars_svg,
    cell,
    exact_rupiah,
    folder_districts,
    summary_html,
    timestamp,
    trend_svg,
)
from flows.settings import state_path_for
from flows.store.paths import check_output
from flows.store.sql import query_frame
from schemas.roster import check_catalog

# Columns the one-page report has no use for, in the words of the villages' workbooks (rejects.py,
# discrepancies.py) and of the report's own headings: kind, Indonesian heading (as COLUMNS, Indonesian only).
TIMELINESS = {  # submission_timeliness_by_village.status -> the report's heading for the same count
    "tepat_waktu": COLUMNS["on_time"][1],
    "terlambat": COLUMNS["late"][1],
    "tidak_diketahui": COLUMNS["arrival_unknown"][1],
    "ditolak": COLUMNS["villages_rejected"][1],
    "belum_mengirim": COLUMNS["missing"][1],
    "belum_jatuh_tempo": COLUMNS["not_yet_due"][1],
    "tanpa_batas_kirim": "Tanpa batas kirim",
}
SEVERITY = {"error": "DITOLAK", "warning": "PERINGATAN"}  # as the corrections workbook says them
FIXES = dict(check_catalog().select("check_name", "fix").iter_rows())
SUBJECT = TEXT["title"][0].rsplit(",", 1)[0]  # the report's title without its regency: what every page is about
NONE = f'<p class="note">{TEXT["none"][0]}</p>'
NOT_SENT = (  # the trust line's "data as of" when the place has no file of the month in its figures: a desa, a region
    "desa/kelurahan ini belum mengirim berkas yang dihitung untuk bulan ini",
    "belum ada berkas yang dihitung untuk bulan ini",
)
# The parts that only a file counted for the month fills: on a page whose place has none (a desa that sent
# nothing, a kecamatan or regency none of whose villages has a file counted) they say why, not "Tidak ada."
# (nothing owed, nobody uncovered)
NEEDS_FILE = ("coverage_by_group", "coverage_by_district", "arrears", "budget_gap", "budget_gap_total", "fix_people")


def no_data(level: str) -> str:
    """What an empty part of NEEDS_FILE says when its place has no file counted for the month."""
    return f'<p class="note no-data">Belum ada data: {NOT_SENT[0 if level == "village" else 1]}.</p>'


SITE_COLUMNS: dict[str, tuple[str, str]] = {
    "regency_name": ("text", "Kabupaten/kota"),
    "timeliness": ("timeliness", "Ketepatan waktu"),
    "first_received_at": ("moment", "Berkas pertama diterima"),
    "days_late": ("int", "Hari terlambat"),
    "sheet": ("text", "Lembar"),
    "source_rows": ("rows", "Baris"),
    "severity": ("severity", "Tingkat"),
    "problem": ("check", "Masalah"),
    "fix": ("fix", "Yang perlu diperbaiki"),
    "failures": ("int", "Jumlah"),
    "result": ("result", "Hasil"),
    "meaning": ("meaning", "Artinya"),
    "people": ("int", "Orang"),
    "alasan": ("text", "Alasan"),
    "source_file": ("text", "Berkas"),
    "months_unpaid": ("int", "Bulan belum dibayar"),
    "arrears_idr": ("idr", "Tunggakan"),
}


WHOLE_FILE = (  # the catalog's words for file_rejected point to a workbook column: the site names its own section
    "Seluruh berkas ditolak; alasannya di halaman desa/kelurahan, bagian Berkas yang ditolak seluruhnya."
)


SELISIH_NOTES = "(rinciannya di kolom CATATAN pada lembar kerja selisih BPJS desa ini)"


@cache  # a site shows the same few values (0, a status, a due date) hundreds of thousands of times
def shown(value: object, column: str) -> str:
    """A figure's text: the report's `cell` for its columns, the workbooks' words for the site's own."""
    if value == "file_rejected" and kind_of(column) == "check":
        return escape(WHOLE_FILE)
    if column in COLUMNS:
        return cell(value, column)
    if value is None:
        return ""
    kind = SITE_COLUMNS[column][0]
    if kind == "timeliness":
        return escape(TIMELINESS[str(value)])
    if kind == "severity":
        return SEVERITY[str(value)]
    if kind == "fix":
        return escape(FIXES.get(str(value), ""))
    if kind == "result":
        return escape(STATUS_LABELS[str(value)][0])
    if kind == "meaning":  # the page counts people: which data differ is a column of the village's selisih workbook
        return escape(STATUS_LABELS[str(value)][1].replace("(lihat CATATAN)", SELISIH_NOTES))
    if kind == "int":
        return cell(value, "members")
    if kind == "idr":
        return cell(value, "annual_cost_idr")
    if kind == "moment":
        return cell(value, "acted_at")
    if kind == "rows":  # row numbers from the views, never a person's data: not passed through the NIK mask
        return escape(str(value))
    if kind == "check":
        return cell(value, "top_check")
    return cell(value, "reason")  # text, masked and escaped, or a moment


def kind_of(column: str) -> str:
    return (COLUMNS.get(column) or SITE_COLUMNS[column])[0]


def heading(column: str) -> str:
    return COLUMNS[column][1] if column in COLUMNS else SITE_COLUMNS[column][1]


def exact(value: object, column: str) -> str:
    """An amount in rupiah carries the exact amount (shown when pointed at), as in the report."""
    return f' title="{exact_rupiah(value, "id")}"' if value is not None and kind_of(column) == "idr" else ""


def tagged(view: str, row: int, column: str, value: object) -> str:
    """One figure of a sentence, tagged with where it comes from (as report.figure)."""
    where = f'data-view="{view}" data-row="{row}" data-col="{column}"'
    return f"<span {where}{exact(value, column)}>{shown(value, column)}</span>"


# --- the parts: one query over every month and place each -----------------------------------------------

GROUPED = "join (select group_code, sort_order from groups) g using (group_code)"  # the order groups are shown in
KEYS = ("regency_code", "district_code", "village_code")


@dataclass(frozen=True)
class Part:
    """A query over every month and place, and what a page says about it.

    `sql` returns `period` (unless `monthly` is False), the column `key` names the page's place by
    (none for the whole warehouse), the columns the table shows, and the code columns of `links`
    (a shown column -> the code of the page it links to); rows come in the order they are shown.
    """

    sql: str
    title: str
    note: str = ""
    key: str | None = None
    links: tuple[tuple[str, str], ...] = ()
    chart: tuple[str, str] | None = None  # (label column, value column) of a bar chart
    monthly: bool = True


def note_of(section: str) -> str:
    return SECTIONS[section].note[0]


def groups_apart(place: str | None) -> str:
    """Coverage by group's note on a page whose summary counts the people of `place` ('se-kecamatan'; '': the
    page's whole region), or on one without a summary (None)."""
    if place is None:
        return f"{GROUPS_APART[0]}."
    return f"{GROUPS_APART[0]}: jumlah orang {place + ' ' if place else ''}ada di ringkasan."


def title_of(section: str) -> str:
    return SECTIONS[section].title[0]


BY_REGENCY = "left(district_code, 5)"  # a kecamatan's regency: '33.02' of '33.02.17'
DISTRICT_LINK = (("district_name", "district_code"),)
VILLAGE_LINK = (("village_name", "village_code"),)
GROUP_TABLE = (
    "group_label, members, enrolled, coverage_pct, verified, verified_pct, not_found, inactive, in_arrears, "
    "not_reported"
)
VERIFIED = ("verified", "verified_pct", "not_found", "inactive", "in_arrears", "not_reported")


def verified_join(view: str, keys: str) -> str:
    return f"left join (select period, {keys}, {', '.join(VERIFIED)} from {view}) v using (period, {keys})"


def trend_part(view: str, key: str) -> Part:
    """Coverage by group over every month of each place (`key`) of `view`: the trend chart and its table."""
    return Part(
        f"select c.{key}, c.period, group_label, c.coverage_pct from {view} c {GROUPED} "
        "order by g.sort_order, c.period",
        title_of("coverage_trend"),
        key=key,
        monthly=False,
    )


def own_files(period: str, key: str) -> str:
    """The trust line's "data as of" for the place of the row (`s`, keyed by `key`): its own files of the month."""
    column = BY_REGENCY.replace("district_code", "f.district_code") if key == "regency_code" else f"f.{key}"
    return AS_OF.format(period=period, place=f" and {column} = s.{key}")


# The trust line, the summary cards, coverage by group and the trend, per kind of page. `whole` is the
# warehouse's region (a regency, or the province of a province warehouse); `regency` a regency of a province.
TOP: dict[str, dict[str, Part]] = {
    "whole": {
        "trust": Part(
            "select c.period, c.villages_expected, c.villages_missing, c.villages_rejected, c.coverage_pct, "
            f"v.verified_pct, {AS_OF.format(period='c.period', place='')} "
            "from coverage_regency c left join verified_coverage_regency v using (period)",
            title_of("trust"),
        ),
        "regency_summary": Part(
            "select c.period, c.members, c.enrolled, c.coverage_pct, v.verified_pct, c.villages_expected, "
            "c.villages_submitted, c.villages_rejected, c.villages_missing, b.uncovered, b.annual_cost_idr "
            "from coverage_regency c "
            "left join budget_gap_total b on b.period = c.period and b.area_level = 'kabupaten' "
            "left join verified_coverage_regency v on v.period = c.period",
            "Ringkasan",
        ),
        "coverage_by_group": Part(
            f"select period, {GROUP_TABLE} from coverage_by_group c {GROUPED} "
            f"{verified_join('verified_coverage_by_group', 'group_code')} order by g.sort_order",
            title_of("coverage_by_group"),
            groups_apart(""),
            chart=("group_label", "coverage_pct"),
        ),
        "coverage_trend": Part(
            "select c.period, group_label, c.coverage_pct, c.change_pct_points from coverage_trend c "
            f"{GROUPED} order by g.sort_order, c.period",
            title_of("coverage_trend"),
            monthly=False,
        ),
    },
    "regency": {
        "trust": Part(
            "select s.period, s.regency_code, s.villages_expected, s.villages_missing, s.villages_rejected, "
            f"c.coverage_pct, c.is_provisional, {own_files('s.period', 'regency_code')} "
            f"from (select period, {BY_REGENCY} as regency_code, "
            "sum(villages_expected) as villages_expected, sum(villages_missing) as villages_missing, "
            "sum(villages_rejected) as villages_rejected from submission_status group by all) s "
            "left join coverage_by_regency c using (period, regency_code)",
            title_of("trust"),
            key="regency_code",
        ),
        "regency_summary": Part(
            "select c.period, c.regency_code, c.members, c.enrolled, c.coverage_pct, s.villages_expected, "
            "s.villages_submitted, s.villages_rejected from coverage_by_regency c "
            "left join submission_status_by_regency s using (period, regency_code)",
            "Ringkasan",
            key="regency_code",
        ),
        "coverage_by_group": Part(
            "select c.period, c.regency_code, g.group_label, c.members, c.enrolled, c.coverage_pct, c.is_provisional "
            "from coverage_by_regency_group c join groups g using (group_code) order by g.sort_order",
            title_of("coverage_by_group"),
            groups_apart("se-kabupaten"),
            key="regency_code",
            chart=("group_label", "coverage_pct"),
        ),
        "coverage_trend": trend_part("coverage_by_regency_group", "regency_code"),
    },
    "district": {
        "trust": Part(
            "select s.period, s.district_code, s.villages_expected, s.villages_missing, s.villages_rejected, "
            f"c.coverage_pct, c.is_provisional, v.verified_pct, {own_files('s.period', 'district_code')} "
            "from submission_status s "
            "left join coverage_by_district c using (period, district_code) "
            f"{verified_join('verified_coverage_by_district', 'district_code')}",
            title_of("trust"),
            key="district_code",
        ),
        "regency_summary": Part(
            "select c.period, c.district_code, c.members, c.enrolled, c.coverage_pct, v.verified_pct, "
            "s.villages_expected, s.villages_submitted, s.villages_rejected, s.villages_missing, b.uncovered, "
            "b.annual_cost_idr from coverage_by_district c join submission_status s using (period, district_code) "
            "left join budget_gap_total b using (period, district_code) "
            f"{verified_join('verified_coverage_by_district', 'district_code')}",
            "Ringkasan",
            key="district_code",
        ),
        "coverage_by_group": Part(
            f"select period, district_code, {GROUP_TABLE}, regency_coverage_pct, pct_points_vs_regency, "
            f"rank_in_group, districts_in_group from coverage_by_district_group c {GROUPED} "
            f"{verified_join('verified_coverage_by_district_group', 'district_code, group_code')} "
            "order by g.sort_order",
            title_of("coverage_by_group"),
            groups_apart("se-kecamatan"),
            key="district_code",
            chart=("group_label", "coverage_pct"),
        ),
        "coverage_trend": trend_part("coverage_by_district_group", "district_code"),
    },
    "village": {
        "trust": Part(
            "select s.period, s.village_code, s.status, d.is_provisional, "
            f"{own_files('s.period', 'village_code')} from submission_status_by_village s "
            "left join submission_status d using (period, district_code)",
            title_of("trust"),
            key="village_code",
        ),
        "coverage_by_group": Part(
            f"select period, village_code, {GROUP_TABLE} from coverage_by_village c {GROUPED} "
            f"{verified_join('verified_coverage_by_village', 'village_code, group_code')} order by g.sort_order",
            title_of("coverage_by_group"),
            groups_apart(None),
            key="village_code",
            chart=("group_label", "coverage_pct"),
        ),
        "coverage_trend": trend_part("coverage_by_village", "village_code"),
    },
}
TIMELY = "due_date, on_time, late, arrival_unknown, villages_rejected, missing, not_yet_due, on_time_pct, reporting_pct"


def gap_by_group(summary: bool) -> tuple[str, str]:
    """The budget gap by group's title and note, on a page with a summary of its people or without."""
    where = ": jumlah orang ada di ringkasan" if summary else ""
    return (
        "Biaya menutup kesenjangan per kelompok",
        "Orang yang belum terdaftar di tiap kelompok dikalikan iuran minimum BPU yang berlaku bulan itu (JKK + JKM). "
        f"Seseorang yang menjabat di dua kelompok dihitung di keduanya, jadi baris-baris ini tidak dijumlahkan{where}. "
        "Arahkan penunjuk ke angka untuk melihat jumlah persisnya.",
    )


ROWS = "array_to_string(list_sort(list_distinct(list({}.source_row))), ', ')"  # '5, 7, 12'
# A rejected row shows its errors only, as in the corrections workbook (warehouse/statements/select_rejects.sql):
# a warning on a row that also has an error adds nothing until the errors are fixed
ERRORS_ONLY = (
    "not (f.severity = 'warning' and (f.sha256, f.sheet, f.source_row) in (select (sha256, sheet, source_row) "
    "from validation_failures where is_current and severity = 'error' and source_row is not null))"
)
CLOSED = "status as period_state, acted_by, acted_at, reason, files_pending"
QUALITY = "files_rejected, rows_loaded, rows_rejected, error_rate, top_check"
UNPLACED = (  # a roster file placed on no village (report.folder_districts: the kecamatan of its folder, or none)
    "from file_reconciliation f join folder_districts d using (source_file, sha256) "
    f"left join districts k on k.district_code = d.district_code where {REJECTED_WHOLE}"
)
UNPLACED_NOTE = (
    "Berkas yang diterima tetapi tidak dapat dicocokkan dengan desa/kelurahan mana pun: orang di dalamnya belum "
    "terhitung. Hubungi desa pengirimnya, sampaikan alasannya, dan minta berkas dikirim kembali. Daftar yang sama "
    "ada di daftar berkas tidak dikenali tiap kecamatan."
)
# The parts below the top, per kind of page: the kecamatan of a regency, the desa of a kecamatan, a desa's own.
BELOW: dict[str, dict[str, Part]] = {
    "regency": {
        "submission_timeliness": Part(
            f"select period, {BY_REGENCY} as regency_code, district_code, district_name, villages_expected, "
            f"villages_submitted, {TIMELY} from submission_timeliness order by district_name",
            "Ketepatan waktu dan kelengkapan laporan per kecamatan",
            note_of("submission_timeliness"),
            key="regency_code",
            links=DISTRICT_LINK,
        ),
        "budget_gap_total": Part(
            f"select period, {BY_REGENCY} as regency_code, district_code, district_name, members, uncovered, "
            "monthly_cost_idr, annual_cost_idr from budget_gap_total where area_level = 'kecamatan' "
            "order by annual_cost_idr desc, district_name",
            title_of("budget_gap_total"),
            note_of("budget_gap_total"),
            key="regency_code",
            links=DISTRICT_LINK,
        ),
        "coverage_by_district": Part(
            f"select period, {BY_REGENCY} as regency_code, district_code, district_name, members, enrolled, "
            "coverage_pct as crude_pct, is_provisional from coverage_by_district order by coverage_pct, district_name",
            title_of("coverage_by_district"),
            note_of("coverage_by_district"),
            key="regency_code",
            links=DISTRICT_LINK,
        ),
        "data_quality": Part(
            f"select period, {BY_REGENCY} as regency_code, district_code, district_name, sum(files_rejected) "
            "as files_rejected, sum(rows_loaded) as rows_loaded, sum(rows_rejected) as rows_rejected "
            "from data_quality_by_village group by all order by district_name",
            "Mutu data per kecamatan: berkas dan baris ditolak",
            "Baris dan berkas yang ditolak menunggu perbaikan dari desa: lihat halaman tiap desa.",
            key="regency_code",
            links=DISTRICT_LINK,
        ),
        "unplaced": Part(
            # a file whose folder names no kecamatan is the regency's, when the warehouse holds one regency
            "select f.period, coalesce(left(d.district_code, 5), "
            "(select any_value(regency_code) from regencies having count(*) = 1)) as regency_code, d.district_code, "
            "coalesce(k.district_name, '(folder tanpa nama kecamatan)') as district_name, f.source_file, f.alasan "
            f"{UNPLACED} order by k.district_name nulls last, f.source_file",
            "Berkas yang tidak dapat ditempatkan pada desa mana pun",
            UNPLACED_NOTE,
            key="regency_code",
            links=DISTRICT_LINK,
        ),
        "period_status": Part(
            f"select period, {BY_REGENCY} as regency_code, district_code, district_name, {CLOSED} "
            "from period_status where acted_by is not null or files_pending > 0 order by district_name",
            title_of("period_status"),
            note_of("period_status"),
            key="regency_code",
            links=DISTRICT_LINK,
        ),
    },
    "district": {
        "submission_timeliness": Part(
            "select period, district_code, village_code, village_name, status as timeliness, due_date, "
            "first_received_at, days_late from submission_timeliness_by_village order by village_name",
            "Ketepatan waktu laporan per desa/kelurahan",
            note_of("submission_timeliness"),
            key="district_code",
            links=VILLAGE_LINK,
        ),
        "budget_gap": Part(
            "select period, district_code, group_label, uncovered, monthly_cost_idr, annual_cost_idr "
            f"from budget_gap b {GROUPED} order by g.sort_order",
            *gap_by_group(summary=True),
            key="district_code",
        ),
        "data_quality": Part(
            f"select period, district_code, village_code, village_name, {QUALITY} from data_quality_by_village "
            "where files_rejected > 0 or rows_rejected > 0 "
            "order by files_rejected desc, rows_rejected desc, village_name",
            "Desa/kelurahan dengan berkas atau baris ditolak",
            "Baris dan berkas yang ditolak menunggu perbaikan dari desa: lihat halaman tiap desa.",
            key="district_code",
            links=VILLAGE_LINK,
        ),
        "unplaced": Part(
            f"select f.period, d.district_code, f.source_file, f.alasan {UNPLACED} order by f.source_file",
            "Berkas yang tidak dapat ditempatkan pada desa mana pun",
            UNPLACED_NOTE,
            key="district_code",
        ),
        "period_status": Part(
            f"select period, district_code, {CLOSED} from period_status",
            title_of("period_status"),
            note_of("period_status"),
            key="district_code",
        ),
    },
    "village": {
        "submission_timeliness": Part(
            "select period, village_code, status as timeliness, due_date, first_received_at, days_late "
            "from submission_timeliness_by_village",
            "Ketepatan waktu laporan",
            note_of("submission_timeliness"),
            key="village_code",
        ),
        "arrears": Part(
            "select period, village_code, group_label, people_in_arrears as people, months_unpaid, "
            f"cost_to_bring_current_idr as arrears_idr from arrears_by_village_group a {GROUPED} "
            "order by g.sort_order",
            "Peserta yang iurannya menunggak",
            "Orang yang menurut BPJS iurannya berhenti sebelum bulan ini, dan biaya melunasi tunggakannya.",
            key="village_code",
        ),
        "budget_gap": Part(
            "select period, village_code, group_label, uncovered, monthly_cost_idr, annual_cost_idr "
            f"from budget_gap_by_village b {GROUPED} order by g.sort_order",
            *gap_by_group(summary=False),
            key="village_code",
        ),
        "data_quality": Part(
            f"select period, village_code, {QUALITY} from data_quality_by_village",
            "Mutu data",
            key="village_code",
        ),
        "fix_rows": Part(
            "select f.period, r.village_code, f.severity, coalesce(f.sheet, 'Seluruh berkas') as sheet, "
            f"f.check_name as problem, f.check_name as fix, count(*) as failures, {ROWS.format('f')} as source_rows "
            "from validation_failures f join file_reconciliation r using (source_file, sha256) "
            f"where f.is_current and r.village_code is not null and {ERRORS_ONLY} group by all "
            "order by f.severity, sheet, min(f.source_row), problem",
            "Yang harus diperbaiki desa bulan ini",
            "Sama dengan lembar koreksi desa: baris DITOLAK belum dihitung sampai diperbaiki; pada baris PERINGATAN "
            "berkasnya dihitung, tetapi barisnya perlu diperiksa. Perbaiki baris-baris ini di berkas desa, lalu "
            "kirim kembali.",
            key="village_code",
        ),
        "fix_files": Part(
            f"select period, village_code, source_file, alasan from file_reconciliation where {REJECTED_WHOLE} "
            "and village_code is not null order by alasan, source_file",
            "Berkas yang ditolak seluruhnya",
            key="village_code",
        ),
        "fix_people": Part(
            "select d.period, d.village_code, group_label, d.status as result, d.status as meaning, "
            f"count(distinct d.person_id) as people, {ROWS.format('r')} as source_rows "
            "from verification_discrepancies d "
            f"{GROUPED} left join roster r using (period, village_code, group_code, person_id) "
            "group by all order by min(g.sort_order), result",
            "Selisih dengan data BPJS yang perlu ditindaklanjuti",
            "Sama dengan lembar selisih BPJS desa: orang-orang ini ada di baris yang disebut; lakukan yang "
            "tertulis di lembar itu.",
            key="village_code",
        ),
        "period_status": Part(
            # the kecamatan's close, the village's own held files (period_status counts the kecamatan's)
            "select s.period, v.village_code, "
            f"{CLOSED.replace('files_pending', 'coalesce(p.files, 0) as files_pending')} "
            "from period_status s join villages v using (district_code) left join (select period, village_code, "
            "count(distinct sha256) as files from pending_corrections group by all) p using (period, village_code)",
            title_of("period_status"),
            note_of("period_status"),
            key="village_code",
        ),
    },
}
PROVINCE: dict[str, Part] = {
    "coverage_by_regency": Part(
        "select c.period, c.regency_code, c.regency_name, c.members, c.enrolled, c.coverage_pct, "
        "s.villages_expected, s.villages_submitted, s.villages_rejected, s.completeness_pct, c.is_provisional "
        "from coverage_by_regency c left join submission_status_by_regency s using (period, regency_code) "
        "order by c.coverage_pct, c.regency_name",
        "Cakupan dan kelengkapan laporan per kabupaten/kota",
        links=(("regency_name", "regency_code"),),
    ),
}
PLACES = """
select v.village_code, v.village_name, d.district_code, d.district_name, r.regency_code, r.regency_name
from villages v join districts d using (district_code) join regencies r on r.regency_code = left(d.district_code, 5)
order by r.regency_code, d.district_name, v.village_name
"""


# --- rendering -------------------------------------------------------------------------------------------

SITE_CSS = """
body{margin:1rem auto}nav.crumbs{font-size:.9rem;margin:.5rem 0}nav.crumbs a{margin-right:.2rem}
.pick{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center;margin:.8rem 0}
.pick a{white-space:nowrap}select,input{font-size:1rem;padding:.2rem .4rem}
.chart{overflow-x:auto;max-width:100%}td:not(.text){white-space:nowrap}
.month{display:none}.month.latest{display:block}.months:has(.month:target) .month.latest:not(:target){display:none}
.month:target{display:block}html.js .month{display:none}html.js .month.shown{display:block}
ul.places{columns:14rem;padding-left:1.2rem}#hasil{list-style:none;padding:0}#hasil li{margin:.2rem 0}
@media (max-width:640px){body{padding:0 .5rem}table{font-size:.8rem}td,th{padding:.2rem .3rem}h1{font-size:1.3rem}}
@media print{@page{size:A4 landscape;margin:12mm}body{max-width:none;margin:0;font-size:9pt}
.pick,form.search{display:none}.wide,.chart{overflow:visible}
table{font-size:7.5pt;width:100%}th,td{white-space:normal;overflow-wrap:break-word}td.path{overflow-wrap:anywhere}
td,th{padding:.1rem .2rem}
thead{display:table-header-group}tr,svg,.card{break-inside:avoid}h2,h3{break-after:avoid}
html.js .month:not(.shown){display:none}a{color:inherit;text-decoration:none}}
"""
SCRIPT = """
document.documentElement.classList.add('js');
(function(){var pick=document.getElementById('bulan'),months=document.querySelectorAll('.month');
function show(p){var found=false;months.forEach(function(m){var on=m.dataset.period===p;m.classList.toggle('shown',on);
found=found||on});if(!found){var latest=document.querySelectorAll('.month.latest');
latest.forEach(function(m){m.classList.add('shown')});if(latest.length)p=latest[0].dataset.period}
pick.value=p;document.querySelectorAll('a[data-site]').forEach(function(a){a.hash='p-'+p})}
pick.hidden=false;pick.onchange=function(){show(pick.value);history.replaceState(null,'','#p-'+pick.value)};
function fromHash(){var h=location.hash.slice(1);show(h.indexOf('p-')===0?h.slice(2):pick.value)}
fromHash();window.addEventListener('hashchange',fromHash);
var form=document.querySelector('form.search');if(!form||typeof DESA==='undefined')return;form.hidden=false;
var box=document.getElementById('cari'),list=document.getElementById('hasil');
form.onsubmit=function(e){e.preventDefault()};
box.oninput=function(){var q=box.value.trim().toLowerCase();list.textContent='';if(q.length<2)return;
var found=DESA.filter(function(d){return d[0].toLowerCase().indexOf(q)>=0});
found.slice(0,30).forEach(function(d){var li=document.createElement('li'),a=document.createElement('a');
a.href=ROOT+d[2]+'#p-'+pick.value;a.setAttribute('data-site','');a.textContent=d[0]+' (Kecamatan '+d[1]+')';
li.appendChild(a);list.appendChild(li)});var note=document.createElement('li');list.appendChild(note);
note.textContent=found.length>30?'dan '+(found.length-30)+' lainnya: ketik lebih banyak huruf.'
:found.length?'':'Tidak ada desa/kelurahan dengan nama itu.'}})();
"""


def accessible(svg: str, title: str, description: str) -> str:
    """A chart with a text alternative (`<title>`, `<desc>`), in a box that scrolls sideways where the screen is
    narrower than the chart, which keeps its drawn size (report.svg_opening: shrunk to a phone's width its 11-unit
    labels would be 5 px; its `viewBox` scales it to the paper's width in print)."""
    opened = svg.index(">") + 1
    opening = svg[:opened].replace(SVG_NAMESPACE, "")  # inline in HTML it needs none: no address on a page
    alternative = f"<title>{escape(title)}</title><desc>{escape(description)}</desc>"
    return f'<div class="chart">{opening}{alternative}{svg[opened:]}</div>'


Href = Callable[[str, str], str]  # (code column, code) -> a page's path relative to the page being written


@cache
def table_head(columns: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """A table's header row, and how each column's cells open (`<td>` or `<td class=text>`: words align left)."""
    text = [kind_of(c) not in ("int", "pct", "pct2", "pp", "idr", "index") for c in columns]
    head = "".join(
        f'<th{" class=text" if t else ""} scope=col data-col="{c}">{escape(heading(c))}</th>'
        for c, t in zip(columns, text, strict=True)
    )
    # a file's path may break anywhere in print (a long name without a space); other words only where they may
    opened = (
        '<td class="text path"' if c == "source_file" else "<td class=text" if t else "<td"
        for c, t in zip(columns, text, strict=True)
    )
    return head, tuple(opened)


def table(view: str, frame: pl.DataFrame, hidden: set[str], links: dict[str, str], href: Href) -> str:
    """The rows of `frame` without its `hidden` code columns; a linked column links each row to its page.

    The table names its part (`data-part`) and each header its column (`data-col`): a cell is a figure of the
    part's row (its place in the body) and of its header's column, with no markup repeated in every cell."""
    if frame.is_empty():
        return NONE
    columns = tuple(c for c in frame.columns if c not in hidden)
    head, opening = table_head(columns)
    at = {c: i for i, c in enumerate(frame.columns)}
    layout = [
        (column, at[column], start, kind_of(column) == "idr", at.get(links.get(column, "")))
        for column, start in zip(columns, opening, strict=True)
    ]
    rows = []
    for row in frame.rows():
        cells = []
        for column, index, start, rupiah, link in layout:
            value = row[index]
            content = shown(value, column)
            if link is not None and row[link] is not None:
                content = f'<a href="{href(links[column], str(row[link]))}" data-site>{content}</a>'
            cells.append(f"{start}{exact(value, column) if rupiah else ''}>{content}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    body = f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
    return f'<div class="wide"><table data-part="{view}">{body}</table></div>'


def trust(frame: pl.DataFrame) -> str:
    """The trust line in the report's words: how recent, who is missing, reported beside verified, provisional."""
    if frame.is_empty():
        return NONE
    row = frame.row(0, named=True)

    def figure(column: str) -> str:
        return tagged("trust", 0, column, row[column])

    newest = (
        f"{TRUST['newest'][0]} {figure('newest_file_at')}"
        if row["newest_file_at"] is not None
        else NOT_SENT[0 if "status" in row else 1]
    )
    lines = [f"{TRUST['as_of'][0]} {newest}; {TRUST['last_run'][0]} {figure('last_run_at')}."]
    if "villages_expected" in row:
        villages = TRUST["villages"][0].format(missing=figure("villages_missing"), rejected=figure("villages_rejected"))
        lines.append(f"{figure('villages_expected')} {villages}")
    if "status" in row:
        lines.append(f"{COLUMNS['status'][1]} {COLUMNS['period'][1].lower()} ini: {figure('status')}.")
    if "coverage_pct" in row and row["coverage_pct"] is not None:
        coverage = f"{TRUST['coverage'][0]} {figure('coverage_pct')}%"
        if "verified_pct" in row:
            verified = (
                f"{figure('verified_pct')}% {TRUST['verified'][0]}."
                if row["verified_pct"] is not None
                else TRUST["unverified"][0]
            )
            coverage += f"; {verified}"
        lines.append(coverage + ("" if "verified_pct" in row else "."))
    if row.get("is_provisional"):  # on a desa page, its kecamatan's flag: said as the kecamatan's
        whose = "angka kecamatan " if "status" in row else ""
        lines.append(
            f"{COLUMNS['is_provisional'][1]}: {whose}{figure('is_provisional')} ({note_of('coverage_by_district')})"
        )
    return '<ul class="trust">' + "".join(f"<li>{line}</li>" for line in lines) + "</ul>"


def trend(frame: pl.DataFrame, place: str) -> str:
    """Coverage over the months, one line per group (the report's chart, with a text alternative), and its table."""
    if frame.is_empty():
        return NONE
    months = sorted(set(frame["period"].to_list()))
    last = zip(*(frame[c].to_list() for c in ("group_label", "period", "coverage_pct")), strict=True)
    description = (
        f"Cakupan dilaporkan per kelompok di {place}, {month_name(months[0])} sampai {month_name(months[-1])}. "
        f"{month_name(months[-1])}: "
        + "; ".join(f"{g} {cell(p, 'coverage_pct')}%" for g, month, p in last if month == months[-1])
        + ". Angka lengkap ada di tabel di bawah grafik."
    )
    chart = trend_svg(frame, "id").replace(  # an x-axis title under the months
        "</svg>", f'<text x="332" y="262" text-anchor="middle">{COLUMNS["period"][1]}</text></svg>', 1
    )
    chart = chart.replace(f'height="{12 + 220 + 30}"', f'height="{12 + 220 + 40}"', 1)
    return accessible(chart, f"{title_of('coverage_trend')}: {place}", description) + table(
        "coverage_trend", frame, set(KEYS), {}, no_links
    )


def no_links(_column: str, _code: str) -> str:
    raise AssertionError("a table without links linked a row")


def bars(view: str, frame: pl.DataFrame, label: str, value: str, place: str, period: str) -> str:
    description = f"{heading(value)} per {heading(label).lower()} di {place}, {month_name(period)}: " + "; ".join(
        f"{name} {cell(amount, value)}"
        for name, amount in zip(frame[label].to_list(), frame[value].to_list(), strict=True)
    )
    return accessible(bars_svg(view, frame, label, value, "id"), f"{heading(value)}: {place}", description + ".")


@dataclass
class Page:
    """One page: where it is, the place it is about, the pages above it and below it."""

    path: str  # from the site's root
    level: str  # 'province', 'whole' (the warehouse's one regency), 'regency', 'district' or 'village'
    keys: dict[str, str]  # the place's codes: regency_code, district_code, village_code as they apply
    name: str
    prefix: str  # the page set's folder ('' for a regency warehouse, '<regency code>/' in a province)
    crumbs: list[tuple[str, str]]  # (path from the root, name) of the pages above it
    places: list[tuple[str, str]] = field(default_factory=list)  # (path from the root, name) of the pages below
    places_title: str = ""

    def to(self, target: str) -> str:
        """`target` (a path from the site's root) as seen from this page."""
        return "../" * self.path.count("/") + target


def parts_of(level: str) -> dict[str, Part]:
    """The parts a page of `level` shows, in order."""
    if level == "province":
        return {**TOP["whole"], **PROVINCE}
    return {**TOP[level], **BELOW["regency" if level == "whole" else level]}


Split = dict[str, dict[tuple[str | None, str | None], pl.DataFrame]]  # part's SQL -> (place, period) -> rows


def split(part: Part, frame: pl.DataFrame) -> dict[tuple[str | None, str | None], pl.DataFrame]:
    """A part's rows by (place, period), each in the part's order: one stable sort and a slice per page and month
    (a slice shares the frame's memory), never a query per page."""
    by = [c for c in (part.key, "period" if part.monthly else None) if c]
    if not by:
        return {(None, None): frame}
    frame = frame.sort(by, maintain_order=True)
    keys = list(zip(*(frame[c].cast(pl.String).to_list() for c in by), strict=True))
    found, start = {}, 0
    for end in range(1, len(keys) + 1):
        if end == len(keys) or keys[end] != keys[start]:
            key = keys[start]
            found[(key[0] if part.key else None, key[-1] if part.monthly else None)] = frame.slice(start, end - start)
            start = end
    return found


def section(name: str, title: str, note: str, body: str, period: str = "") -> str:
    """A part's section; its id names the month too (`arrears-2024-04`): one id per page, whatever the months."""
    paragraph = f'<p class="note">{escape(note)}</p>' if note else ""
    where = f"{name}-{period}" if period else name
    return f'<section class="part" id="{where}"><h3>{escape(title)}</h3>{paragraph}{body}</section>'


def summary(frame: pl.DataFrame) -> str:
    """The report's summary cards, for the cards whose figure the place's views have."""
    if frame.is_empty():
        return NONE
    missing = [column for column, _, _ in SUMMARY_CARDS if column not in frame.columns]
    cards = summary_html(frame.with_columns(pl.lit(None).alias(column) for column in missing), "id")
    return cards.replace(' id="regency_summary"', "", 1)  # the report's id: one per month here, so none


def render_page(page: Page, data: Split, periods: list[str], made: str) -> str:
    """The whole page: month picker, one panel per month (the latest shown), the trend, the places below."""
    parts = parts_of(page.level)
    hidden = set(KEYS) | {"period"}

    def href(column: str, code: str) -> str:
        if column == "regency_code":
            return page.to(f"{code}/index.html")
        return page.to(f"{page.prefix}{'kecamatan' if column == 'district_code' else 'desa'}/{code}.html")

    def rows(part: Part, period: str | None) -> pl.DataFrame:
        found = data[part.sql].get((page.keys[part.key] if part.key else None, period))
        return pl.DataFrame() if found is None else found

    def counted(period: str) -> bool:
        """Whether the place has a file counted for the month: a desa's status 'terkirim'; for a region, a
        village that neither is missing nor had its file rejected."""
        trust_rows = rows(parts["trust"], period)
        if trust_rows.is_empty():
            return False
        row = trust_rows.row(0, named=True)
        if "status" in row:
            return bool(row["status"] == "terkirim")
        return bool((row["villages_expected"] or 0) > (row["villages_missing"] or 0) + (row["villages_rejected"] or 0))

    panels = []
    for period in periods:
        blocks = []
        for name, part in parts.items():
            if not part.monthly:
                continue
            frame = rows(part, period)
            if name in NEEDS_FILE and frame.is_empty() and not counted(period):
                body = no_data(page.level)
            elif name == "trust":
                body = trust(frame)
            elif name == "regency_summary":
                body = summary(frame)
            elif name == "unplaced" and not frame.is_empty():
                body = f"<p>Jumlah: {frame.height} berkas.</p>" + table(name, frame, hidden, dict(part.links), href)
            else:
                chart = bars(name, frame, *part.chart, page.name, period) if part.chart and not frame.is_empty() else ""
                body = chart + table(name, frame, hidden, dict(part.links), href)
            blocks.append(section(name, part.title, part.note, body, period))
        latest = " latest" if period == periods[-1] else ""
        panels.append(
            f'<section class="month{latest}" id="p-{period}" data-period="{period}">'
            f"<h2>{escape(month_name(period))}</h2>{''.join(blocks)}</section>"
        )
    options = "".join(
        f'<option value="{p}"{" selected" if p == periods[-1] else ""}>{escape(month_name(p))}</option>'
        for p in reversed(periods)
    )
    links = " ".join(f'<a href="#p-{p}">{escape(month_name(p))}</a>' for p in reversed(periods))
    label = COLUMNS["period"][1]
    picker = (
        f'<nav class="pick" aria-label="{label}"><label for="bulan">{label}:</label>'
        f'<select id="bulan" hidden>{options}</select><span>{links}</span></nav>'
    )
    over_time = [part for part in parts.values() if not part.monthly]
    trend_html = "".join(
        section("coverage_trend", part.title, "", trend(rows(part, None), page.name)) for part in over_time
    )
    below = ""
    if page.places:
        items = "".join(
            f'<li><a href="{page.to(path)}" data-site>{escape(name)}</a></li>' for path, name in page.places
        )
        below = f'<section id="places"><h2>{escape(page.places_title)}</h2><ul class="places">{items}</ul></section>'
    crumbs = "".join(f'<a href="{page.to(path)}" data-site>{escape(name)}</a> › ' for path, name in page.crumbs)
    crumbs_html = f'<nav class="crumbs" aria-label="Letak halaman">{crumbs}{escape(page.name)}</nav>' if crumbs else ""
    search = f'{SEARCH}<script src="{page.to(page.prefix + INDEX)}"></script>'
    root = json.dumps("../" * page.path.count("/"))
    title = f"{page.name}, {page.crumbs[-1][1]}" if page.level == "village" else page.name  # printed: its kecamatan
    return (
        '<!doctype html><html lang="id"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}{SITE_CSS}</style></head><body>"
        f'{crumbs_html}<h1>{escape(page.name)}</h1><p class="note">{escape(SUBJECT)}. '
        f"{TEXT['made'][0]} {made}.</p>{search}{picker}"
        f'<div class="months">{"".join(panels)}</div>{trend_html}{below}'
        f"<script>var ROOT={root};{SCRIPT}</script></body></html>"
    )


SEARCH = (  # the desa search: shown only when scripts run and the page set's index (INDEX) has loaded
    '<form class="search" role="search" hidden><label for="cari">Cari desa/kelurahan:</label> '
    '<input id="cari" type="search" autocomplete="off"><ul id="hasil" aria-live="polite"></ul></form>'
)
INDEX = "cari.js"  # beside each page set's index.html: its villages, read by every page of the set


def search_index(villages: pl.DataFrame, province: bool) -> str:
    """The script that names every desa of `villages` for the search: name, kecamatan, page from the site's root.

    One file per page set rather than a copy in each of its pages (a regency's 331 desa are 20 KB)."""
    index = [
        [name, district, f"{regency + '/' if province else ''}desa/{code}.html"]
        for code, name, district, regency in villages.select(
            "village_code", "village_name", "district_name", "regency_code"
        ).iter_rows()
    ]
    return f"var DESA={json.dumps(index, ensure_ascii=False)};\n"


def pages(places: pl.DataFrame, province: bool) -> Iterable[Page]:
    """Every page to write: the province index first, then each regency's, its kecamatan's and its desa's."""
    if province:
        regencies = places.unique("regency_code", maintain_order=True)
        yield Page(
            "index.html",
            "province",
            {},
            f"Provinsi: {regencies.height} kabupaten/kota",
            "",
            [],
            [(f"{c}/index.html", n) for c, n in regencies.select("regency_code", "regency_name").iter_rows()],
            "Kabupaten/kota",
        )
    top = [("index.html", "Provinsi")] if province else []  # the way back to the province index
    for (regency_code, regency_name), villages in places.group_by("regency_code", "regency_name", maintain_order=True):
        prefix = f"{regency_code}/" if province else ""
        districts = villages.unique("district_code", maintain_order=True).select("district_code", "district_name")
        regency = Page(
            f"{prefix}index.html",
            "regency" if province else "whole",
            {"regency_code": str(regency_code)},
            str(regency_name),
            prefix,
            top,
            [(f"{prefix}kecamatan/{c}.html", f"Kecamatan {n}") for c, n in districts.iter_rows()],
            "Kecamatan",
        )
        yield regency
        by_district: dict[str, list[tuple[str, str]]] = {}  # plain lists: a frame operation per kecamatan adds up
        for code, name, in_district in villages.select("village_code", "village_name", "district_code").rows():
            by_district.setdefault(in_district, []).append((code, name))
        for district_code, district_name in districts.iter_rows():
            mine = by_district[district_code]
            district = Page(
                f"{prefix}kecamatan/{district_code}.html",
                "district",
                {"regency_code": str(regency_code), "district_code": district_code},
                f"Kecamatan {district_name}",
                prefix,
                [*top, (regency.path, regency.name)],
                [(f"{prefix}desa/{c}.html", n) for c, n in mine],
                "Desa/kelurahan",
            )
            yield district
            for village_code, village_name in mine:
                page = Page(
                    f"{prefix}desa/{village_code}.html",
                    "village",
                    {"regency_code": str(regency_code), "district_code": district_code, "village_code": village_code},
                    f"Desa/kelurahan {village_name}",
                    prefix,
                    [*top, (regency.path, regency.name), (district.path, district.name)],
                )
                yield page


def check_site(out_dir: Path, protected: list[Path]) -> None:
    """Refuse a file, or a folder holding anything but an older site (its index.html a page)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"{out_dir} is a file; give a folder for the site")
    check_output(out_dir / "index.html", protected)
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / "index.html").is_file():
        raise ValueError(f"{out_dir} holds other files; give a new or empty folder, or an older site")


def write_site(warehouse: Path, out_dir: Path, now: dt.datetime | None = None) -> list[Path]:
    """Query every part once (the warehouse read-only) and write every page under `out_dir`; return them."""
    check_site(out_dir, [warehouse, state_path_for(warehouse)])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set enable_progress_bar = false")
        periods = [str(p) for (p,) in con.execute("select period from coverage_regency order by period").fetchall()]
        if not periods:
            raise ValueError(f"no rosters in {warehouse}")
        places = query_frame(con, PLACES)
        folder_districts(con)
        province = places["regency_code"].n_unique() > 1
        levels = ("province", "regency", "district", "village") if province else ("whole", "district", "village")
        wanted = {part.sql: part for level in levels for part in parts_of(level).values()}
        data = {sql: split(part, query_frame(con, sql)) for sql, part in wanted.items()}
    made = timestamp(now or dt.datetime.now(dt.UTC), "id")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / INDEX).write_text(search_index(places, province))  # the province's, or the one regency's
    written = []
    for page in pages(places, province):
        path = out_dir / page.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if page.level == "regency":  # a regency of a province: its own villages
            villages = places.filter(pl.col("regency_code") == page.keys["regency_code"])
            (out_dir / page.prefix / INDEX).write_text(search_index(villages, province))
        path.write_text(render_page(page, data, periods, made))
        written.append(path)
    return written
