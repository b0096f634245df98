"""One self-contained HTML page for a period, in Bahasa Indonesia (or English): charts and tables from the views.

Every figure on the page is a value of a SECTIONS query formatted by `cell`, and carries
`data-view`, `data-row` and `data-col`, so a test can read the rendered page back and compare
it with the views. No script, no CDN: the page works offline and prints.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Literal

import duckdb
import polars as pl

from flows.ingest.dates import MONTH_NAMES, month_name
from flows.ingest.place import place_key
from flows.outputs.rejects import district_of
from flows.privacy import mask_text
from flows.settings import state_path_for
from flows.store.paths import check_output
from flows.store.sql import query_frame
from schemas.roster import check_catalog

Lang = Literal["id", "en"]
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")  # Western Indonesia Time: UTC+7, no daylight saving

CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2733;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.3rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #ccd}
h3{font-size:1rem;margin:1.2rem 0 .3rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
td,th{padding:.25rem .6rem;border-bottom:1px solid #e3e6ea;text-align:right;vertical-align:top}
th{font-weight:600;background:#f4f6f8}
td:first-child,th:first-child{text-align:left}td.text,th.text{text-align:left}
.note{color:#5b6775;font-size:.85rem;max-width:60rem}.context{border-left:4px solid #d68910;padding:.2rem .8rem}
.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}
.card{border:1px solid #d5dbe1;border-radius:6px;padding:.6rem .9rem;min-width:11rem}
.card b{display:block;font-size:1.4rem}.card span.what{color:#5b6775;font-size:.85rem}
.wide{overflow-x:auto;max-width:100%}svg{max-width:100%;height:auto}
svg text{font-size:11px;fill:#1d2733}svg .axis{stroke:#8895a3}svg .grid{stroke:#e3e6ea}
@media print{.wide{overflow:visible}svg{min-width:0!important}}
"""

# What each column is, for formatting and for its heading: kind, Indonesian heading, English heading.
# Kinds: int (1.234), pct (33,3), pct2 (0,04), pp (+1,2 percentage points), idr (Rp 1.234), index (0,87),
# period (April 2024), flag (sementara), status (belum mengirim), check (a check's problem in Indonesian), text.
# Rupiah (idr) read in juta/miliar ('Rp 6,1 miliar'); the exact amount is the cell's title (`exact_rupiah`).
COLUMNS: dict[str, tuple[str, str, str]] = {
    "group_label": ("text", "Kelompok", "Group"),
    "district_name": ("text", "Kecamatan", "District (kecamatan)"),
    "village_name": ("text", "Desa/kelurahan", "Village"),
    "village_names": ("text", "Desa/kelurahan", "Villages"),
    "top_check": ("check", "Masalah paling sering", "Most frequent problem"),
    "members": ("int", "Orang di daftar", "People on rosters"),
    "enrolled": ("int", "Terdaftar menurut desa", "Enrolled as reported"),
    "uncovered": ("int", "Belum terdaftar", "Not enrolled"),
    "coverage_pct": ("pct", "Cakupan dilaporkan (%)", "Reported coverage (%)"),
    "regency_coverage_pct": ("pct", "Cakupan kabupaten (%)", "Regency coverage (%)"),
    "pct_points_vs_regency": ("pp", "Selisih dari kabupaten (poin)", "Versus the regency (points)"),
    "rank_in_group": ("int", "Peringkat (1 = terendah)", "Rank (1 = lowest)"),
    "districts_in_group": ("int", "Dari kecamatan", "Of districts"),
    "crude_pct": ("pct", "Cakupan kasar (%)", "Crude coverage (%)"),
    "mix_adjusted_pct": ("pct", "Cakupan setara (%)", "Mix-adjusted coverage (%)"),
    "coverage_index": ("index", "Indeks (1 = setara kabupaten)", "Index (1 = as the regency)"),
    "rank_adjusted": ("int", "Peringkat setara (1 = terendah)", "Adjusted rank (1 = lowest)"),
    "is_provisional": ("flag", "Catatan", "Note"),
    "period": ("period", "Bulan", "Month"),
    "export_kind": ("text", "Jenis data", "Kind of data"),
    "export_period": ("period", "Bulan ekspor", "Export month"),
    "export_files": ("int", "Berkas", "Files"),
    "rows_counted": ("int", "Baris dipakai", "Rows used"),
    "change_pct_points": ("pp", "Perubahan (poin)", "Change (points)"),
    "villages_expected": ("int", "Desa/kel. seharusnya", "Villages expected"),
    "villages_submitted": ("int", "Mengirim", "Submitted"),
    "villages_rejected": ("int", "Semua berkas ditolak", "Every file rejected"),
    "villages_missing": ("int", "Belum mengirim", "Missing"),
    "villages": ("int", "Jumlah desa/kel.", "Villages"),
    "completeness_pct": ("pct", "Kelengkapan (%)", "Completeness (%)"),
    "status": ("status", "Status", "Status"),
    "target_pct": ("pct", "Target (%)", "Target (%)"),
    "due_period": ("period", "Tenggat", "Due"),
    "gap_people": ("int", "Kurang (orang)", "Still to enrol"),
    "months_left": ("int", "Sisa bulan", "Months left"),
    "people_per_month": ("int", "Perlu per bulan", "Needed per month"),
    "year": ("text", "Tahun", "Year"),
    "base_population": ("int", "Seluruh pekerja", "All workers"),
    "target_people": ("int", "Target (orang)", "Target (people)"),
    "roster_enrolled": ("int", "Terdaftar di daftar desa", "Enrolled on village rosters"),
    "roster_contribution_pct": ("pct2", "Bagian dari target (%)", "Share of the target (%)"),
    "monthly_cost_idr": ("idr", "Biaya per bulan", "Cost a month"),
    "annual_cost_idr": ("idr", "Biaya per tahun", "Cost a year"),
    "rows_loaded": ("int", "Baris dimuat", "Rows loaded"),
    "rows_rejected": ("int", "Baris ditolak", "Rows rejected"),
    "files_rejected": ("int", "Berkas ditolak seluruhnya", "Files rejected whole"),
    "rejected_because": ("text", "Alasan berkas ditolak", "Why its files were rejected"),
    "files_unplaced": ("int", "Berkas tidak dikenali", "Files placed on no village"),
    "set_by": ("status", "Ditetapkan oleh", "Set by"),
    "newest_file_at": ("moment", "Berkas terbaru diterima", "Newest file received"),
    "last_run_at": ("moment", "Proses terakhir", "Last run"),
    "rosters_from": ("period", "Daftar desa dari", "Rosters from"),
    "rosters_to": ("period", "sampai", "to"),
    "payments_from": ("period", "Data pembayaran BPJS dari", "BPJS payments from"),
    "payments_to": ("period", "sampai", "to"),
    "is_partial": ("partial", "Catatan", "Note"),
    "error_rate": ("pct", "Tingkat kesalahan (%)", "Error rate (%)"),
    "verified": ("int", "Terverifikasi BPJS", "Verified by BPJS"),
    "verified_pct": ("pct", "Cakupan terverifikasi (%)", "Verified coverage (%)"),
    "not_found": ("int", "Tidak ditemukan", "Not found"),
    "inactive": ("int", "Tidak aktif", "Inactive"),
    "in_arrears": ("int", "Menunggak", "In arrears"),
    "not_reported": ("int", "Aktif, dilaporkan belum", "Active, reported not"),
    "contributions_idr": ("idr", "Iuran dibayar", "Contributions paid"),
    "claims_idr": ("idr", "Klaim dibayar", "Claims paid"),
    "claims_count": ("int", "Jumlah klaim", "Claims"),
    "claims_per_contribution": ("index", "Klaim per rupiah iuran", "Claims per rupiah contributed"),
    "year_group": ("text", "Tahun dan kelompok", "Year and group"),
    "due_date": ("date", "Batas kirim", "Due"),
    "on_time": ("int", "Tepat waktu", "On time"),
    "late": ("int", "Terlambat", "Late"),
    "arrival_unknown": ("int", "Waktu kirim tidak diketahui", "Arrival unknown"),
    "missing": ("int", "Belum mengirim, lewat batas", "Missing, past the due date"),
    "not_yet_due": ("int", "Belum jatuh tempo", "Not yet due"),
    "on_time_pct": ("pct", "Tepat waktu (% yang diketahui)", "On time (% of known)"),
    "reporting_pct": ("pct", "Mengirim (%)", "Reported (%)"),
    "period_state": ("status", "Status bulan", "Month"),
    "acted_by": ("text", "Oleh", "By"),
    "acted_at": ("moment", "Pada", "At"),
    "reason": ("text", "Alasan", "Why"),
    "files_pending": ("int", "Berkas ditahan", "Files held"),
    "check_name": ("status", "Perubahan", "Change"),
    "value_before": ("int", "Bulan sebelumnya", "Month before"),
    "value_now": ("int", "Bulan ini", "This month"),
}
WORDS = {
    "provisional": ("sementara", "provisional"),
    "partial": ("tahun belum lengkap: jangan dibandingkan dengan tahun penuh", "part of the year only: not comparable"),
    "contoh": ("contoh bawaan aplikasi, bukan keputusan kabupaten", "example shipped with cakupan, not the regency's"),
    "kabupaten": ("kabupaten", "the regency"),
    "belum_mengirim": ("belum mengirim", "missing"),
    "ditolak": ("ditolak", "rejected"),
    "terkirim": ("mengirim", "submitted"),
    "ditutup": ("ditutup", "closed"),
    "terbuka": ("terbuka", "open"),
    "members_change": ("jumlah orang berubah tajam", "members changed sharply"),
    "enrolled_change": ("jumlah terdaftar berubah tajam", "enrolled changed sharply"),
    "enrolment_drop": ("kepesertaan hilang", "enrolment dropped"),
    "roster_replaced": ("daftar diganti hampir seluruhnya", "roster replaced"),
}


