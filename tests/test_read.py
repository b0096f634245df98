"""Reading what villages really send: every format, lying extensions, and files that cannot be read."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import msoffcrypto.format.ooxml
import pytest
import xlsxwriter

from flows.ingest.limits import UnreadableFileError
from flows.ingest.read import read_workbook

ROWS = [["NO", "NIK", "NAMA", "JABATAN", "STATUS"], ["1", "3302171205750001", "Sláměť", "Ketua RT 001", "Sudah"]]
SOFFICE = shutil.which("soffice")
needs_libreoffice = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (Debian libreoffice-calc-nogui) is not installed; .ci/run installs it"
)


def cells(path: Path) -> list[list[str | None]]:
    (sheet,) = read_workbook(path)
    return [list(row) for row in sheet.grid.rows()]


def write_xlsx(path: Path, rows: list[list[str]] = ROWS) -> Path:
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Data")
    for index, row in enumerate(rows):
        sheet.write_row(index, 0, row)
    book.close()
    return path


@pytest.mark.parametrize(
    ("name", "text", "encoding"),
    [
        ("semicolon.csv", "NO;NIK;NAMA;JABATAN;STATUS\n1;3302171205750001;Sláměť;Ketua RT 001;Sudah\n", "utf-8"),
        ("bom.csv", "NO,NIK,NAMA,JABATAN,STATUS\n1,3302171205750001,Sláměť,Ketua RT 001,Sudah\n", "utf-8-sig"),
        (
            "quoted.csv",
            '"NO","NIK","NAMA","JABATAN","STATUS",,\n"1","3302171205750001","Sláměť","Ketua RT 001","Sudah",,\n',
            "utf-8",
        ),
        (
            "really_tabs.csv",
            "NO\tNIK\tNAMA\tJABATAN\tSTATUS\n1\t3302171205750001\tSláměť\tKetua RT 001\tSudah\n",
            "utf-8",
        ),
    ],
)
def test_csv_delimiters_encodings_quotes_and_trailing_columns(
    tmp_path: Path, name: str, text: str, encoding: str
) -> None:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    assert cells(path) == ROWS


def test_windows_1252_csv(tmp_path: Path) -> None:
    path = tmp_path / "ansi.csv"
    path.write_bytes("NO;NAMA\n1;Súkarno\n".encode("cp1252"))
    assert cells(path) == [["NO", "NAMA"], ["1", "Súkarno"]]


def test_blank_csv_lines_keep_their_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("NO;NIK\n\n1;3302171205750001\n")
    assert cells(path) == [["NO", "NIK"], [None, None], ["1", "3302171205750001"]]


def test_xls_that_is_really_html(tmp_path: Path) -> None:
    path = tmp_path / "export.xls"
    header = "".join(f"<th>{c}</th>" for c in ROWS[0])
    body = "".join(f"<td>{c}</td>" for c in ROWS[1])
    path.write_text(f"<html><body><table><tr>{header}</tr><tr>{body}</tr></table></body></html>")
    assert cells(path) == ROWS


def test_html_cells_as_exporting_systems_write_them(tmp_path: Path) -> None:
    path = tmp_path / "export.xls"
    path.write_text(
        "<HTML><TABLE border=1>\n<TR><TH>NO</TH><TH class='h'>NAMA<br/>LENGKAP</TH></TR>\n"
        "<tr><td>1</td><td><b>Siti &amp; Sri</b> &#39;A&#39;</td>\n"  # no </tr>
        "<tr><td>2</td><td>\n  Slamet  </td></tr></TABLE><p>Dicetak oleh sistem</p></HTML>"
    )
    assert cells(path) == [["NO", "NAMA\nLENGKAP"], ["1", "Siti & Sri 'A'"], ["2", "Slamet"]]


def test_xls_that_is_really_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "renamed.xls"
    write_xlsx(tmp_path / "real.xlsx").rename(path)
    assert cells(path) == ROWS


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"PK\x03\x04garbage that is not a zip", "damaged"),
        (b"\x00\x01\x02binary junk", "binary"),
    ],
)
def test_unreadable_files_say_why_and_name_the_file(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "Desa Contoh.xlsx"
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError, match=rf"Desa Contoh\.xlsx: .*{reason}"):
        read_workbook(path)


def test_password_protected_workbook(tmp_path: Path) -> None:
    plain = io.BytesIO(write_xlsx(tmp_path / "plain.xlsx").read_bytes())
    encrypted = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(plain).encrypt("rahasia", encrypted)
    path = tmp_path / "Dikunci.xlsx"
    path.write_bytes(encrypted.getvalue())
    with pytest.raises(UnreadableFileError, match="password-protected"):
        read_workbook(path)


def test_zip_bomb_and_far_cell_are_refused_before_calamine(tmp_path: Path) -> None:
    far = tmp_path / "far.xlsx"
    book = xlsxwriter.Workbook(far)
    sheet = book.add_worksheet()
    sheet.write(0, 0, "NIK")
    sheet.write(1048575, 16383, "x")
    book.close()
    with pytest.raises(UnreadableFileError, match="row 1048576; a roster has at most 256 columns and 100,000 rows"):
        read_workbook(far)

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/padding.bin", b"\0" * (300 * 2**20))
    assert bomb.stat().st_size < 2 * 2**20
    with pytest.raises(UnreadableFileError, match="unpacks to more than 256 MiB"):
        read_workbook(bomb)


@needs_libreoffice
@pytest.mark.parametrize("target", ["xls", "ods"])
def test_libreoffice_xls_and_ods(tmp_path: Path, target: str) -> None:
    source = write_xlsx(tmp_path / "roster.xlsx")
    subprocess.run(
        [str(SOFFICE), "--headless", "--convert-to", target, "--outdir", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    assert cells(tmp_path / f"roster.{target}") == ROWS


@pytest.mark.parametrize(
    ("start", "what"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"\x01\x02\x03\x04" * 50, "binary content"),
    ],
)
def test_a_document_or_image_renamed_xlsx_is_refused_for_what_it_is(tmp_path: Path, start: bytes, what: str) -> None:
    path = tmp_path / "kalitapen purwojati.xlsx"
    path.write_bytes(start + b"stream text without any NUL byte " * 200)
    with pytest.raises(UnreadableFileError, match=what):
        read_workbook(path)
