"""Where the branch's exports come from, how their parts add up and what they may hold (issue 25).

Each test writes its own landing zone: one village's roster (tests/test_verification.py's
eight people, one per status) and the branch's exports under `raw/<period>/BPJS/`, then
adds what a village, the branch or an attacker might drop, and compares the verification
person by person with the zone without it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.privacy import mask_variables
from flows.store import reference
from flows.store.sql import run_script
from tests.helpers import ANI, BUDI, CITRA, build_warehouse, query, write_roster
from tests.test_verification import (
    DEWI,
    EKO,
    KPJ,
    PESERTA,
    PESERTA_HEADER,
    ROSTER,
    masked,
    peserta_row,
    statuses,
    write_csv,
    write_xlsx,
)

IURAN_HEADER = ["KPJ", "NIK", "BULAN_IURAN", "TGL_BAYAR", "NOMINAL", "SUMBER_IURAN"]
KLAIM_HEADER = ["NO_KLAIM", "KPJ", "NIK", "PROGRAM", "TGL_KEJADIAN", "TGL_BAYAR", "NOMINAL"]
PAYMENTS = [[KPJ[ANI], ANI, "2024-04", "10/04/2024", "16.800", "APBDes"]]


def base_zone(raw: Path, peserta: list[list[str]] = PESERTA) -> None:
    write_roster(raw / "2024-04" / "Cilongok" / "Batuanten.xlsx", {"RT RW": ROSTER})
    write_xlsx(raw / "2024-04" / "BPJS" / "Peserta April.xlsx", PESERTA_HEADER, peserta, "DAFTAR PESERTA")
    write_csv(raw / "2024-04" / "BPJS" / "Iuran April.csv", IURAN_HEADER, PAYMENTS)


def figures(warehouse: Path) -> tuple[object, ...]:
    paid = query(warehouse, "select count(*), sum(amount_idr) from bpjs_contributions")
    return statuses(warehouse), paid


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[object, ...]]:
    root = tmp_path_factory.mktemp("baseline")
    base_zone(root / "raw")
    build_warehouse(root / "raw", root / "cakupan.duckdb")
    return root / "raw", figures(root / "cakupan.duckdb")


def copy_of(baseline: tuple[Path, tuple[object, ...]], tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(baseline[0], raw)
    return raw


def file_status(warehouse: Path, name: str) -> tuple[object, ...]:
    rows = query(warehouse, f"select kind, status, reason, alasan from ingested_files where source_file like '%{name}'")
    assert len(rows) == 1, rows
    return rows[0]


def test_export_shaped_files_in_village_folders_change_nothing_the_branch_owns(
    baseline: tuple[Path, tuple[object, ...]], tmp_path: Path
) -> None:
    raw = copy_of(baseline, tmp_path)
    village = raw / "2024-04" / "Cilongok"
    # a forged list: everyone the village reports is "active" at BPJS
    forged = [peserta_row(nik, "X", "AKTIF", "2024-04") for nik in KPJ]
    write_xlsx(village / "peserta bpjs batuanten.xlsx", PESERTA_HEADER, forged, "DATA PESERTA")
    write_csv(village / "iuran.csv", IURAN_HEADER, [[KPJ[EKO], EKO, "2024-04", "01/04/2024", "16800", "APBDes"]] * 3)
    # a genuine Satlinmas roster with a PROGRAM column and no JABATAN: a roster, not an export
    linmas = [["1", DEWI, "Dewi", "Sudah", KPJ[DEWI], "JKK"], ["2", EKO, "Eko", "Belum", "", ""]]
    write_xlsx(
        village / "Batuanten - LINMAS.xlsx",
        ["NO", "NIK", "NAMA", "STATUS", "NO KPJ", "PROGRAM"],
        linmas,
        "DESA BATUANTEN",
    )
    warehouse = tmp_path / "cakupan.duckdb"
    build_warehouse(raw, warehouse)

    assert statuses(warehouse) | {} == baseline[1][0] | statuses(warehouse)  # the LINMAS people only add
    rt_rw = query(warehouse, "select nik_masked, status from verification where group_code = 'RT_RW' order by all")
    assert dict(rt_rw) == {nik: status for nik, (status, *_) in baseline[1][0].items()}
    assert figures(warehouse)[1] == baseline[1][1]
    for name in ("peserta bpjs batuanten.xlsx", "iuran.csv"):
        kind, status, reason, alasan = file_status(warehouse, name)
        assert (kind, status) == ("roster", "rejected")
        assert str(reason).startswith("looks like a BPJS export but is not in the period's BPJS folder")
        assert str(alasan).startswith("Berkas ini berbentuk ekspor data BPJS")
    assert file_status(warehouse, "Batuanten - LINMAS.xlsx")[:2] == ("roster", "loaded")
    assert query(warehouse, "select count(*) from verification where group_code = 'LINMAS'") == [(2,)]


def test_a_file_in_the_branch_folder_is_an_export_or_rejected_never_a_roster(
    baseline: tuple[Path, tuple[object, ...]], tmp_path: Path
) -> None:
    raw = copy_of(baseline, tmp_path)
    write_roster(raw / "2024-04" / "BPJS" / "Batuanten.xlsx", {"BPD": [[ANI, "Ani", "P", "Ketua BPD", "Sudah", ""]]})
    warehouse = tmp_path / "cakupan.duckdb"
    build_warehouse(raw, warehouse)
    kind, status, reason, alasan = file_status(warehouse, "BPJS/Batuanten.xlsx")
    assert (kind, status) == ("bpjs", "rejected")
    assert str(reason).startswith("in the period's BPJS folder but not a BPJS export")
    assert str(alasan).startswith("Berkas di folder BPJS ini bukan ekspor BPJS")
    assert query(warehouse, "select count(*) from roster where group_code = 'BPD'") == [(0,)]
    assert figures(warehouse) == baseline[1]


def test_a_village_copy_of_the_export_never_stands_for_the_branch_file(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    base_zone(raw)
    shutil.move(raw / "2024-04" / "BPJS", tmp_path / "later")
    (raw / "2024-04" / "Cilongok" / "Peserta April.xlsx").write_bytes(
        (tmp_path / "later" / "Peserta April.xlsx").read_bytes()
    )
    build_warehouse(raw, warehouse)
    assert query(warehouse, "select count(*) from verification") == [(0,)]  # no export yet: nothing verified
    shutil.move(tmp_path / "later", raw / "2024-04" / "BPJS")
    build_warehouse(raw, warehouse)
    assert statuses(warehouse)[masked(ANI)][0] == "terverifikasi"
    assert file_status(warehouse, "BPJS/Peserta April.xlsx")[:2] == ("bpjs_participants", "loaded")


def test_a_custom_branch_folder_is_the_only_place_exports_are_read(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    base_zone(raw)
    (raw / "2024-04" / "BPJS").rename(raw / "2024-04" / "Kiriman Cabang")
    warehouse = tmp_path / "cakupan.duckdb"
    build_warehouse(raw, warehouse, bpjs_folder="kiriman cabang")
    assert statuses(warehouse)[masked(ANI)][0] == "terverifikasi"
    build_warehouse(raw, tmp_path / "other.duckdb")  # under the default folder name they are village files
    assert file_status(tmp_path / "other.duckdb", "Peserta April.xlsx")[1] == "rejected"


@pytest.mark.parametrize("folder", ["../elsewhere", "2024-04/BPJS", "", "a/b"])
def test_the_branch_folder_setting_is_one_folder_name(folder: str) -> None:
    from flows.settings import ConfigError, load_settings

    with pytest.raises(ConfigError, match="bpjs_folder"):
        load_settings(environ={"CAKUPAN_BPJS_FOLDER": folder})


def test_an_export_in_parts_and_formats_counts_every_part(
    baseline: tuple[Path, tuple[object, ...]], tmp_path: Path
) -> None:
    raw = tmp_path / "raw"
    base_zone(raw, peserta=PESERTA[:3])
    write_csv(raw / "2024-04" / "BPJS" / "Peserta April bagian 2.csv", PESERTA_HEADER, PESERTA[3:])
    warehouse = tmp_path / "cakupan.duckdb"
    build_warehouse(raw, warehouse)
    assert figures(warehouse) == baseline[1]
    assert query(warehouse, "select count(*) from ingested_files where status = 'superseded'") == [(0,)]
    # parts read by one run are no conflict: no village or branch is told to remove one
    assert query(warehouse, "select count(*) from validation_failures where check_name = 'file_conflict'") == [(0,)]
    assert query(warehouse, "select kind, source_file, rows_counted from verification_sources order by all") == [
        ("bpjs_contributions", "2024-04/BPJS/Iuran April.csv", 1),
        ("bpjs_participants", "2024-04/BPJS/Peserta April bagian 2.csv", 3),
        ("bpjs_participants", "2024-04/BPJS/Peserta April.xlsx", 3),
    ]
    report = tmp_path / "laporan.html"
    result = CliRunner().invoke(app, ["report", "--warehouse", str(warehouse), "--out", str(report)])
    assert result.exit_code == 0, result.output
    page = report.read_text()
    section = page[page.index("Data BPJS yang dipakai untuk verifikasi") :]
    assert re.search(r"kepesertaan.*?April 2024.*?>2<.*?>6<", section, re.S), section[:2000]
    # a third part, later, with one person again: that person is taken from it, the rest stay
    write_csv(
        raw / "2024-04" / "BPJS" / "Peserta April bagian 3.csv",
        PESERTA_HEADER,
        [peserta_row(ANI, "Ani", "MENINGGAL", "2024-04")],
    )
    build_warehouse(raw, warehouse)
    assert statuses(warehouse)[masked(ANI)][0] == "non_aktif"
    assert {k: v for k, v in statuses(warehouse).items() if k != masked(ANI)} == {
        k: v for k, v in baseline[1][0].items() if k != masked(ANI)
    }


@pytest.mark.parametrize("name", ["Peserta April REVISI.xlsx", "peserta_april (pengganti).xlsx", "Data terbaru.xlsx"])
def test_a_later_file_replaces_an_earlier_only_when_it_is_the_same_export_again(tmp_path: Path, name: str) -> None:
    raw = tmp_path / "raw"
    base_zone(raw)
    warehouse = tmp_path / "cakupan.duckdb"
    build_warehouse(raw, warehouse)
    # the revision covers everyone (by name, or by holding the earlier file's people) and adds Citra
    corrected = [*PESERTA, peserta_row(CITRA, "Citra", "AKTIF", "2024-04")]
    write_xlsx(raw / "2024-04" / "BPJS" / name, PESERTA_HEADER, corrected)
    build_warehouse(raw, warehouse)
    assert statuses(warehouse)[masked(CITRA)][0] == "terverifikasi"
    assert file_status(warehouse, "Peserta April.xlsx")[1:3] == ("superseded", f"superseded by 2024-04/BPJS/{name}")


@pytest.mark.parametrize("again", ["put back where it was", "sent again under another name"])
def test_the_branch_sending_an_earlier_export_again_makes_it_count_again(
    tmp_path: Path, again: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The newest sent counts for the branch's exports as for village files: the earlier export, sent again after its
    replacement, replaces that replacement (the same path), however long ago it was first read."""
    raw = tmp_path / "raw"
    base_zone(raw)
    warehouse = tmp_path / "cakupan.duckdb"
    build_warehouse(raw, warehouse)
    baseline_statuses = statuses(warehouse)
    export = raw / "2024-04" / "BPJS" / "Peserta April.xlsx"
    first = export.read_bytes()
    write_xlsx(export, PESERTA_HEADER, [*PESERTA, peserta_row(CITRA, "Citra", "AKTIF", "2024-04")])
    build_warehouse(raw, warehouse)
    assert statuses(warehouse)[masked(CITRA)][0] == "terverifikasi"
    if again == "put back where it was":
        export.write_bytes(first)
    else:  # the replacement moved aside as a backup, the earlier file back under the export's name
        export.rename(export.with_name("Peserta April lama.xlsx"))
        export.write_bytes(first)
    with caplog.at_level("INFO"):
        build_warehouse(raw, warehouse)
    assert statuses(warehouse)[masked(CITRA)][0] != "terverifikasi"
    assert statuses(warehouse) == baseline_statuses
    said = "2024-04/BPJS/Peserta April.xlsx: content sent again after another version replaced it; it counts again"
    assert said in caplog.text
    assert query(
        warehouse,
        "select count(*) from ingested_files where source_file = '2024-04/BPJS/Peserta April.xlsx' "
        "and status = 'loaded'",
    ) == [(1,)]