def number(value: float, decimals: int, lang: Lang) -> str:
    """`1.234,5` in Indonesian, `1,234.5` in English."""
    text = f"{value:,.{decimals}f}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "id" else text


def timestamp(moment: dt.datetime, lang: Lang) -> str:
    """'30 November 2026, 14.05 WIB' (English: '14:05')."""
    local = moment.astimezone(WIB)
    clock = f"{local:%H.%M}" if lang == "id" else f"{local:%H:%M}"
    return f"{local.day} {MONTH_NAMES[lang][local.month - 1]} {local.year}, {clock} WIB"


def rupiah(value: float, lang: Lang) -> str:
    """'Rp 6,1 miliar', 'Rp 43,5 juta', 'Rp 16.800': amounts read the way officials say them."""
    for scale, words in ((1e12, ("triliun", "trillion")), (1e9, ("miliar", "billion")), (1e6, ("juta", "million"))):
        if abs(value) >= scale:
            return f"Rp {number(value / scale, 1, lang)} {words[0] if lang == 'id' else words[1]}"
    return "Rp " + number(value, 0, lang)


def exact_rupiah(value: object, lang: Lang) -> str:
    """The exact amount behind `rupiah` ('Rp 6.108.681.600'), shown as the figure's title."""
    return "Rp " + number(float(str(value)), 0, lang)


# A check's problem as an official reads it on a page. The catalog's words are the corrections workbook's, and two
# of them point to a column of that workbook, which a page does not have: the page says where to look instead.
# A rejected file's reasons are in the report's data quality table (`rejected_because`). Indonesian, English.
ON_A_PAGE = {
    "file_rejected": (
        f"Seluruh berkas ditolak; alasannya di kolom {COLUMNS['rejected_because'][1]}",
        f"The whole file was rejected; why is in the column {COLUMNS['rejected_because'][2]}",
    ),
    "file_conflict": (
        "Ada berkas lain untuk desa, bulan dan kelompok yang sama yang masuk bersamaan; hanya yang terakhir diubah "
        "yang dihitung (nama kedua berkas ada di lembar perbaikan desa/kelurahan itu)",
        "Another file for the same village, month and group arrived with it; only the one changed last counts "
        "(both files are named in the village's corrections workbook)",
    ),
}
CHECK_PROBLEMS = dict(check_catalog().select("check_name", "problem").iter_rows())


