"""Read a village file into raw sheets: every cell as text, rows numbered as in the file.

The content decides how a file is read, not its extension: an `.xls` that is really HTML
or xlsx, or a `.csv` that is really tab-separated, is read as what it is. Zip archives are
checked before calamine sees them (it has no limit on decompressed size).
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl

ROSTER_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".csv"})
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 256
DIMENSION = re.compile(rb'<dimension ref="[A-Z]+\d+:([A-Z]+)(\d+)"')
CELL_REF = re.compile(rb'<c r="([A-Z]+)(\d+)"')
DELIMITERS = (";", ",", "\t", "|")
CELL_PREFIX = "__UNNAMED__"  # grid columns as fastexcel names them without a header row; `grid_of` does the same
HTML_ROW = re.compile(r"<tr\b[^>]*>(.*?)(?=<tr\b|</table\b|$)", re.IGNORECASE | re.DOTALL)
HTML_CELL = re.compile(r"<t[dh]\b[^>]*>(.*?)</t[dh]\s*>", re.IGNORECASE | re.DOTALL)
LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
TAG = re.compile(r"<[^>]*>")


class UnreadableFileError(Exception):
    """The file cannot be read as a roster; the message says why, in plain words, naming the file."""


@dataclass(frozen=True)
class RawSheet:
    """One sheet as a grid of text cells; grid row i is the file's row i + 1."""

    name: str
    grid: pl.DataFrame


def column_number(letters: bytes) -> int:
    """`A` -> 1, `XFD` -> 16384."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def sniff(path: Path, head: bytes) -> str:
    """What the file really is: xlsx, ods, xls, encrypted, html or text."""
    if head.startswith(ZIP_MAGIC):
        return "ods" if head[30:38] == b"mimetype" and ODS_MIMETYPE in head[:200] else "xlsx"
    if head.startswith(OLE2_MAGIC):
        return "encrypted" if "EncryptedPackage".encode("utf-16-le") in path.read_bytes() else "xls"
    if b"\x00" in head[:4096]:
        raise UnreadableFileError(f"{path.name}: not a spreadsheet or text file (binary content)")
    if re.search(rb"<\s*(html|table)\b", head[:4096], re.IGNORECASE):
        return "html"
    return "text"


def check_archive(path: Path) -> None:
    """Refuse zip bombs: too much unpacked data, or a sheet reaching far beyond any roster."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_UNPACKED_BYTES:
                raise UnreadableFileError(
                    f"{path.name}: unpacks to {unpacked // 2**20} MiB, more than a roster can be; refused"
                )
            for name in archive.namelist():
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    check_extent(path, name, archive)
    except zipfile.BadZipFile as error:
        raise UnreadableFileError(f"{path.name}: damaged file (corrupt zip archive: {error})") from error


def check_extent(path: Path, member: str, archive: zipfile.ZipFile) -> None:
    """A worksheet whose used range reaches past MAX_ROWS or MAX_COLUMNS is refused before calamine builds it.

    The `<dimension>` near the top of the sheet says it; without one, every cell reference is read.
    """
    with archive.open(member) as stream:
        found = DIMENSION.search(stream.read(4096))
    refs = [found.groups()] if found else CELL_REF.findall(archive.read(member))
    far_column = max((column_number(letters) for letters, _ in refs), default=0)
    far_row = max((int(row) for _, row in refs), default=0)
    if far_column > MAX_COLUMNS or far_row > MAX_ROWS:
        raise UnreadableFileError(
            f"{path.name}: {member} reaches column {far_column}, row {far_row}; a roster is never that large; refused"
        )


def read_workbook(path: Path) -> list[RawSheet]:
    """Every sheet of a spreadsheet, all cells as text, no rows skipped, whatever its extension says."""
    with path.open("rb") as stream:
        head = stream.read(8192)
    if not head:
        raise UnreadableFileError(f"{path.name}: the file is empty (0 bytes)")
    kind = sniff(path, head)
    if kind == "encrypted":
        raise UnreadableFileError(f"{path.name}: the workbook is password-protected; send it without a password")
    if kind == "html":
        return [RawSheet(path.stem, grid_of(html_rows(decode(path.read_bytes()))))]
    if kind == "text":
        return [RawSheet(path.stem, grid_of(text_rows(decode(path.read_bytes()))))]
    if kind in {"xlsx", "ods"}:
        check_archive(path)
    return excel_sheets(path)


def excel_sheets(path: Path) -> list[RawSheet]:
    """xlsx, xls and ods through fastexcel (calamine)."""
    try:
        reader = fastexcel.read_excel(path.read_bytes())  # bytes: calamine sniffs the format, not the extension
        return [
            RawSheet(name, reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=0).to_polars())
            for name in reader.sheet_names
        ]
    except Exception as error:  # calamine raises several unrelated types for a bad file
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        if re.search(r"password|encrypt", message, re.IGNORECASE):
            raise UnreadableFileError(f"{path.name}: the workbook is password-protected ({message})") from error
        raise UnreadableFileError(f"{path.name}: damaged or unreadable spreadsheet ({message})") from error


def decode(data: bytes) -> str:
    """Text from UTF-8 (with or without BOM), else Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def text_rows(text: str) -> list[list[str]]:
    """Rows of delimited text; the delimiter is the one that splits the first rows into the most fields.

    Fields are counted after CSV quoting is applied, so a `,` inside a quoted `;`-separated
    field (`"Banyumas, 12-05-1975"`) does not count for `,`.
    """
    sample = text[:20_000]

    def fields(delimiter: str) -> int:
        return sum(len(row) - 1 for row in csv.reader(io.StringIO(sample), delimiter=delimiter))

    return list(csv.reader(io.StringIO(text), delimiter=max(DELIMITERS, key=fields)))


def html_rows(text: str) -> list[list[str]]:
    """Rows (`<tr>`) of the HTML table(s) of a page, cells (`<td>`, `<th>`) as plain text; `<br>` is a new line.

    Regular expressions rather than `html.parser`: an HTML "xls" is one flat table, and the
    parser spent more time on those files than calamine did on all the others.
    """
    return [
        [html.unescape(TAG.sub("", LINE_BREAK.sub("\n", cell))).strip() for cell in HTML_CELL.findall(row)]
        for row in HTML_ROW.findall(text)
    ]


def grid_of(rows: list[list[str]]) -> pl.DataFrame:
    """A grid of text cells from ragged rows, empty cells as null, trailing empty columns dropped."""
    cells = [[cell.strip() or None for cell in row[:MAX_COLUMNS]] for row in rows[:MAX_ROWS]]
    width = max((i + 1 for row in cells for i, cell in enumerate(row) if cell is not None), default=0)
    return pl.DataFrame(
        [
            pl.Series(f"{CELL_PREFIX}{i}", [row[i] if i < len(row) else None for row in cells], pl.String)
            for i in range(width)
        ]
    )
