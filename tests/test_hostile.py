"""One bad file never stops a night: each hostile class beside ordinary village files.

Every test builds its file in a temporary landing zone next to two ordinary rosters, runs
the real sequence, and checks that the run completes, that the ordinary villages' figures
are what they were, and that the hostile file is recorded with a reason naming its limit.
Peak memory and time are measured by `make bench`, not here.
"""

from __future__ import annotations

import logging
import os
import shutil
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from flows.ingest.outcomes import BatchOutcome, DiscoveredFile
from flows.ingest.workers import BatchProcessor
from flows.regency_run import PlainSteps, run_pipeline
from flows.run_options import RunOptions
from flows.runtime.pool import HasResult
from flows.settings import Settings, state_path_for
from tests.helpers import ANI, BUDI, assert_reasons_catalogued, build_warehouse, view, write_roster

ORDINARY = {"Batuanten": ANI, "Pejogol": BUDI}  # two villages of Cilongok, one BPD member each, enrolled


def ordinary_zone(raw: Path) -> None:
    for village, nik in ORDINARY.items():
        write_roster(
            raw / "2024-04" / "Cilongok" / f"{village}.xlsx",
            {"BPD": [[nik, village, "L", "Anggota BPD", "Sudah", "12345678901"]]},
            village=village.upper(),
        )


def run_beside_ordinary(tmp_path: Path) -> dict[str, dict[str, object]]:
    """Run over the zone; check the ordinary villages; return every file's record by path."""
    warehouse = tmp_path / "wh" / "cakupan.duckdb"
    build_warehouse(tmp_path / "raw", warehouse)
    coverage = (
        view(warehouse, "coverage_by_village").filter(pl.col("village_name").is_in(list(ORDINARY))).sort("village_name")
    )
    assert coverage.select("village_name", "members", "enrolled").rows() == [("Batuanten", 1, 1), ("Pejogol", 1, 1)]
    files = view(warehouse, "ingested_files")
    assert_reasons_catalogued(state_path_for(warehouse))
    return {row["source_file"]: row for row in files.iter_rows(named=True)}


def record(tmp_path: Path, hostile: Path) -> dict[str, object]:
    files = run_beside_ordinary(tmp_path)
    return files[hostile.relative_to(tmp_path / "raw").as_posix()]