def cell(value: object, column: str, lang: Lang = "id") -> str:
    """A figure's text as the page shows it, by the kind of its column (COLUMNS)."""
    if value is None:
        return ""
    kind = COLUMNS[column][0]
    word = 0 if lang == "id" else 1
    if kind == "flag":
        return WORDS["provisional"][word] if value else ""
    if kind == "partial":
        return WORDS["partial"][word] if value else ""
    if kind == "check":  # an official reads what is wrong, never the check's code
        said = ON_A_PAGE[str(value)][word] if str(value) in ON_A_PAGE else CHECK_PROBLEMS.get(str(value), str(value))
        return escape(said.rstrip("."))
    if kind == "status":
        return WORDS[str(value)][word]
    if kind == "period":
        return month_name(str(value), lang)
    if kind == "date":
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        return f"{day.day} {MONTH_NAMES[lang][day.month - 1]} {day.year}"
    if kind == "moment":
        return timestamp(value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value)), lang)
    if kind == "int":
        return number(float(str(value)), 0, lang)
    if kind == "pct":
        return number(float(str(value)), 1, lang)
    if kind == "pct2":
        return number(float(str(value)), 2, lang)
    if kind == "pp":
        return ("+" if float(str(value)) > 0 else "") + number(float(str(value)), 1, lang)
    if kind == "index":
        return number(float(str(value)), 2, lang)
    if kind == "idr":
        return rupiah(float(str(value)), lang)
    return escape(mask_text(str(value)))


# why coverage by group does not add up, in both languages; the site says where each page's count of people is
GROUPS_APART = (
    "Orang dihitung sekali per kelompok (menurut NIK). Seseorang yang menjabat di dua kelompok muncul di keduanya, "
    "jadi baris-baris ini tidak dijumlahkan",
    "People are counted once per group (by NIK). Someone holding posts in two groups appears in both, so these rows "
    "do not add up",
)


@dataclass(frozen=True)
class Section:
    """A query on the views and what the page says about it."""

    sql: str
    title: tuple[str, str]  # Indonesian, English
    note: tuple[str, str] = ("", "")


# The trust line's "data as of" of a month: the newest arrival among the files of that month its figures take in
# (loaded or rejected; not a file held for a closed month, superseded or ignored), and the last run. `{period}` is
# the query's period column, `{place}` a further condition on the file (f) for a place's own files ('' for the
# whole region): the report and the site (flows/outputs/site.py) say the same of the same month and place.
AS_OF = (
    "(select max(a.arrived_at) from file_reconciliation f join file_arrivals a using (source_file, sha256) "
    "where f.period = {period} and f.status in ('dimuat', 'ditolak'){place}) as newest_file_at, "
    "(select max(started_at) from runs) as last_run_at"
)
# A file rejected whole whose rejection is current (not yet replaced by a newer version of it), by its row of
# file_reconciliation: as data_quality_by_village counts it, and as the corrections workbooks list it
REJECTED_WHOLE = (
    "status = 'ditolak' and (source_file, sha256) in "
    "(select (source_file, sha256) from validation_failures where is_current)"
)
# Each roster file placed on no village, with the kecamatan a folder of its path names (null when none does)
FOLDER_DISTRICTS = (
    "create or replace temporary table folder_districts as "
    "select unnest($files::varchar[]) as source_file, unnest($digests::varchar[]) as sha256, "
    "unnest($districts::varchar[]) as district_code"
)


def folder_districts(con: duckdb.DuckDBPyConnection) -> None:
    """Make the temporary table `folder_districts` (source_file, sha256, district_code) on a read-only session.

    No view knows the place of a file that could not be placed on a village; the corrections workbooks list such
    files per kecamatan by the folder they were sent in (`2024-04/Cilongok/x.xlsx`: rejects.district_of). The
    report and the site use the same rule, so they count the files those lists hold. A kecamatan name two
    regencies share (a province warehouse) names neither.
    """
    found = con.execute("select district_code, district_name from districts").fetchall()
    named = [(place_key(name), code) for code, name in found]
    shared = Counter(key for key, _ in named)
    codes = {key: code for key, code in named if shared[key] == 1}
    files = con.execute(
        "select source_file, sha256 from file_reconciliation where village_code is null and kind = 'roster'"
    ).fetchall()
    districts = [district_of(source_file, codes) for source_file, _ in files]
    con.execute(
        FOLDER_DISTRICTS,
        {"files": [f for f, _ in files], "digests": [d for _, d in files], "districts": districts},
    )