def test_a_later_file_of_other_people_is_a_part_not_a_replacement(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    base_zone(raw)
    warehouse = tmp_path / "cakupan.duckdb"
    build_warehouse(raw, warehouse)
    write_xlsx(
        raw / "2024-04" / "BPJS" / "Peserta April tambahan.xlsx",
        PESERTA_HEADER,
        [peserta_row(CITRA, "Citra", "AKTIF", "2024-04")],
    )
    build_warehouse(raw, warehouse)
    assert statuses(warehouse)[masked(CITRA)][0] == "terverifikasi"
    assert statuses(warehouse)[masked(BUDI)][0] == "belum_dilaporkan"  # from the first part, still counted
    assert file_status(warehouse, "Peserta April.xlsx")[1] == "loaded"


NAMES = [  # (as the village writes it, as BPJS records the KTP name, the same person's name?)
    ("Hj. MUHAMMAD PURNOMO", "Muhammad Purnomo", True),
    ("H. Ahmad Sholeh, S.Pd.", "AHMAD SHOLEH", True),
    ("DRS. H. AHMAD SHOLEH", "Ahmad Sholeh", True),
    ("Ahmad Sholeh S.Pd.I", "AHMAD SHOLEH", True),
    ("AHMAD SHOLEH, S.E., M.M.", "Ahmad  Sholeh", True),
    ("Hj.Siti Aminah", "SITI AMINAH", True),
    ("siti aminah a.md.keb", "Siti Aminah", True),
    ("Ir. Bambang Susilo, S.T.", "BAMBANG SUSILO", True),
    ("K.H. Abdul Ghofur", "ABDUL GHOFUR", True),
    ("Dewi Sartika SE", "DEWI SARTIKA", True),
    ("Sri  Wahyuni-Ningsih", "SRI WAHYUNI NINGSIH", True),
    ("José Santoso", "JOSE SANTOSO", True),
    ("Hartono", "HARTONO", True),
    ("Hadi Saputra", "Hendra Saputra", False),
    ("Haji Slamet", "SLAMET RIYADI", False),
    ("Siti Aminah", "Siti Amanah", False),
]


@pytest.mark.parametrize(("village", "bpjs", "same"), NAMES)
def test_names_are_compared_without_titles_case_spacing_or_punctuation(village: str, bpjs: str, same: bool) -> None:
    with duckdb.connect() as con:
        run_script(con, "create_macros", mask_variables())
        for name, pattern in reference.name_title_patterns().items():
            con.execute(f"set variable {name} = $pattern", {"pattern": pattern})
        assert con.execute("select name_key($a) = name_key($b)", {"a": village, "b": bpjs}).fetchall() == [(same,)]


def test_titled_names_on_rosters_raise_no_name_warning(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    titled = [[ANI, "Hj. Ani Lestari, S.Pd.", "P", "Ketua RT 001", "Sudah", KPJ[ANI]]]
    write_roster(raw / "2024-04" / "Cilongok" / "Batuanten.xlsx", {"RT RW": titled})
    write_xlsx(
        raw / "2024-04" / "BPJS" / "Peserta.xlsx", PESERTA_HEADER, [peserta_row(ANI, "ANI LESTARI", "AKTIF", "2024-04")]
    )
    warehouse = tmp_path / "cakupan.duckdb"
    build_warehouse(raw, warehouse)
    assert statuses(warehouse)[masked(ANI)] == ("terverifikasi", "nik", None)


def test_absurd_amounts_and_dates_are_refused_and_nothing_fails(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    forever = peserta_row(BUDI, "Budi", "AKTIF", "31/12/9999")
    base_zone(raw, peserta=[*[row for row in PESERTA if row[0] != KPJ[BUDI]], forever])
    bad_payments = [
        [KPJ[ANI], ANI, "2024-04", "10/04/2024", "9223372036854775807", "APBDes"],
        [KPJ[ANI], ANI, "2024-03", "10/03/2024", "5.000.000.000.000.000.000", "APBDes"],
        [KPJ[ANI], ANI, "2024-02", "31/12/9999", "16.800", "APBDes"],
        [KPJ[ANI], ANI, "9999-12", "10/04/2024", "16.800", "APBDes"],
        *PAYMENTS,
    ]
    write_csv(raw / "2024-04" / "BPJS" / "Iuran April.csv", IURAN_HEADER, bad_payments)
    claims = [
        ["K-1", KPJ[DEWI], DEWI, "JKM", "02/03/2024", "31/12/9999", "42.000.000"],
        ["K-2", KPJ[DEWI], DEWI, "JKK", "02/03/2024", "01/01/0001", "1.000.000"],
        ["K-3", KPJ[DEWI], DEWI, "JHT", "02/03/2024", "20/03/2024", "9223372036854775807"],
        ["K-4", KPJ[DEWI], DEWI, "JKM", "02/03/2024", "20/03/2024", "42.000.000"],
    ]
    write_xlsx(raw / "2024-04" / "BPJS" / "Klaim.xlsx", KLAIM_HEADER, claims)
    warehouse = tmp_path / "cakupan.duckdb"
    build_warehouse(raw, warehouse)

    failed = query(
        warehouse,
        "select check_name, source_row from validation_failures where severity = 'error' "
        "and source_file like '%BPJS%' order by all",
    )
    assert failed == [
        ("iuran_amount_implausible", 2),
        ("iuran_amount_implausible", 3),
        ("iuran_month_invalid", 5),  # past any year a month is read in
        ("iuran_paid_date_out_of_range", 4),
        ("klaim_amount_implausible", 6),
        ("klaim_paid_date_out_of_range", 4),
        ("klaim_paid_date_out_of_range", 5),
        ("peserta_last_paid_month_out_of_range", 9),
    ]
    assert query(warehouse, "select count(*), sum(amount_idr) from bpjs_contributions") == [(1, 16_800)]
    assert query(warehouse, "select sum(claims_idr) from claims_vs_contributions") == [(42_000_000,)]
    assert statuses(warehouse)[masked(BUDI)][0] != "belum_dilaporkan"  # never paid up to 9999
    report = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--warehouse", str(warehouse), "--out", str(report)])
    assert result.exit_code == 0, result.output
    assert "Rp 42.000.000" in report.read_text() or "42" in report.read_text()


def test_a_branch_list_past_a_rosters_row_limit_is_read_as_the_export(
    baseline: tuple[Path, tuple[object, ...]], tmp_path: Path
) -> None:
    raw = copy_of(baseline, tmp_path)
    # the branch's whole list: our people among 150,000 rows of others (a roster stops at 100,000)
    others = [
        [f"9{n:010d}", "", f"PESERTA {n}", "", "BPU", "JKK", "01/01/2024", "AKTIF", "2024-04"] for n in range(150_000)
    ]
    (raw / "2024-04" / "BPJS" / "Peserta April.xlsx").unlink()
    write_csv(raw / "2024-04" / "BPJS" / "Peserta April seluruh cabang.csv", PESERTA_HEADER, [*PESERTA, *others])
    write_csv(raw / "2024-04" / "Cilongok" / "daftar panjang.csv", ["NO", "NIK", "NAMA"], [["1", ANI, "Ani"]] * 100_001)
    warehouse = tmp_path / "cakupan.duckdb"
    build_warehouse(raw, warehouse)
    assert file_status(warehouse, "seluruh cabang.csv")[:2] == ("bpjs_participants", "loaded")
    assert query(warehouse, "select rows_loaded from ingested_files where source_file like '%seluruh%'") == [
        (150_000 + len(PESERTA),)
    ]
    assert figures(warehouse) == baseline[1]
    kind, status, reason, _ = file_status(warehouse, "daftar panjang.csv")
    assert (kind, status) == ("roster", "rejected") and "a roster has at most 100,000 rows" in str(reason)