def patch_sizes(path: Path, member: str, declared: int) -> None:
    """Make a zip member's local and central headers declare `declared` bytes, whatever it inflates to."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(member).header_offset
    struct.pack_into("<I", data, offset + 22, declared)  # local header: uncompressed size
    name, central = member.encode(), -1
    while (central := data.find(b"PK\x01\x02", central + 1)) >= 0:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_length] == name:
            struct.pack_into("<I", data, central + 24, declared)  # central directory: uncompressed size
            break
    path.write_bytes(bytes(data))


def rewrite_member(path: Path, member: str, change: bytes, into: bytes) -> None:
    """Rewrite one member of an xlsx (the others copied as they are)."""
    copy = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info, content.replace(change, into) if info.filename == member else content)
    copy.replace(path)


def roster_xlsx(path: Path) -> Path:
    write_roster(path, {"BPD": [[ANI, "X", "L", "Anggota BPD", "Sudah", ""]]}, village="KARANGTENGAH")
    return path


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    ordinary_zone(tmp_path / "raw")
    return tmp_path / "raw"


def test_a_zip_whose_headers_lie_about_its_size_is_refused(tmp_path: Path, raw: Path) -> None:
    hostile = roster_xlsx(raw / "2024-04" / "Cilongok" / "Karangtengah.xlsx")
    with zipfile.ZipFile(hostile, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (300 * 2**20))  # 300 MiB of zeros: about 0.3 MB packed
    patch_sizes(hostile, "xl/media/padding.bin", 1000)
    with zipfile.ZipFile(hostile) as archive:
        assert archive.getinfo("xl/media/padding.bin").file_size == 1000  # the lie is in place
    found = record(tmp_path, hostile)
    assert found["status"] == "rejected"
    assert "unpacks to more than 256 MiB (its headers claim 0 MiB for xl/media/padding.bin)" in str(found["reason"])


@pytest.mark.parametrize(
    ("dimension", "far_cell"),
    [
        (b'<dimension ref="A1:J26"/>', b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'),
        (b'<dimension ref="A1:J26"/>', b'<row r="1048576"><c s="0" t="n" r="XFD1048576"><v>1</v></c></row>'),
        (b"", b'<row r="200000"><c s="0" r="B200000"><v>1</v></c></row>'),
    ],
    ids=["dimension-lies", "attribute-order", "no-dimension-far-row"],
)
def test_a_sheet_with_a_far_cell_is_refused_before_calamine(
    tmp_path: Path, raw: Path, dimension: bytes, far_cell: bytes
) -> None:
    """calamine would allocate the whole range (512 GiB) and abort the process: no exception to catch."""
    hostile = roster_xlsx(raw / "2024-04" / "Cilongok" / "Karangtengah.xlsx")
    with zipfile.ZipFile(hostile) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    start = sheet.index(b"<dimension")
    real = sheet[start : sheet.index(b"/>", start) + 2]
    rewrite_member(hostile, "xl/worksheets/sheet1.xml", real, dimension)
    rewrite_member(hostile, "xl/worksheets/sheet1.xml", b"</sheetData>", far_cell + b"</sheetData>")
    found = record(tmp_path, hostile)
    assert found["status"] == "rejected"
    assert "a roster has at most 256 columns and 100,000 rows; refused" in str(found["reason"])
    assert found["village_code"] == "33.02.17.2015"  # placed by its name: the village is told


def test_a_csv_with_an_unclosed_quote_is_refused_not_swallowed(tmp_path: Path, raw: Path) -> None:
    hostile = raw / "2024-04" / "Cilongok" / "Karangtengah.csv"
    rows = [f"{i};{ANI[:-4]}{i:04d};Nama {i};Anggota BPD;Sudah" for i in range(1, 50)]
    hostile.write_text("NO;NIK;NAMA;JABATAN;STATUS\n" + '1;"3302;Broken;Anggota BPD;Sudah\n' + "\n".join(rows))
    found = record(tmp_path, hostile)
    assert found["status"] == "rejected" and "damaged CSV near line" in str(found["reason"])

    (raw / "2024-04" / "Cilongok" / "Karangtengah.csv").write_text(
        'NO;NIK;NAMA\n1;"' + "x" * 200_000 + "\n"  # past the csv module's field limit (131,072)
    )
    found = record(tmp_path, hostile)
    assert found["status"] == "rejected" and "field larger than field limit" in str(found["reason"])


def test_a_csv_past_the_row_or_column_limit_is_refused_never_cut(tmp_path: Path, raw: Path) -> None:
    tall = raw / "2024-04" / "Cilongok" / "Karangtengah.csv"
    tall.write_text("NO;NIK;NAMA;JABATAN;STATUS\n" + "1;3302171205750009;X;Anggota BPD;Sudah\n" * 100_001)
    wide = raw / "2024-04" / "Cilongok" / "Karanglo.csv"
    wide.write_text("NO;NIK;NAMA;" + ";".join(f"C{i}" for i in range(16_381)) + "\n")
    files = run_beside_ordinary(tmp_path)
    assert files["2024-04/Cilongok/Karangtengah.csv"]["status"] == "rejected"
    assert "100,002 lines; a roster has at most 100,000 rows" in str(
        files["2024-04/Cilongok/Karangtengah.csv"]["reason"]
    )
    assert "row 1 has a filled cell past column 256" in str(files["2024-04/Cilongok/Karanglo.csv"]["reason"])


def test_an_html_xls_with_unclosed_cells_is_read_cell_by_cell(tmp_path: Path, raw: Path) -> None:
    """Each unclosed <td> ends at the next: read in linear time (it was 30 s for 195 KB)."""
    hostile = raw / "2024-04" / "Cilongok" / "Karangtengah.xls"
    body = "".join(f"<tr><td>{i}<td>3302171205{i:06d}<td>Nama {i}<td>Anggota BPD<td>Sudah" for i in range(1, 3000))
    hostile.write_text(f"<html><table><tr><td>NO<td>NIK<td>NAMA<td>JABATAN<td>STATUS{body}</table></html>")
    assert hostile.stat().st_size > 195_000
    found = record(tmp_path, hostile)
    assert (found["status"], found["rows_read"]) == ("loaded", 2999)


def test_a_file_name_that_is_not_utf8_is_recorded(tmp_path: Path, raw: Path) -> None:
    folder = os.fsencode(raw / "2024-04" / "Cilongok")
    roster_xlsx(Path(os.fsdecode(folder + b"/\xff\xfe Karangtengah.xlsx")))
    files = run_beside_ordinary(tmp_path)
    (name,) = [name for name in files if "Karangtengah" in name]
    assert name == "2024-04/Cilongok/\\xff\\xfe Karangtengah.xlsx"
    assert files[name]["status"] == "rejected" and "not valid UTF-8 (rename the file)" in str(files[name]["reason"])


def test_a_file_moved_out_of_a_misnamed_folder_is_judged_by_its_new_path(tmp_path: Path, raw: Path) -> None:
    misnamed = roster_xlsx(raw / "2024-4" / "Cilongok" / "Karangtengah.xlsx")
    files = run_beside_ordinary(tmp_path)
    assert files["2024-4/Cilongok/Karangtengah.xlsx"]["status"] == "ignored"
    moved = raw / "2024-04" / "Cilongok" / "Karangtengah.xlsx"
    shutil.move(misnamed, moved)
    files = run_beside_ordinary(tmp_path)
    assert files["2024-04/Cilongok/Karangtengah.xlsx"]["status"] == "loaded"
    copied = raw / "2024-04" / "Cilongok" / "Karangtengah (salinan).xlsx"
    shutil.copy(moved, copied)  # a byte-identical second copy of a file still in the zone is a copy
    files = run_beside_ordinary(tmp_path)
    assert files["2024-04/Cilongok/Karangtengah (salinan).xlsx"]["status"] == "ignored"


@pytest.mark.parametrize("left", ["nothing", "a broken file"], ids=["renamed", "sent again under another name"])
def test_content_already_read_under_another_name_is_a_copy_of_it_and_the_run_goes_on(
    tmp_path: Path, raw: Path, left: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A file renamed, or its good content sent again under another name after a broken version replaced it:
    read again, the same content's slots collided in file_groups and every run failed until it was removed."""
    path = roster_xlsx(raw / "2024-04" / "Cilongok" / "Karangtengah.xlsx")
    first = run_beside_ordinary(tmp_path)
    assert first["2024-04/Cilongok/Karangtengah.xlsx"]["status"] == "loaded"
    good = path.read_bytes()
    if left == "nothing":
        path.unlink()
    else:
        path.write_bytes(b"PK\x03\x04 broken")
        run_beside_ordinary(tmp_path)
    (raw / "2024-04" / "Cilongok" / "Salinan Karangtengah.xlsx").write_bytes(good)
    with caplog.at_level(logging.INFO, logger="cakupan"):
        files = run_beside_ordinary(tmp_path)  # raised a constraint error before
    assert "0 new or changed, 1 ignored (the same content as a file already read)" in caplog.text  # why it republishes
    again = files["2024-04/Cilongok/Salinan Karangtengah.xlsx"]
    assert again["status"] == "ignored" and "Karangtengah.xlsx" in str(again["reason"]), again
    versions = view(tmp_path / "wh" / "cakupan.duckdb", "ingested_files").filter(
        pl.col("source_file") == "2024-04/Cilongok/Karangtengah.xlsx"
    )
    assert "loaded" in versions["status"].to_list()  # the content read first still counts