LABEL = "case when $lang = 'id' then g.group_label else g.group_label_en end"
SECTIONS: dict[str, Section] = {
    "trust": Section(
        "select c.villages_expected, c.villages_missing, c.villages_rejected, c.coverage_pct, v.verified_pct, "
        f"{AS_OF.format(period='c.period', place='')} from coverage_regency c "
        "left join verified_coverage_regency v using (period) where c.period = $period",
        ("Sejauh mana angka ini dapat dipercaya", "How far to trust these figures"),
    ),
    "data_years": Section(
        "with rosters as (select left(period, 4) as year, min(period) as rosters_from, max(period) as rosters_to, "
        "count(*) as months from coverage_regency where period <= $period group by all), "
        "paid as (select paid_date from bpjs_contributions union all select paid_date from bpjs_claims), "
        "payments as (select year(paid_date)::varchar as year, strftime(min(paid_date), '%Y-%m') as payments_from, "
        "strftime(max(paid_date), '%Y-%m') as payments_to from paid group by all) "
        "select year, r.rosters_from, r.rosters_to, p.payments_from, p.payments_to, "
        "coalesce(r.months < 12, false) "
        "or coalesce(p.payments_from > year || '-01' or p.payments_to < year || '-12', false) "
        "as is_partial from rosters r full join payments p using (year) where year <= left($period, 4) order by year",
        ("Data yang tercakup per tahun", "What each year holds"),
        (
            "Tahun yang datanya belum dua belas bulan ditandai: jumlah setahunnya belum dapat dibandingkan dengan "
            "tahun yang lengkap.",
            "A year with fewer than twelve months of data is marked: its yearly totals are not comparable with a "
            "full year's.",
        ),
    ),
    "regency_summary": Section(
        "select c.members, c.enrolled, c.coverage_pct, v.verified_pct, c.villages_expected, c.villages_submitted, "
        "c.villages_rejected, c.villages_missing, b.uncovered, b.annual_cost_idr "
        "from coverage_regency c join budget_gap_total b on b.period = c.period and b.area_level = 'kabupaten' "
        "left join verified_coverage_regency v on v.period = c.period where c.period = $period",
        ("Ringkasan kabupaten", "Regency summary"),
    ),
    "coverage_by_group": Section(
        f"select {LABEL} as group_label, c.members, c.enrolled, c.coverage_pct "
        "from coverage_by_group c join groups g using (group_code) "
        "where c.period = $period order by g.sort_order",
        ("Cakupan per kelompok", "Coverage by group"),
        (
            f"{GROUPS_APART[0]}: jumlah orang se-kabupaten ada di ringkasan.",
            f"{GROUPS_APART[1]}: the regency's count of people is in the summary.",
        ),
    ),
    "target_progress": Section(
        f"select {LABEL} as group_label, t.target_pct, t.due_period, t.coverage_pct, t.gap_people, "
        "t.months_left, t.people_per_month, t.target_set_by as set_by "
        "from target_progress t join groups g using (group_code) "
        "where t.period = $period order by g.sort_order",
        ("Target per kelompok", "Targets by group"),
        (
            "Hanya baris yang ditetapkan oleh kabupaten adalah target kabupaten. Baris bertanda contoh dikirim "
            "bersama aplikasi sebagai contoh: untuk kelompok itu kabupaten belum menetapkan target.",
            "Only rows set by the regency are the regency's targets. Rows marked as examples were shipped with "
            "the application: for those groups the regency has set no target.",
        ),
    ),
    "regency_target_context": Section(
        "select year::varchar as year, target_pct, base_population, target_people, roster_enrolled, "
        "roster_contribution_pct from regency_target_context where year = cast(left($period, 4) as integer)",
        ("Konteks: target kepesertaan seluruh pekerja kabupaten", "Context: the regency's target for all workers"),
        (
            "Hanya konteks, bukan capaian: target ini menghitung semua pekerja di Banyumas, dan sebagian besar "
            "tidak tercantum di daftar desa. Angka di bawah adalah sumbangan daftar desa terhadap target itu.",
            "Context only, not progress: this target counts every worker in Banyumas, most of whom no village "
            "roster lists. The figures below are the village rosters' contribution to it.",
        ),
    ),
    "coverage_by_district_adjusted": Section(
        "select district_name, coverage_pct as crude_pct, mix_adjusted_pct, coverage_index, rank_adjusted, "
        "is_provisional "
        "from coverage_by_district_adjusted where period = $period order by rank_adjusted, district_name",
        ("Kecamatan dibandingkan setara (disesuaikan komposisi kelompok)", "Districts compared like with like"),
        (
            "Kecamatan dengan banyak kelurahan tidak punya BPD, kelompok yang hampir 100%, sehingga cakupan kasarnya "
            "rendah apa pun usahanya. Cakupan setara menghilangkan pengaruh komposisi kelompok: indeks 1 berarti "
            "setara dengan kabupaten untuk kelompok yang sama, di bawah 1 berarti tertinggal.",
            "A district of kelurahan has no BPD, the group near 100%, so its crude coverage is low whatever it "
            "does. Mix-adjusted coverage takes the group mix out: an index of 1 means as the regency for the same "
            "groups, below 1 behind.",
        ),
    ),
    "coverage_by_district_group": Section(
        f"select {LABEL} as group_label, d.district_name, d.coverage_pct, d.regency_coverage_pct, "
        "d.pct_points_vs_regency, d.rank_in_group, d.districts_in_group "
        "from coverage_by_district_group d join groups g using (group_code) "
        "where d.period = $period and d.rank_in_group <= 3 and d.coverage_pct < d.regency_coverage_pct "
        "order by g.sort_order, d.rank_in_group, d.district_name",
        ("Kecamatan paling tertinggal per kelompok", "The districts furthest behind in each group"),
        (
            "Untuk tiap kelompok, paling banyak tiga kecamatan dengan cakupan terendah yang berada di bawah angka "
            "kabupaten untuk kelompok yang sama. Kelompok yang tidak muncul tidak punya kecamatan tertinggal.",
            "For each group, at most the three lowest districts that are below the regency's figure for the same "
            "group. A group not listed has no district behind.",
        ),
    ),
    "coverage_by_district": Section(
        "select district_name, members, enrolled, coverage_pct as crude_pct, is_provisional "
        "from coverage_by_district where period = $period order by coverage_pct, district_name",
        ("Cakupan kasar per kecamatan (semua kelompok)", "Crude coverage by district (all groups)"),
        (
            "Orang dihitung sekali per kecamatan. Angka kecamatan bersifat sementara bila terlalu sedikit desa "
            "yang melapor.",
            "People counted once per district. District figures are provisional while too few villages reported.",
        ),
    ),
    "coverage_trend": Section(
        f"select c.period, {LABEL} as group_label, c.coverage_pct, c.change_pct_points "
        "from coverage_trend c join groups g using (group_code) "
        "where c.period <= $period order by g.sort_order, c.period",
        ("Perkembangan cakupan per kelompok", "Coverage over time by group"),
    ),
    "submission_status": Section(
        "select district_name, villages_expected, villages_submitted, villages_rejected, villages_missing, "
        "completeness_pct from submission_status where period = $period order by completeness_pct, district_name",
        ("Kelengkapan laporan per kecamatan", "Reporting completeness by district"),
    ),
    "villages_not_submitted": Section(
        "select district_name, status, count(*) as villages, string_agg(village_name, ', ' order by village_name) "
        "as village_names from submission_status_by_village where period = $period and status <> 'terkirim' "
        "group by district_name, status order by district_name, status",
        ("Desa/kelurahan yang belum mengirim atau semua berkasnya ditolak", "Villages missing or rejected"),
        (
            "Ditolak: berkas diterima tetapi tidak dapat dibaca atau dicocokkan, atau semua barisnya ditolak; lihat "
            "lembar koreksi desa.",
            "Rejected: files arrived but could not be read or placed, or every row was rejected; see the village's "
            "corrections workbook.",
        ),
    ),
    "unplaced_files": Section(
        "select coalesce(k.district_name, case when $lang = 'id' then '(folder tanpa nama kecamatan)' "
        "else '(no kecamatan folder)' end) as district_name, count(*) as files_unplaced "
        "from file_reconciliation f join folder_districts d using (source_file, sha256) "
        f"left join districts k on k.district_code = d.district_code where f.period = $period and {REJECTED_WHOLE} "
        "group by k.district_name order by k.district_name nulls last",
        ("Berkas yang tidak dapat ditempatkan pada desa mana pun", "Files placed on no village"),
        (
            "Berkas yang diterima tetapi tidak dapat dicocokkan dengan desa/kelurahan mana pun (misalnya nama desa "
            "salah tulis), per kecamatan dari folder tempat berkas itu dikirim: orang di dalamnya belum terhitung. "
            "Nama berkas dan alasannya ada di halaman kecamatan di situs dan di daftar berkas tidak dikenali "
            "kecamatan itu. Kosong: semua berkas dapat ditempatkan.",
            "Files received that match no village (a misspelt village name, for example), by the kecamatan of the "
            "folder they were sent in: their people are not counted yet. Each file's name and reason are on the "
            "kecamatan's page of the site and in its list of unrecognised files. Empty: every file was placed.",
        ),
    ),
    "budget_gap_total": Section(
        "select district_name, uncovered, monthly_cost_idr, annual_cost_idr from budget_gap_total "
        "where period = $period and area_level = 'kecamatan' order by annual_cost_idr desc, district_name",
        ("Biaya menutup kesenjangan per kecamatan", "Cost of closing the gap by district"),
        (
            "Orang yang belum terdaftar (dihitung sekali) dikalikan iuran minimum BPU yang berlaku bulan itu "
            "(JKK + JKM). Arahkan penunjuk ke angka untuk melihat jumlah persisnya.",
            "People not enrolled (each counted once) times the minimum BPU contribution valid that month "
            "(JKK + JKM). Point at an amount to see it exactly.",
        ),
    ),
    "verified_coverage_by_group": Section(
        f"select {LABEL} as group_label, v.members, v.enrolled, v.verified, v.coverage_pct, "
        "v.verified_pct, v.not_found, v.inactive, v.in_arrears, v.not_reported "
        "from verified_coverage_by_group v join groups g using (group_code) "
        "where v.period = $period order by g.sort_order",
        ("Cakupan terverifikasi dengan data BPJS", "Coverage verified against BPJS"),
        (
            "Terverifikasi: dilaporkan terdaftar dan menurut data kepesertaan BPJS aktif serta iurannya lunas "
            "(dalam masa tenggang). Kosong bila kantor cabang belum mengirim ekspor untuk bulan ini atau sebelumnya.",
            "Verified: reported enrolled, and active and paid up (within the grace) in BPJS's participant export. "
            "Empty until the branch sends an export for this month or before it.",
        ),
    ),
    "verification_sources": Section(
        "select case kind when 'bpjs_participants' then case when $lang = 'id' then 'kepesertaan' else 'participants' "
        "end else case when $lang = 'id' then 'iuran' else 'contributions' end end as export_kind, "
        "export_period, count(*) as export_files, sum(rows_counted) as rows_counted "
        "from verification_sources where period = $period group by all order by export_kind desc, export_period",
        ("Data BPJS yang dipakai untuk verifikasi", "The BPJS data the verification used"),
        (
            "Ekspor kantor cabang BPJS yang dibaca untuk verifikasi bulan ini: semua bagian daftar kepesertaan "
            "bulan itu (atau bulan terakhir sebelumnya) dan data iuran. Berkas yang sudah diganti dengan revisinya "
            "tidak dipakai. Nama tiap berkas dapat dilihat analis data.",
            "The branch's exports this month's verification read: every part of the participants list of the "
            "month (or the latest month before it) and the contributions. A file replaced by its revision is not "
            "used. Analysts can see each file's name.",
        ),
    ),
    "claims_vs_contributions": Section(
        f"select c.year::varchar || ' ' || coalesce({LABEL}, "
        "case when $lang = 'id' then 'tidak di daftar desa' else 'on no roster' end) as year_group, "
        "c.contributions_idr, c.claims_idr, c.claims_count, c.claims_per_contribution "
        "from claims_vs_contributions c left join groups g using (group_code) "
        "where c.year <= cast(left($period, 4) as integer) order by c.year, g.sort_order nulls last",
        ("Klaim dibanding iuran per tahun", "Claims against contributions by year"),
        (
            "Iuran yang dibayar dan klaim yang dibayar BPJS menurut tanggal bayar, dari ekspor kantor cabang. "
            "Klaim per rupiah iuran di atas 1 berarti manfaat yang diterima lebih besar dari iuran yang dibayar.",
            "Contributions paid and claims BPJS paid by payment date, from the branch's exports. Claims per rupiah "
            "contributed above 1 means members received more than they paid.",
        ),
    ),
    "submission_timeliness": Section(
        "select district_name, due_date, on_time, late, arrival_unknown, villages_rejected, missing, not_yet_due, "
        "on_time_pct, reporting_pct "
        "from submission_timeliness where period = $period order by on_time_pct, district_name",
        ("Ketepatan waktu laporan per kecamatan", "Reporting on time by district"),
        (
            "Tepat waktu: berkas pertama yang diterima untuk bulan ini tiba sebelum batas kirim, menurut waktu "
            "berkas itu disimpan di folder kiriman atau, bila waktu itu tidak dapat dipercaya, saat sistem pertama "
            "kali melihatnya. Waktu kirim tidak diketahui: berkas dimuat belakangan (misalnya data lama yang "
            "dimasukkan sekaligus) tanpa bukti kapan dikirim; desa itu tidak dihitung terlambat.",
            "On time: the month's first file taken arrived by the due date, by the time it was saved in the "
            "landing folder or, when that time cannot be trusted, when the system first saw it. Arrival unknown: "
            "files loaded later (for example past months loaded at once) with no evidence of when they were sent; "
            "such a village is not counted late.",
        ),
    ),
    "period_status": Section(
        "select district_name, status as period_state, acted_by, acted_at, reason, files_pending "
        "from period_status where period = $period "
        "and (status = 'ditutup' or files_pending > 0 or acted_by is not null) order by district_name",
        ("Bulan yang ditutup", "Closed months"),
        (
            "Angka bulan yang ditutup tidak berubah sampai perbaikan yang ditahan disetujui operator kabupaten atau "
            "bulan dibuka kembali. Kosong: bulan ini belum ditutup di kecamatan mana pun.",
            "A closed month's figures do not change until the regency's operator accepts a held correction or the "
            "month is reopened. Empty: the month is closed nowhere.",
        ),
    ),
    "outliers": Section(
        f"select o.village_name, o.district_name, {LABEL} as group_label, o.check_name, o.value_before, o.value_now "
        "from outliers o join groups g using (group_code) where o.period = $period and o.follow_up_status = 'terbuka' "
        "order by o.district_name, o.village_name, g.sort_order, o.check_name",
        ("Perubahan tajam yang perlu ditindaklanjuti", "Sharp changes to follow up"),
        (
            "Perubahan dari bulan ke bulan yang tidak biasa; bukan penolakan, tetapi perlu diperiksa bersama desa. "
            "Operator kabupaten mencatat hasil tindak lanjutnya.",
            "Unusual month-to-month changes; not rejections, but to check with the village. The regency's "
            "operator records the follow-up.",
        ),
    ),
    "data_quality_by_village": Section(
        "select v.village_name, v.district_name, q.files_rejected, q.rows_loaded, q.rows_rejected, q.error_rate, "
        "q.top_check, (select string_agg(why, ' / ' order by why) from (select distinct case when $lang = 'id' "
        "then f.alasan else f.reason end as why from file_reconciliation f where f.period = q.period "
        f"and f.village_code = q.village_code and {REJECTED_WHOLE})) as rejected_because "
        "from data_quality_by_village q join villages v using (village_code) "
        "where q.period = $period and (q.files_rejected > 0 or q.rows_rejected > 0) "
        "order by q.files_rejected desc, q.error_rate desc nulls last, q.rows_rejected desc, v.village_name limit 10",
        ("Desa/kelurahan dengan berkas atau baris ditolak terbanyak", "Villages with the most rejected files or rows"),
        (
            "Berkas yang ditolak seluruhnya lebih dulu, lalu tingkat kesalahan baris. Kosong: tidak ada yang ditolak.",
            "Files rejected whole first, then the rows' error rate. Empty: nothing was rejected.",
        ),
    ),
}
SUMMARY_CARDS = (  # (column, Indonesian, English) of the regency summary
    ("members", "orang di daftar desa (semua kelompok, dihitung sekali)", "people on village rosters, counted once"),
    ("enrolled", "sudah terdaftar BPJS Ketenagakerjaan", "enrolled in BPJS Ketenagakerjaan"),
    ("coverage_pct", "cakupan menurut laporan desa (%)", "coverage as the villages report it (%)"),
    ("verified_pct", "cakupan terverifikasi data BPJS (%)", "coverage verified by BPJS's data (%)"),
    ("villages_submitted", "desa/kelurahan mengirim", "villages submitted"),
    ("villages_rejected", "desa/kelurahan yang semua berkasnya ditolak", "villages whose every file was rejected"),
    ("villages_missing", "desa/kelurahan belum mengirim", "villages that sent nothing"),
    ("uncovered", "orang belum terdaftar", "people not enrolled"),
    ("annual_cost_idr", "biaya setahun untuk mendaftarkan mereka", "a year to enrol them"),
)
TEXT = {
    "title": (
        "Cakupan BPJS Ketenagakerjaan anggota BPD, pengurus RT/RW dan LKD, Satlinmas serta pekerja rentan desa, "
        "Kabupaten Banyumas",
        "BPJS Ketenagakerjaan coverage of BPD members, RT/RW and LKD officials, Satlinmas and vulnerable "
        "workers of the villages, Kabupaten Banyumas",
    ),
    "made": ("Halaman ini ditulis pada", "This page was written on"),
    "of": ("dari", "of"),
    "one_month": (
        "Baru ada satu bulan data: perkembangan terlihat setelah bulan berikutnya masuk.",
        "Only one month so far: the trend shows once the next month arrives.",
    ),
    "none": ("Tidak ada.", "None."),
}


def pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang == "id" else pair[1]


def figure(name: str, index: int, column: str, value: object, lang: Lang, tag: str = "span") -> str:
    """One figure, tagged with where it comes from; a rounded rupiah amount carries the exact one as its title."""
    exact = f' title="{exact_rupiah(value, lang)}"' if COLUMNS[column][0] == "idr" and value is not None else ""
    return (
        f'<{tag} data-view="{name}" data-row="{index}" data-col="{column}"{exact}>{cell(value, column, lang)}</{tag}>'
    )


def table_html(name: str, frame: pl.DataFrame, lang: Lang) -> str:
    """A table whose cells carry `data-view`, `data-row` and `data-col`, so tests can read the figures back."""
    if frame.is_empty():
        return f'<p class="note" id="{name}">{pick(TEXT["none"], lang)}</p>'
    kinds = {column: COLUMNS[column][0] for column in frame.columns}
    align = {column: ' class="text"' if kinds[column] in ("text", "status", "flag") else "" for column in frame.columns}
    head = "".join(f"<th{align[c]}>{escape(pick(COLUMNS[c][1:], lang))}</th>" for c in frame.columns)
    body = "".join(
        f'<tr data-row="{index}">'
        + "".join(
            figure(name, index, column, value, lang, "td").replace("<td ", f"<td{align[column]} ", 1)
            for column, value in zip(frame.columns, row, strict=True)
        )
        + "</tr>"
        for index, row in enumerate(frame.iter_rows())
    )
    # a wide table scrolls sideways inside its own box on a narrow screen: the page itself never does
    return f'<div class="wide"><table id="{name}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def text_width(text: str) -> float:
    """Rough width in pixels of 11px system-ui text (an average glyph is about 6.2 px)."""
    return 6.2 * len(text)


