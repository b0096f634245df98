"""The readers: xlsx, xls and ods through fastexcel (calamine), and delimited text and HTML tables, each to
raw sheets of text cells, rows numbered as in the file.
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl

from flows.ingest.limits import MAX_COLUMNS, UnreadableFileError, limits
from flows.ingest.reasons import DAMAGED_CSV, DAMAGED_SPREADSHEET, PASSWORD, TOO_MANY_ROWS, TOO_WIDE
from flows.ingest.sniff import UTF16_BOMS

DELIMITERS = (";", ",", "\t", "|")
CELL_PREFIX = "__UNNAMED__"  # grid columns as fastexcel names them without a header row; `grid_of` does the same
# Tags are matched as `<` then no `<` or `>` up to `>`: with `[^>]*`, every `<` of a page full of
# unclosed `<` was searched to the end of the page (quadratic: 300,000 of them took 53 s).
HTML_ROW = re.compile(r"<tr\b[^<>]*>(.*?)(?=<tr\b|</table\b|$)", re.IGNORECASE | re.DOTALL)
# a cell ends at its closing tag, the next cell or the end of the row: an unclosed <td> is read
# to the next one, in linear time (searching each to the row's end was quadratic: 195 KB, 30 s)
HTML_CELL = re.compile(r"<t[dh]\b[^<>]*>(.*?)(?=</t[dh]\s*>|<t[dh]\b|$)", re.IGNORECASE | re.DOTALL)
LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
TAG = re.compile(r"<[^<>]*>")


@dataclass(frozen=True)
class RawSheet:
    """One sheet as a grid of text cells; grid row i is the file's row i + 1, grid column j its column
    `first_column + j` (counted from 0 = A: calamine starts the grid at the first used column).
    """

    name: str
    grid: pl.DataFrame
    first_column: int = 0


def excel_sheets(path: Path, data: bytes) -> list[RawSheet]:
    """xlsx, xls and ods through fastexcel (calamine), from the bytes already read and checked."""
    try:
        reader = fastexcel.read_excel(data)  # bytes: calamine sniffs the format, not the extension
        sheets = [
            (name, reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=0))
            for name in reader.sheet_names
        ]
        return [RawSheet(name, sheet.to_polars(), first_used_column(sheet)) for name, sheet in sheets]
    except Exception as error:  # calamine raises several unrelated types for a bad file
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        if re.search(r"password|encrypt", message, re.IGNORECASE):
            raise UnreadableFileError(PASSWORD(file=path.name, detail=message)) from error
        raise UnreadableFileError(DAMAGED_SPREADSHEET(file=path.name, error=message)) from error


def first_used_column(sheet: fastexcel.ExcelSheet) -> int:
    """The sheet's column (0 = A) that grid column 0 is."""
    columns = sheet.available_columns()
    return columns[0].absolute_index if columns else 0


def decode(data: bytes) -> str:
    """Text from UTF-16 (with its BOM), UTF-8 (with or without BOM), else Windows-1252."""
    if data.startswith(UTF16_BOMS):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def text_rows(name: str, text: str) -> list[list[str]]:
    """Rows of delimited text; the delimiter is the one that splits the first rows into the most fields.

    Fields are counted after CSV quoting is applied, so a `,` inside a quoted `;`-separated
    field (`"Banyumas, 12-05-1975"`) does not count for `,`.
    """
    sample = text[:20_000]

    def fields(delimiter: str) -> int:
        try:
            return sum(len(row) - 1 for row in csv.reader(io.StringIO(sample), delimiter=delimiter))
        except csv.Error:  # a field past the size limit: this delimiter does not split the text
            return -1

    # newline=None: lines ending in CR alone (Excel for Mac) are lines too
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=max(DELIMITERS, key=fields), strict=True)
    try:
        return list(reader)
    except csv.Error as error:  # an unclosed quote would otherwise swallow every row after it
        raise UnreadableFileError(DAMAGED_CSV(file=name, line=reader.line_num, error=str(error))) from error


def html_rows(text: str) -> list[list[str]]:
    """Rows (`<tr>`) of the HTML table(s) of a page, cells (`<td>`, `<th>`) as plain text; `<br>` is a new line.

    Regular expressions rather than `html.parser`: an HTML "xls" is one flat table, and the
    parser spent more time on those files than calamine did on all the others.
    """
    return [
        [html.unescape(TAG.sub("", LINE_BREAK.sub("\n", cell))).strip() for cell in HTML_CELL.findall(row)]
        for row in HTML_ROW.findall(text)
    ]


def grid_of(name: str, rows: list[list[str]]) -> pl.DataFrame:
    """A grid of text cells from ragged rows, empty cells as null, trailing empty columns dropped.

    A grid past limits().rows rows or with a filled cell past MAX_COLUMNS is refused, never cut.
    """
    if len(rows) > limits().rows:
        raise UnreadableFileError(TOO_MANY_ROWS(file=name, lines=len(rows), what=limits().what, rows=limits().rows))
    wide = next((i for i, row in enumerate(rows) if any(cell.strip() for cell in row[MAX_COLUMNS:])), None)
    if wide is not None:
        raise UnreadableFileError(TOO_WIDE(file=name, row=wide + 1, columns=MAX_COLUMNS))
    cells = [[cell.strip() or None for cell in row[:MAX_COLUMNS]] for row in rows]
    width = max((i + 1 for row in cells for i, cell in enumerate(row) if cell is not None), default=0)
    return pl.DataFrame(
        [
            pl.Series(f"{CELL_PREFIX}{i}", [row[i] if i < len(row) else None for row in cells], pl.String)
            for i in range(width)
        ]
    )