class DyingSteps(PlainSteps):
    """Plain steps whose run dies (a worker SIGKILLed, a machine lost) as its first batch is submitted."""

    def submit(self, processor: BatchProcessor, files: list[DiscoveredFile]) -> HasResult[BatchOutcome]:
        raise RuntimeError("killed")


@pytest.mark.parametrize("copy_name", ["Karangtengah revisi.xlsx", "A Karangtengah.xlsx"], ids=["after", "before"])
def test_a_run_that_dies_after_recording_a_copy_reads_the_original_when_resumed(
    tmp_path: Path, raw: Path, copy_name: str
) -> None:
    """Two byte-identical files: the run records one as a copy of the other, then dies before the other is read.
    Resumed, the other was taken for a copy of its own copy: both ignored, the village's people gone."""
    original = roster_xlsx(raw / "2024-04" / "Cilongok" / "Karangtengah.xlsx")
    shutil.copy(original, original.with_name(copy_name))  # sorted after or before the original
    warehouse = tmp_path / "wh" / "cakupan.duckdb"
    with pytest.raises(RuntimeError, match="killed"):
        run_pipeline(Settings(raw, warehouse, workers=1, quiet_seconds=0), "dies", RunOptions(), DyingSteps())
    files = run_beside_ordinary(tmp_path)  # resumed: no --full-refresh
    statuses = {name: row["status"] for name, row in files.items() if "Karangtengah" in name}
    assert sorted(statuses.values()) == ["ignored", "loaded"], statuses
    (read,) = [name for name, status in statuses.items() if status == "loaded"]
    (copied,) = [name for name, status in statuses.items() if status == "ignored"]
    assert Path(read).name in str(files[copied]["reason"])  # the copy names the file that counts
    coverage = view(warehouse, "coverage_by_village").filter(pl.col("village_name") == "Karangtengah")
    assert coverage.select("members", "enrolled").rows() == [(1, 1)]