def axis_maximum(values: list[float | None]) -> float:
    """The smallest of 10, 25, 50 and 100 that holds every value: bars of a few percent stay readable."""
    largest = max((float(value) for value in values if value is not None), default=0.0)
    return next((limit for limit in (10.0, 25.0, 50.0) if largest <= limit), 100.0)


def svg_opening(width: int, height: int) -> str:
    """A chart's opening tag: drawn `width` by `height` and never narrower on a screen, in a box that scrolls sideways
    where the page is narrower (`.wide`): shrunk to a phone's 313 px, its 11-unit labels were 4 to 5 px. Printed,
    its `viewBox` scales it to the paper's width."""
    return (
        f'<svg role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'style="min-width:{width}px"{SVG_NAMESPACE}>'
    )


SVG_NAMESPACE = ' xmlns="http://www.w3.org/2000/svg"'  # the site's pages drop it: inline in HTML it is not needed


def bars_svg(name: str, frame: pl.DataFrame, label: str, value: str, lang: Lang) -> str:
    """Horizontal bars, 22 px a row: an axis from 0 to `axis_maximum` with its title, the value after each bar."""
    labels, values = frame[label].to_list(), frame[value].to_list()
    maximum = axis_maximum(values)
    left = round(12 + max((text_width(str(text)) for text in labels), default=0), 1)
    width = 520
    top, row = 8, 22
    height = top + row * len(labels) + 34
    parts = []
    for tick in range(6):
        x = left + width * tick / 5
        parts.append(
            f'<line class="grid" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + row * len(labels)}"/>'
            f'<text x="{x:.1f}" y="{top + row * len(labels) + 14}" text-anchor="middle">'
            f"{number(maximum * tick / 5, 0, lang)}</text>"
        )
    axis_y = top + row * len(labels)
    parts.append(f'<line class="axis" x1="{left:.1f}" y1="{axis_y}" x2="{left + width:.1f}" y2="{axis_y}"/>')
    parts.append(
        f'<text x="{left + width / 2:.1f}" y="{axis_y + 30}" text-anchor="middle">'
        f"{escape(pick(COLUMNS[value][1:], lang))}</text>"
    )
    for index, (text, amount) in enumerate(zip(labels, values, strict=True)):
        y = top + row * index
        bar = 0 if not amount else width * min(float(amount), maximum) / maximum
        parts.append(
            f'<text x="{left - 6:.1f}" y="{y + 15}" text-anchor="end">{escape(mask_text(str(text)))}</text>'
            f'<rect x="{left:.1f}" y="{y + 3}" width="{bar:.1f}" height="15" fill="#2f6f9f"/>'
            f'<text x="{left + bar + 4:.1f}" y="{y + 15}">{figure(name, index, value, amount, lang, "tspan")}</text>'
        )
    return f"{svg_opening(round(left + width + 60), height)}{''.join(parts)}</svg>"


def spread(wanted: list[float], gap: float, low: float, high: float) -> list[float]:
    """Positions as near `wanted` as possible, at least `gap` apart, within [low, high] (labels that never overlap)."""
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    placed = [0.0] * len(wanted)
    previous = low - gap
    for i in order:
        placed[i] = max(wanted[i], previous + gap)
        previous = placed[i]
    overflow = previous - high
    if overflow > 0:  # pushed past the bottom: shift everything up, never above `low` closer than `gap`
        floor = low
        for i in order:
            placed[i] = max(placed[i] - overflow, floor)
            floor = placed[i] + gap
    return placed


COLOURS = ("#2f6f9f", "#c0392b", "#27ae60", "#8e44ad", "#d68910")


def trend_svg(trend: pl.DataFrame, lang: Lang) -> str:
    """Coverage over months, one line per group, a y-axis in percent, a labelled x-axis, end labels kept apart.

    One month still shows each group's coverage: a point per group with its label and value.
    """
    periods = sorted(set(trend["period"].to_list()))
    left, top, plot_w, plot_h = 52, 12, 560, 220
    step = plot_w / max(len(periods) - 1, 1)

    def x_of(period: str) -> float:
        return left + (step * periods.index(period) if len(periods) > 1 else plot_w / 2)

    def y_of(pct: float) -> float:
        return top + plot_h * (1 - pct / 100)

    parts = []
    for tick in range(0, 101, 20):
        y = y_of(tick)
        parts.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>'
        )
    parts.append(f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}"/>')
    parts.append(f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}"/>')
    parts.append(
        f'<text x="14" y="{top + plot_h / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + plot_h / 2:.0f})">{escape(pick(COLUMNS["coverage_pct"][1:], lang))}</text>'
    )
    for period in periods:
        parts.append(
            f'<text x="{x_of(period):.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
            f"{escape(month_name(period, lang))}</text>"
        )
    groups: dict[str, list[tuple[int, str, float]]] = {}  # group -> (row, period, coverage) in the frame's order
    rows = zip(*(trend[c].to_list() for c in ("group_label", "period", "coverage_pct")), strict=True)
    for row, (group, period, pct) in enumerate(rows):  # plain Python: the site draws one of these per page
        groups.setdefault(str(group), []).append((row, period, pct))
    ends, lines = [], []
    for colour, (group, points_of) in zip(COLOURS, groups.items(), strict=False):
        points = [(x_of(p), y_of(v)) for _, p, v in points_of]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            lines.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        lines += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>' for x, y in points]
        last = {"row": points_of[-1][0], "coverage_pct": points_of[-1][2]}
        ends.append((group, colour, points[-1], last))
    label_ys = spread([point[1] + 4 for _, _, point, _ in ends], 14, top + 4, top + plot_h + 4)
    label_x = left + plot_w + 14 if len(periods) > 1 else x_of(periods[0]) + 14
    for (group, colour, (x, y), last), label_y in zip(ends, label_ys, strict=True):
        lines.append(
            f'<line x1="{x + 4:.1f}" y1="{y:.1f}" x2="{label_x - 3:.1f}" y2="{label_y - 4:.1f}" stroke="{colour}" '
            f'stroke-width="0.8"/>'
            f'<text x="{label_x:.1f}" y="{label_y:.1f}" fill="{colour}">{escape(group)} '
            f"{figure('coverage_trend', int(last['row']), 'coverage_pct', last['coverage_pct'], lang, 'tspan')}%"
            "</text>"
        )
    note = f'<p class="note">{pick(TEXT["one_month"], lang)}</p>' if len(periods) == 1 else ""
    return f"{svg_opening(left + plot_w + 230, top + plot_h + 30)}{''.join(parts + lines)}</svg>{note}"


def summary_html(frame: pl.DataFrame, lang: Lang) -> str:
    """The regency in a row of cards: people, coverage, reporting, cost of the gap."""
    if frame.is_empty():
        return f'<p class="note">{pick(TEXT["none"], lang)}</p>'
    row = frame.row(0, named=True)
    cards = []
    for column, label_id, label_en in SUMMARY_CARDS:
        if row[column] is None:  # verified coverage before the branch's first export
            continue
        suffix = ""
        if column == "villages_submitted":
            expected = figure("regency_summary", 0, "villages_expected", row["villages_expected"], lang)
            suffix = f" {pick(TEXT['of'], lang)} {expected}"
        value = figure("regency_summary", 0, column, row[column], lang)
        what = pick((label_id, label_en), lang)
        cards.append(f'<div class="card"><b>{value}{suffix}</b><span class="what">{what}</span></div>')
    return f'<div class="cards" id="regency_summary">{"".join(cards)}</div>'


TRUST = {
    "as_of": ("Data per:", "Data as of:"),
    "newest": ("berkas terbaru diterima", "newest file received"),
    "last_run": ("diproses terakhir", "last processed"),
    "villages": (
        "desa/kelurahan seharusnya mengirim; {missing} belum mengirim dan {rejected} semua berkasnya ditolak, "
        "sehingga orang di desa/kelurahan itu tidak terhitung dalam angka di bawah; desa/kelurahan yang hanya "
        "sebagian berkasnya ditolak tetap terhitung.",
        "villages should report; {missing} sent nothing and {rejected} had every file rejected, so the people "
        "of those villages are not in the figures below; a village with only some of its files rejected is counted.",
    ),
    "coverage": ("Cakupan menurut laporan desa", "Coverage as the villages report it"),
    "verified": ("menurut data kepesertaan BPJS (terverifikasi)", "by BPJS's membership data (verified)"),
    "unverified": (
        "belum dapat diverifikasi: kantor cabang BPJS belum mengirim data untuk bulan ini.",
        "not yet verified: the BPJS branch has sent no data for this month.",
    ),
    "targets": (
        "Kabupaten belum menetapkan target per kelompok: target di bagian Target per kelompok hanya contoh.",
        "The regency has set no target by group: the targets shown are examples only.",
    ),
}