def test_an_xlsxwriter_workbook_of_ordinary_size_passes_the_checks(tmp_path: Path, raw: Path) -> None:
    """The guards do not refuse what villages send: 2,000 rows and 40 columns."""
    path = raw / "2024-04" / "Cilongok" / "Karangtengah.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("BPD")
    sheet.write_row(0, 0, ["NO", "NIK", "NAMA", "JABATAN", "STATUS", *[f"X{i}" for i in range(35)]])
    for i in range(1, 2001):
        sheet.write_row(i, 0, [str(i), f"3302171205{i:06d}", f"Nama {i}", "Anggota BPD", "Sudah"])
    book.close()
    found = record(tmp_path, path)
    assert (found["status"], found["rows_read"]) == ("loaded", 2000)


def test_a_nik_anywhere_is_masked_in_the_analyst_file_and_the_corrections(tmp_path: Path, raw: Path) -> None:
    """A NIK typed into NO KPJ, a file and a sheet named after a NIK: none reaches an analyst or a workbook."""
    import openpyxl

    from flows.outputs.rejects import write_rejects
    from flows.settings import BANYUMAS_REGENCY_CODE, state_path_for
    from flows.store.reference import load_villages
    from tests.helpers import nik_like_values

    nik = "3302175205800007"
    hostile = raw / "2024-04" / "Cilongok" / "Karangtengah" / f"{nik}.xlsx"
    write_roster(hostile, {nik: [[ANI, "Ani", "P", "Anggota BPD", "Sudah", nik]]}, village="KARANGTENGAH")
    files = run_beside_ordinary(tmp_path)
    warehouse = tmp_path / "wh" / "cakupan.duckdb"
    assert nik_like_values(warehouse) == []
    (name,) = [name for name in files if "Karangtengah/" in name]
    assert name == "2024-04/Cilongok/Karangtengah/330217******0007.xlsx"
    failures = view(warehouse, "validation_failures").filter(pl.col("column_name") == "kpj")
    assert failures["failure_value"].to_list() == ["330217******0007"]
    written = write_rejects(
        state_path_for(warehouse), load_villages(region=BANYUMAS_REGENCY_CODE), tmp_path / "out", None, None
    )
    cells = [
        str(value)
        for path in written
        for sheet in openpyxl.load_workbook(path).worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    assert any("330217******0007" in cell for cell in cells)
    assert {path.stat().st_mode & 0o777 for path in written} == {0o600}
    assert not [cell for cell in cells if nik in cell.replace(" ", "")]


XLS_FIXTURE = Path(__file__).parent / "fixtures" / "libreoffice_per_group.xls"
LABELSST, RK, BLANK, DIMENSIONS = b"\xfd\x00\x0a\x00", b"\x7e\x02\x0a\x00", 0x0201, b"\x00\x02\x0e\x00"


def far_cell(data: bytearray) -> None:
    """The last shared-string cell (LABELSST) moved to row 65,536, column 256: inside the row and column limits."""
    struct.pack_into("<HH", data, data.rfind(LABELSST) + 4, 0xFFFF, 0xFF)


def far_number(data: bytearray) -> None:
    """The last number cell (RK) moved to row 65,536, column 256."""
    struct.pack_into("<HH", data, data.rfind(RK) + 4, 0xFFFF, 0xFF)


def far_blank(data: bytearray) -> None:
    """The last shared-string cell made a BLANK (formatting only) at row 65,536, column 256."""
    struct.pack_into("<HHHH", data, data.rfind(LABELSST), BLANK, 10, 0xFFFF, 0xFF)


def lying_dimensions(data: bytearray) -> None:
    """Every DIMENSIONS record claims 1,048,575 rows and 16,383 columns (calamine reserved 687 GB and aborted)."""
    at = data.find(DIMENSIONS)
    while at >= 0:
        struct.pack_into("<IIHH", data, at + 4, 0, 0xFFFFF, 0, 0x3FFF)
        at = data.find(DIMENSIONS, at + 1)


def backwards_dimensions(data: bytearray) -> None:
    """A DIMENSIONS record whose first row is past its last: calamine's row count wraps to 4 billion."""
    struct.pack_into("<IIHH", data, data.find(DIMENSIONS) + 4, 9, 2, 0, 7)


@pytest.mark.parametrize(
    ("patch", "refused"),
    [
        (far_cell, "its sheets span 16,777,"),
        (far_number, "its sheets span 16,777,"),
        (far_blank, "its sheets span 16,777,"),
        (lying_dimensions, "has a cell at column 16383, row 1048575; a roster has at most 256 columns"),
        (backwards_dimensions, "sheet 1 of the workbook has a DIMENSIONS record ending before it starts"),
    ],
    ids=["far-labelsst", "far-rk", "far-blank", "lying-dimensions", "backwards-dimensions"],
)
def test_an_xls_whose_cells_reach_far_is_refused_before_calamine(
    tmp_path: Path, raw: Path, patch: Callable[[bytearray], None], refused: str
) -> None:
    """A real LibreOffice .xls with one record changed: calamine took 1.6 GB for the far cell (6.4 GB seen
    with more), and aborted the process on the DIMENSIONS claims; the cell records are read first.
    """
    data = bytearray(XLS_FIXTURE.read_bytes())
    patch(data)
    hostile = raw / "2024-04" / "Cilongok" / "Karangtengah.xls"
    hostile.write_bytes(bytes(data))
    found = record(tmp_path, hostile)
    assert (found["status"], found["village_code"]) == ("rejected", "33.02.17.2015"), found
    assert str(found["reason"]).startswith("Karangtengah.xls: ") and refused in str(found["reason"])
    assert str(found["reason"]).endswith("; refused")


def test_an_xlsx_spanning_more_cells_than_a_roster_is_refused_inside_the_row_and_column_limits(
    tmp_path: Path, raw: Path
) -> None:
    """One cell at IV100000 (the last row and column allowed) made calamine build 25,600,000 cells: 1.3 GB."""
    hostile = raw / "2024-04" / "Cilongok" / "Karangtengah.xlsx"
    book = xlsxwriter.Workbook(hostile)
    sheet = book.add_worksheet("BPD")
    sheet.write_row(0, 0, ["NO", "NIK", "NAMA", "JABATAN", "STATUS"])
    sheet.write_row(1, 0, ["1", ANI, "Ani", "Anggota BPD", "Sudah"])
    sheet.write(99_999, 255, "x")
    book.close()
    found = record(tmp_path, hostile)
    assert found["status"] == "rejected", found
    assert "its sheets span 25,600,000 cells" in str(found["reason"])


def test_a_workbook_whose_sheets_share_one_part_is_refused(tmp_path: Path, raw: Path) -> None:
    """Twelve sheets pointing at one 92 MiB part took 1.9 GB: calamine reads the part once per sheet."""
    hostile = raw / "2024-04" / "Cilongok" / "Karangtengah.xlsx"
    rows = [[ANI, "X", "L", "Anggota BPD", "Sudah", ""]]
    write_roster(hostile, {"BPD": rows, "LINMAS": [], "RT RW": []}, village="KARANGTENGAH")
    rels = "xl/_rels/workbook.xml.rels"
    rewrite_member(hostile, rels, b'Target="worksheets/sheet2.xml"', b'Target="/xl/worksheets/sheet1.xml"')
    rewrite_member(hostile, rels, b'Target="worksheets/sheet3.xml"', b"Target='worksheets/SHEET1.xml'")
    found = record(tmp_path, hostile)
    assert (found["status"], found["village_code"]) == ("rejected", "33.02.17.2015"), found
    assert found["reason"] == (
        "Karangtengah.xlsx: sheets 1 and 2 of the workbook are one part (xl/worksheets/sheet1.xml), "
        "which would be read once for each; refused"
    )


@pytest.mark.parametrize(
    "page",
    [
        "<html><table><tr><td>NIK</td><td>" + "<" * 300_000 + "</td></tr></table>",
        "<html><table><tr><td>NIK</td>" + "<td " * 100_000 + "</tr></table>",
        "<html><table>" + "<tr " * 100_000 + "</table>",
    ],
    ids=["unclosed-angles", "unclosed-td-tags", "unclosed-tr-tags"],
)
def test_an_html_page_of_unclosed_tags_is_read_in_linear_time(tmp_path: Path, raw: Path, page: str) -> None:
    """300,000 `<` took 53 s (and 1 MB would hold a night for hours) when a tag was `<[^>]*>`."""
    hostile = raw / "2024-04" / "Cilongok" / "Karangtengah.xls"
    hostile.write_text(page)
    found = record(tmp_path, hostile)
    assert found["status"] == "rejected"  # read, quickly, and found to hold no roster


def test_a_path_too_long_for_the_system_and_a_linked_period_folder_are_recorded(
    tmp_path: Path, raw: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = raw / "2024-04" / "x"
    for _ in range(20):  # 20 folders of 250 characters: past PATH_MAX (4,096 bytes), made one step at a time
        deep.mkdir()
        monkeypatch.chdir(deep)
        deep = Path("d" * 250)
    deep.write_text("any")
    monkeypatch.undo()
    (raw / "2024-05").symlink_to("/etc")  # a link named like a newer period: not a period of this zone
    files = run_beside_ordinary(tmp_path)
    assert files["2024-05"]["status"] == "ignored" and "symbolic link to /etc" in str(files["2024-05"]["reason"])
    (too_long,) = [row for name, row in files.items() if name.startswith("2024-04/x/")]
    assert too_long["status"] == "rejected" and "name too long" in str(too_long["reason"]).lower()


def test_a_nik_in_free_text_in_a_dotted_name_or_a_title_never_reaches_analysts_or_prefect(
    tmp_path: Path, raw: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """SUMBER IURAN holding a NIK, a file named with a dotted NIK, a title block naming a NIK for the village."""
    import re

    from flows.settings import state_path_for
    from flows.store import state_current, state_db
    from tests.helpers import nik_like_values

    nik, dotted = "3302175205800015", "3302.1752.0580.0020"
    path = raw / "2024-04" / "Cilongok" / f"Karangtengah {dotted}.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("BPD")
    sheet.write_row(0, 0, ["NO", "NIK", "NAMA", "JABATAN", "STATUS", "SUMBER IURAN"])
    sheet.write_row(1, 0, ["1", "3302171205750003", "Ani", "Anggota BPD", "Sudah", nik])
    book.close()
    unplaced = raw / "2024-04" / "kiriman" / "laporan.xlsx"
    write_roster(unplaced, {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", ""]]}, village=nik, district=nik)
    with caplog.at_level("WARNING", logger="cakupan"):
        files = run_beside_ordinary(tmp_path)
    warehouse = tmp_path / "wh" / "cakupan.duckdb"
    assert nik_like_values(warehouse) == []
    assert "2024-04/Cilongok/Karangtengah ******.xlsx" in files
    assert (
        view(warehouse, "roster")
        .filter(pl.col("sheet") == "BPD")["contribution_source"]
        .to_list()
        .count("330217******0015")
    )
    assert files["2024-04/kiriman/laporan.xlsx"]["status"] == "rejected"
    leaked = re.compile(r"\d{16}|\d{4}\.\d{4}\.\d{4}\.\d{4}")
    logged = [record.getMessage() for record in caplog.records]
    assert any("laporan.xlsx" in line for line in logged) and not [line for line in logged if leaked.search(line)]
    with state_db.connect_state(state_path_for(warehouse)) as con:
        artifact = state_current.rejected_files(con)  # the rows of Prefect's table artifact
    assert artifact and not [row for row in artifact if leaked.search(" ".join(row.values()))]


FAR = b'<row r="100000"><c r="ALL100000"><v>1</v></c></row>'


@pytest.mark.parametrize(
    ("member", "change", "into"),
    [
        ("xl/worksheets/sheet1.xml", b"</sheetData>", FAR.replace(b'"', b"'") + b"</sheetData>"),  # single quotes
        ("xl/worksheets/sheet1.xml", b"</sheetData>", FAR.replace(b' r="A', b' r = "a') + b"</sheetData>"),
        (
            "xl/worksheets/sheet1.xml",
            b"</sheetData>",
            b'<x:row r="3"><x:c r="IW3" xmlns:x="urn:x"/></x:row></sheetData>',
        ),
        (
            "xl/worksheets/sheet1.xml",
            b"</sheetData>",
            b'<row r="9">' + b"<c><v>1</v></c>" * 300 + b"</row></sheetData>",
        ),
        (
            "xl/worksheets/sheet1.xml",
            b"</sheetData>",
            b'<row r="3000000"><c t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
        ),
        (
            "xl/worksheets/sheet1.xml",
            b"</sheetData>",
            b'<row r="5"><c s="0" zz="' + b"z" * 2_000_000 + b'" r="ALL5"/></row></sheetData>',
        ),
        ("xl/sharedStrings.xml", b"</sst>", b"<si><t>" + b"x" * 40_000 + b"</t></si></sst>"),
    ],
    ids=[
        "single-quotes",
        "spaces-lowercase",
        "namespace-prefix",
        "cells-without-r",
        "3m-rows",
        "long-attribute",
        "huge-text",
    ],
)
def test_far_cells_and_huge_texts_are_refused_however_written(
    tmp_path: Path, raw: Path, member: str, change: bytes, into: bytes
) -> None:
    """The attack's variants: a regex on `<c r="...">` missed each; an XML parser reads them all."""
    hostile = roster_xlsx(raw / "2024-04" / "Cilongok" / "Karangtengah.xlsx")
    with zipfile.ZipFile(hostile) as archive:
        if member not in archive.namelist():
            member, change, into = "xl/worksheets/sheet1.xml", b"</sheetData>", b"</sheetData>"
    rewrite_member(hostile, member, change, into)
    found = record(tmp_path, hostile)
    assert found["status"] == "rejected", found
    assert "refused" in str(found["reason"]) and found["village_code"] == "33.02.17.2015"


def test_a_sheet_stored_outside_the_worksheets_folder_is_checked_too(tmp_path: Path, raw: Path) -> None:
    hostile = roster_xlsx(raw / "2024-04" / "Cilongok" / "Karangtengah.xlsx")
    rewrite_member(hostile, "xl/worksheets/sheet1.xml", b"</sheetData>", FAR + b"</sheetData>")
    copy = hostile.with_suffix(".tmp")
    with zipfile.ZipFile(hostile) as source, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info).replace(b"worksheets/sheet1.xml", b"data/s1.XML")
            name = "xl/data/s1.XML" if info.filename == "xl/worksheets/sheet1.xml" else info.filename
            target.writestr(name, content)
    copy.replace(hostile)
    found = record(tmp_path, hostile)
    assert found["status"] == "rejected" and "xl/data/s1.XML has a cell" in str(found["reason"])


def test_an_ods_whose_filled_row_repeats_past_the_limit_is_refused(tmp_path: Path, raw: Path) -> None:
    """LibreOffice's own empty repeated rows pass (the fixture); a filled row repeated 200,000 times does not."""
    hostile = raw / "2024-04" / "Cilongok" / "Karangtengah.ods"
    shutil.copy(Path(__file__).parent / "fixtures" / "libreoffice_per_group.ods", hostile)
    repeated = b'<table:table-row table:number-rows-repeated="200000"'  # every row, so the filled ones too
    rewrite_member(hostile, "content.xml", b"<table:table-row", repeated)
    found = record(tmp_path, hostile)
    assert found["status"] == "rejected" and "a roster has at most" in str(found["reason"])


def test_csv_as_excel_for_mac_and_as_unicode_text_are_read(tmp_path: Path, raw: Path) -> None:
    """Genuine files the strict reader refused: lines ending in CR alone, and UTF-16 with its BOM."""
    text = "NO;NIK;NAMA;JABATAN;STATUS\r1;3302171205750009;Ani;Anggota BPD;Sudah\r"
    mac = raw / "2024-04" / "Cilongok" / "Karangtengah.csv"
    mac.write_bytes(text.encode())
    unicode_text = raw / "2024-04" / "Cilongok" / "Karanglo.csv"
    unicode_text.write_bytes(text.replace("\r", "\r\n").replace(";", "\t").encode("utf-16"))
    files = run_beside_ordinary(tmp_path)
    for path in (mac, unicode_text):
        found = files[path.relative_to(raw).as_posix()]
        assert (found["status"], found["rows_loaded"]) == ("loaded", 1), found


def test_a_text_file_larger_than_a_roster_can_be_is_refused(tmp_path: Path, raw: Path) -> None:
    hostile = raw / "2024-04" / "Cilongok" / "Karangtengah.csv"
    hostile.write_text("NO;NIK;NAMA\n" + ("1;2;" + ";" * 3000 + "\n") * 23_000)  # 69 MB in 23,001 lines
    found = record(tmp_path, hostile)
    assert found["status"] == "rejected" and "more than a roster can be (at most 64)" in str(found["reason"])


def test_a_zip_behind_ole2_magic_or_with_xml_expat_refuses_is_still_checked(tmp_path: Path, raw: Path) -> None:
    """Two ways past the checks the review found: sniffed as .xls by its first bytes; expat giving up on a sheet."""
    from flows.ingest.sniff import OLE2_MAGIC

    prefixed = roster_xlsx(raw / "2024-04" / "Cilongok" / "Karangtengah.xlsx")
    rewrite_member(prefixed, "xl/worksheets/sheet1.xml", b"</sheetData>", FAR + b"</sheetData>")
    prefixed.write_bytes(OLE2_MAGIC + prefixed.read_bytes())
    duplicate = roster_xlsx(raw / "2024-04" / "Cilongok" / "Karanglo.xlsx")
    rewrite_member(
        duplicate,
        "xl/worksheets/sheet1.xml",
        b"</sheetData>",
        b'<row r="7"><c t="inlineStr" t="inlineStr"><is><t>x</t></is></c></row>' + FAR + b"</sheetData>",
    )
    files = run_beside_ordinary(tmp_path)
    for path in (prefixed, duplicate):
        found = files[path.relative_to(raw).as_posix()]
        assert found["status"] == "rejected" and "a roster has at most" in str(found["reason"]), found


MASK_ADVERSARIAL = """
import sys
import polars as pl
from flows.privacy import mask_nik, mask_text

size = int(sys.argv[1])
units = ("1 ", "1  ", "1 2 3 4 5 6 7 8 9 0 1x", "12345678901 ", "1.2-3 4.5-6 7.8-9 0.1-", "1" * 11 + "-")
wide = ("\uff11_", "\uff11\u00a0" * 11 + "x", "1" + " " * 1000, ("1" + "\u200b" * 50) * 11 + "x")
for unit in units + wide:
    text = unit * (size // len(unit))
    masked = mask_text(text)
    frame = pl.DataFrame({"v": [text]}).select(mask_nik(pl.col("v")))
    assert len(masked) <= len(text) and frame.height == 1
print("done")
"""


def test_the_nik_masks_finish_on_megabytes_of_digits_and_separators(tmp_path: Path) -> None:
    """flows/privacy.py's patterns run on every failure, log line and artifact: they must stay linear.

    Runs of digits (ASCII, fullwidth) and separators (NBSP, zero-width spaces, long runs of
    spaces) just short of a match, or matching for a megabyte, take at most about 3 s per
    megabyte each in Python's `re` (measured: 0.13 to 2.9 s); a pattern that backtracks
    quadratically would need hours on 2 MB, far past the two minutes allowed.
    """
    import subprocess
    import sys

    script = tmp_path / "mask.py"
    script.write_text(MASK_ADVERSARIAL)
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    out = subprocess.run(
        [sys.executable, str(script), str(2_000_000)], capture_output=True, text=True, env=environment, timeout=120
    )
    assert out.returncode == 0 and out.stdout.split() == ["done"], out.stderr