TRUST_PARTIAL = (
    "Tahun yang datanya belum lengkap ({years}): jumlah tahunannya belum setahun penuh (lihat Data yang tercakup "
    "per tahun).",
    "Years whose data are incomplete ({years}): their yearly totals are not a full year's (see What each year holds).",
)


TRUST_UNPLACED = (
    "{files} berkas bulan ini tidak dapat ditempatkan pada desa mana pun: orang di dalamnya belum terhitung "
    "(lihat {section}).",
    "{files} file{s} this month matched no village: {their} people are not counted (see {section}).",
)


def trust_html(frame: pl.DataFrame, lang: Lang) -> str:
    """What the figures rest on, before any figure: how recent, who is missing, reported beside verified."""
    if frame.is_empty():
        return f'<p class="note">{pick(TEXT["none"], lang)}</p>'
    row = frame.row(0, named=True)

    def shown(column: str) -> str:
        return figure("trust", 0, column, row[column], lang)

    villages = pick(TRUST["villages"], lang).format(
        missing=shown("villages_missing"), rejected=shown("villages_rejected")
    )
    verified = (
        f"{shown('verified_pct')}% {pick(TRUST['verified'], lang)}."
        if row["verified_pct"] is not None
        else pick(TRUST["unverified"], lang)
    )
    return (
        f'<ul id="trust"><li>{pick(TRUST["as_of"], lang)} {pick(TRUST["newest"], lang)} {shown("newest_file_at")}; '
        f"{pick(TRUST['last_run'], lang)} {shown('last_run_at')}.</li>"
        f"<li>{shown('villages_expected')} {villages}</li>"
        f"<li>{pick(TRUST['coverage'], lang)} {shown('coverage_pct')}%; {verified}</li></ul>"
    )


def trust_notes(frames: dict[str, pl.DataFrame], lang: Lang) -> str:
    """The caveats other sections' data raise: targets that are only examples, years not yet complete."""
    notes = []
    targets = frames["target_progress"]
    if not targets.is_empty() and set(targets["set_by"]) == {"contoh"}:
        notes.append(pick(TRUST["targets"], lang))
    years = frames["data_years"].filter(pl.col("is_partial"))
    if not years.is_empty():
        notes.append(pick(TRUST_PARTIAL, lang).format(years=", ".join(str(year) for year in years["year"])))
    unplaced = frames["unplaced_files"]
    if not unplaced.is_empty():
        count = unplaced["files_unplaced"].sum()
        files, one = cell(count, "files_unplaced", lang), count == 1
        section = pick(SECTIONS["unplaced_files"].title, lang)
        said = {"s": "" if one else "s", "their": "its" if one else "their"}
        notes.append(pick(TRUST_UNPLACED, lang).format(files=files, section=section, **said))
    return "".join(f'<p class="note">{escape(note)}</p>' for note in notes)


Chart = Callable[[pl.DataFrame, Lang], str]
CHARTS: dict[str, Chart] = {
    "coverage_by_group": lambda f, lang: bars_svg("coverage_by_group", f, "group_label", "coverage_pct", lang),
    "coverage_by_district_adjusted": lambda f, lang: bars_svg(
        "coverage_by_district_adjusted", f, "district_name", "mix_adjusted_pct", lang
    ),
    "coverage_trend": trend_svg,
    "verified_coverage_by_group": lambda f, lang: bars_svg(
        "verified_coverage_by_group", f, "group_label", "verified_pct", lang
    ),
    "claims_vs_contributions": lambda f, lang: bars_svg(
        "claims_vs_contributions", f, "year_group", "claims_per_contribution", lang
    ),
    "submission_status": lambda f, lang: bars_svg("submission_status", f, "district_name", "completeness_pct", lang),
}


def render(frames: dict[str, pl.DataFrame], period: str, lang: Lang = "id", now: dt.datetime | None = None) -> str:
    """The whole page."""
    sections = []
    for name, section in SECTIONS.items():
        frame = frames[name]
        note = pick(section.note, lang)
        if name == "regency_summary":
            body = summary_html(frame, lang)
        elif name == "trust":
            body = trust_html(frame, lang) + trust_notes(frames, lang)
        else:
            body = table_html(name, frame, lang)
        chart = CHARTS[name](frame, lang) if name in CHARTS and not frame.is_empty() else ""
        chart = f'<div class="wide">{chart}</div>' if chart else ""  # on a phone, it scrolls in its box
        css = ' class="context"' if name == "regency_target_context" else ""
        paragraph = f'<p class="note">{escape(note)}</p>' if note else ""
        sections.append(
            f'<section id="section-{name}"{css}><h2>{escape(pick(section.title, lang))}</h2>'
            f"{paragraph}{chart}{body}</section>"
        )
    stamp = timestamp(now or dt.datetime.now(dt.UTC), lang)
    title = f"{pick(TEXT['title'], lang)}: {month_name(period, lang)}"
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'  # a phone lays it out at its width
        f"<title>{escape(title)}</title>"
        f"<style>{CSS}</style></head><body><h1>{escape(title)}</h1>"
        f'<p class="note">{pick(TEXT["made"], lang)} {stamp}.</p>'
        f"{''.join(sections)}</body></html>"
    )


def latest_period(con: duckdb.DuckDBPyConnection) -> str | None:
    """The newest month with rosters in the warehouse."""
    (found,) = con.execute("select max(period) from coverage_regency").fetchall()[0]
    return None if found is None else str(found)


def write_report(warehouse: Path, period: str | None, out: Path, lang: Lang = "id") -> Path:
    """Query the views for `period` (the latest when None; read-only) and write the page to `out`.

    `out` must be a new file or an older page: never the warehouse, its state database or another file.
    """
    check_output(out, [warehouse, state_path_for(warehouse)])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        folder_districts(con)
        period = period or latest_period(con)
        if period is None:
            raise ValueError(f"no rosters in {warehouse}")
        frames = {
            name: query_frame(
                con, section.sql, {"period": period, "lang": lang} if "$lang" in section.sql else {"period": period}
            )
            for name, section in SECTIONS.items()
        }
    if frames["regency_summary"].is_empty():
        raise ValueError(f"no data for period {period!r} in {warehouse}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(frames, period, lang), encoding="utf-8")
    return out
