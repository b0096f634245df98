"""Writing the workbooks sent back to villages and the regency office, as they open and print them.

A village secretary opens them in Excel or LibreOffice, and often prints them. LibreOffice does not
grow a row to fit its wrapped text when it opens a file, so every row is given the height its
longest wrapped cell needs (lines estimated from the text's words and the column's width), the
title and the instruction included; a column is as wide as its header's longest word or its
longest cell, up to a limit. Every sheet prints on A4, landscape, one page wide, with its header
row repeated on each page and the page number at the foot.

Every cell is text, a number or a date, never a formula (text starting with `=` stays text), NIKs
masked. A date column's cell is a date cell shown dd-mm-yyyy when the whole cell is a date; a
rupiah column's, a number with grouped thousands (`#,##0`: 16.800 under an Indonesian locale).
Anything else is written as the village wrote it: a cell that failed a check shows what was written.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import re
import tempfile
import textwrap
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import repeat
from pathlib import Path

import polars as pl
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from flows.ingest.normalize import parse_date, rupiah
from flows.privacy import mask_text

CORRECTIONS_MODE = 0o600  # masked, but still about named people: their reader forwards them by hand
HEADER_ROW = 3  # the title, the instruction and a blank row above the column headers
LINE_POINTS = 15.0  # one line of 11-point text
TITLE_SIZE = 13  # points, against 11 for the rest
MAX_ROW_POINTS = 409.0  # the tallest row Excel and LibreOffice keep
FILL = 0.85  # a column `w` characters wide holds about 0.85 w of them: capitals, bold and fallback fonts are wider
NARROW, WIDE, NARROWEST = 18, 45, 6  # column widths, in characters: most columns, long texts, the least
FILTER_BUTTON = 2  # characters the header's filter button covers
LEGEND_WIDTHS = (24, 50)  # the legend's first column, and the others
DATE_FORMAT = "dd-mm-yyyy"
FIRST_SHOWN_DATE = date(1900, 3, 1)  # Excel's dates before it are off by a day (its 29 February 1900) or none
RUPIAH_FORMAT = "#,##0"
LARGEST_RUPIAH = 10**12  # more is no contribution but an identity number typed there: left as written
A4 = 9  # xlsxwriter's paper code
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.5, "bottom": 0.6}  # inches
PAGE_POINTS = (11.69 - MARGINS["left"] - MARGINS["right"]) * 72  # A4 landscape, between the side margins
TITLE_SHARE = 0.7  # of the first page across: the title and instruction are written over the columns it surely holds
LEGIBLE_SCALE = 0.7  # printed smaller, 11-point text is under 8 points: a table this wide takes more pages across
FOOTER = "&CHalaman &P dari &N"
DATE_CELL_AS_TEXT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T]00:00:00(?:\.0+)?$")  # how a date cell reads as text
UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')  # separators, controls, what Windows refuses
RESERVED_NAME = re.compile(r"^(CON|PRN|AUX|NUL|COM\d|LPT\d)(\.|$)", re.IGNORECASE)  # Windows devices
MAX_NAME_BYTES = 200  # a file name may have 255 bytes; room for `.xlsx` and a temporary prefix


@dataclass(frozen=True)
class Layout:
    """A workbook sent back to villages: its columns, what they mean, and a table of codes for the legend."""

    sheet: str
    headers: dict[str, str]  # frame column -> header
    meanings: dict[str, str]  # header -> what it means
    codes_header: tuple[str, ...]
    codes: Callable[[], list[tuple[str, ...]]]
    wide: tuple[str, ...]  # frame columns of long text
    dates: tuple[str, ...] = ()  # frame columns of dates as written: a date cell where the whole cell is a date
    amounts: tuple[str, ...] = ()  # frame columns of rupiah: a number cell, thousands grouped


@dataclass(frozen=True)
class Formats:
    """The cell formats of one workbook."""

    text: Format
    header: Format
    day: Format
    amount: Format
    title: Format


def workbook_path(out_dir: Path, name: str) -> Path:
    """`<out_dir>/<name>.xlsx` with `name` made a plain file name every system opens, always inside `out_dir`.

    A separator (`/`, `\\`), `:`, a control character (NUL...) or a character Windows refuses
    becomes `-`; leading and trailing dots and spaces go; a name too long is cut; a name left
    empty or naming a Windows device (`CON`, `NUL`...) gets a `_` in front.
    """
    stem = " ".join(UNSAFE_IN_NAME.sub("-", name).split()).strip(". ")
    stem = stem.encode()[:MAX_NAME_BYTES].decode(errors="ignore").strip(". ")
    if not stem or RESERVED_NAME.match(stem):
        stem = f"_{stem}"
    path = out_dir / f"{stem}.xlsx"
    if path.parent != out_dir:  # cannot happen once separators are gone; said as the rule
        raise ValueError(f"a workbook name must not leave its folder: {name}")
    return path


AUTHOR = "cakupan"  # each workbook's author (docProps/core.xml), its layout's sheet its category: `written_kind`


def written_kind(path: Path) -> str | None:
    """The layout (its sheet's name) of a workbook cakupan wrote and nobody saved since (its properties' creation and
    modification times still equal: Excel and LibreOffice set the second on save), else None: someone's file."""
    if path.suffix != ".xlsx" or not path.is_file():
        return None
    try:
        with zipfile.ZipFile(path) as book:
            core = book.read("docProps/core.xml").decode()
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError):
        return None
    kind = re.search(r"<cp:category>([^<]*)</cp:category>", core)
    created, modified = (re.search(rf"<dcterms:{at}[^>]*>([^<]*)<", core) for at in ("created", "modified"))
    unchanged = created is not None and modified is not None and created[1] == modified[1]  # saved since: someone's
    return kind[1] if kind and unchanged and f"<dc:creator>{AUTHOR}</dc:creator>" in core else None


def clear_written(out: Path, layout: Layout) -> int:
    """Remove the workbooks of `layout` cakupan wrote to `out` before, so that none left from an earlier run (a village
    since corrected) is sent on as if current; refuse a folder that holds anything else. How many were removed."""
    if not out.is_dir():
        return 0
    entries = list(out.iterdir())
    ours = [entry for entry in entries if written_kind(entry) == layout.sheet]
    others = sorted(entry.name for entry in entries if entry not in ours)
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise ValueError(
            f"{out} holds other files ({shown}); give a new or empty folder, or one that holds only these workbooks"
        )
    for entry in ours:
        entry.unlink()
    return len(ours)


def write_workbook(path: Path, rows: pl.DataFrame, title: str, instruction: str, layout: Layout) -> None:
    """One workbook: its table, then the legend sheet `Keterangan`.

    It is written to a new private file beside `path`, then renamed over it: whatever `path` was
    (a link planted there, an older workbook) is replaced, never written through.
    """
    descriptor, written = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".xlsx")
    os.close(descriptor)
    try:
        write_book(Path(written), rows, title, instruction, layout)
        Path(written).replace(path)
    except BaseException:
        Path(written).unlink(missing_ok=True)
        raise


def write_book(path: Path, rows: pl.DataFrame, title: str, instruction: str, layout: Layout) -> None:
    options = {"strings_to_formulas": False, "strings_to_urls": False, "in_memory": True}  # no temporary files
    book = xlsxwriter.Workbook(path, options)
    book.set_properties({"author": AUTHOR, "category": layout.sheet})  # how the next write knows it (written_kind)
    top = {"text_wrap": True, "valign": "top", "border": 1}
    formats = Formats(
        text=book.add_format(top),
        header=book.add_format({**top, "bold": True, "bg_color": "#DDDDDD"}),
        day=book.add_format({**top, "num_format": DATE_FORMAT, "align": "left"}),
        amount=book.add_format({**top, "num_format": RUPIAH_FORMAT}),
        title=book.add_format({"bold": True, "font_size": TITLE_SIZE, "text_wrap": True, "valign": "top"}),
    )
    sheet = book.add_worksheet(layout.sheet)
    cells = [[(value, shown(value)) for value in row] for row in typed_cells(rows, layout)]
    headers = list(layout.headers.values())
    wide = [column in layout.wide for column in layout.headers]
    widths = [
        column_width(header, [row[index][1] for row in cells], WIDE if wide[index] else NARROW)
        for index, header in enumerate(headers)
    ]
    for index, width in enumerate(widths):
        sheet.set_column(index, index, width)
    across = pages_across(widths)
    first = widths[: first_page_columns(widths, across)]  # a title split over two pages cannot be read
    write_note(sheet, 0, mask_text(title), first, formats.title, TITLE_SIZE)
    write_note(sheet, 1, instruction, first, book.add_format({"text_wrap": True, "valign": "top"}))
    write_row(sheet, HEADER_ROW, as_cells(headers), widths, [formats.header] * len(headers), formats.day)
    styles = [formats.amount if column in layout.amounts else formats.text for column in layout.headers]
    for index, row in enumerate(cells, start=HEADER_ROW + 1):
        write_row(sheet, index, row, widths, styles, formats.day)
    sheet.freeze_panes(HEADER_ROW + 1, 0)
    sheet.autofilter(HEADER_ROW, 0, HEADER_ROW + len(cells), len(headers) - 1)
    print_setup(sheet, HEADER_ROW, across)
    write_legend(book.add_worksheet("Keterangan"), layout, formats)
    book.close()
    path.chmod(CORRECTIONS_MODE)  # mkstemp made it 0600 already; said here as the rule


def typed_cells(rows: pl.DataFrame, layout: Layout) -> Iterator[list[object]]:
    """The layout's columns, row by row; a date or rupiah column written as text as what it reads as, where it does."""
    frame = rows.select(list(layout.headers))
    textual = {name for name, dtype in frame.schema.items() if dtype == pl.String}
    readings = {c: written_date(c) for c in layout.dates if c in textual}
    readings |= {c: written_rupiah(c) for c in layout.amounts if c in textual}
    read = frame.select(**readings).iter_rows(named=True) if readings else repeat({})
    for row, reading in zip(frame.iter_rows(named=True), read, strict=False):
        yield [value if reading.get(column) is None else reading[column] for column, value in row.items()]


def written_date(column: str) -> pl.Expr:
    """The date a cell holds when the whole cell is one date, else null.

    A date cell (read as `1985-06-17 00:00:00`), `17/06/1985`, `17-6-85`, `17 Juni 1985` are
    dates; a bare number (a year, an Excel serial), a place and date of birth, a time of day or
    any other text is not, and stays as written; so does a date before March 1900, which a
    spreadsheet cannot show as a date.
    """
    text = pl.col(column).str.strip_chars().str.replace(DATE_CELL_AS_TEXT.pattern, "$1-$2-$3")
    not_a_date = text.str.contains(r"^\d{4}-\d{2}-\d{2}.|^\d+(?:\.\d*)?$")
    day = pl.when(not_a_date).then(None).otherwise(parse_date(text))
    return pl.when(day >= FIRST_SHOWN_DATE).then(day)


def written_rupiah(column: str) -> pl.Expr:
    """Whole rupiah from `16800`, `16.800`, `Rp 16.800,00`... (as the roster is read), else null."""
    amount = rupiah(column)
    return pl.when(amount < LARGEST_RUPIAH).then(amount)


def shown(value: object) -> str:
    """A cell as it reads in the workbook: a date dd-mm-yyyy, a date cell read as text too, NIKs masked."""
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    if isinstance(value, int | float):
        return f"{value:,}"
    return DATE_CELL_AS_TEXT.sub(r"\3-\2-\1", mask_text(str(value))) if value is not None else ""


def column_width(header: str, texts: Sequence[str], widest: int) -> float:
    """Wide enough for the longest cell, up to `widest` characters, and for the header's longest word beside its
    filter button."""
    longest = max((len(word) for text in texts for word in text.split()), default=0)
    longest = max(longest, min(widest, max((len(text) for text in texts), default=0)))
    longest = max(longest, max((len(word) for word in header.split()), default=0) + FILTER_BUTTON)
    return min(widest, max(NARROWEST, math.ceil(longest / FILL))) + 1


@functools.lru_cache(maxsize=4096)  # the legend's texts, the same in every workbook
def lines(text: str, width: float) -> int:
    """How many lines `text` wraps to in a column `width` characters wide (words kept whole while they fit)."""
    room = max(1, int((width - 1) * FILL))
    if len(text) <= room and "\n" not in text:
        return 1
    return sum(len(textwrap.wrap(part, room)) or 1 for part in text.split("\n"))


def row_points(texts: Sequence[str], widths: Sequence[float], size: int = 11) -> float:
    """A row's height: its tallest wrapped cell, a line for the empty row."""
    tallest = max((lines(text, width * 11 / size) for text, width in zip(texts, widths, strict=False)), default=1)
    return min(MAX_ROW_POINTS, tallest * LINE_POINTS * size / 11 + 3)


def write_note(sheet: Worksheet, row: int, text: str, widths: Sequence[float], style: Format, size: int = 11) -> None:
    """A title or an instruction: across every column, wrapped, its row as tall as it needs."""
    sheet.merge_range(row, 0, row, len(widths) - 1, text, style)
    sheet.set_row(row, row_points([text], [sum(widths)], size))


def write_row(
    sheet: Worksheet,
    row: int,
    cells: Sequence[tuple[object, str]],
    widths: Sequence[float],
    styles: Sequence[Format],
    day: Format,
) -> None:
    """One row of a table: each cell (its value and how it reads) by its type in its column's style, the row as
    tall as its longest wrapped text needs."""
    for column, ((value, text), style) in enumerate(zip(cells, styles, strict=True)):
        if isinstance(value, date):
            sheet.write_datetime(row, column, datetime.combine(value, time()), day)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            sheet.write_number(row, column, value, style)
        elif value is None:
            sheet.write_blank(row, column, None, style)
        else:  # a header, a sheet or a file may be named after a person: NIKs masked
            sheet.write_string(row, column, text, style)
    sheet.set_row(row, row_points([text for _, text in cells], widths))


def as_cells(texts: Sequence[str]) -> list[tuple[object, str]]:
    """Headers and the legend's texts as cells of a row."""
    return [(text, shown(text)) for text in texts]


def print_setup(sheet: Worksheet, header_row: int | None, across: int = 1) -> None:
    """A4 landscape, `across` pages wide (as many pages tall as needed), the header row on every page; a table printed
    over several pages across has the sheet's row numbers printed on each page, to find a row's other part by.

    (Not columns repeated at the left: they repeat the title rows too, whose merged text showed cut up there.)
    """
    sheet.set_paper(A4)
    sheet.set_landscape()
    sheet.fit_to_pages(across, 0)
    if header_row is not None:
        sheet.repeat_rows(header_row)
    if across > 1:
        sheet.print_row_col_headers()
        sheet.print_across()  # a row's halves on facing pages, not a page-height apart
    sheet.set_margins(**MARGINS)
    sheet.set_footer(FOOTER)


def column_points(width: float) -> float:
    """How wide a column of `width` characters prints at full size, in points (Excel's 7 pixels a character, 5 more)."""
    return int(width * 7 + 5) * 0.75


def pages_across(widths: Sequence[float]) -> int:
    """The fewest pages across on which the columns print at LEGIBLE_SCALE or larger."""
    return max(1, math.ceil(sum(map(column_points, widths)) * LEGIBLE_SCALE / PAGE_POINTS))


def first_page_columns(widths: Sequence[float], across: int) -> int:
    """How many leading columns TITLE_SHARE of the first page surely holds, at the scale that fits `across` pages.

    Excel and LibreOffice choose where a fitted table breaks, and LibreOffice's columns print wider than Excel's:
    a title written over every column was split between pages.
    """
    points = [column_points(width) for width in widths]
    scale = min(1.0, across * PAGE_POINTS / sum(points))
    held = itertools.accumulate(point * scale for point in points)
    return max(1, sum(1 for used in held if used <= TITLE_SHARE * PAGE_POINTS))


def write_legend(sheet: Worksheet, layout: Layout, formats: Formats) -> None:
    """What the columns mean, and every code: what it means and what to do."""
    codes = layout.codes()
    count = max(2, len(layout.codes_header))
    widths = [LEGEND_WIDTHS[0], *[LEGEND_WIDTHS[1]] * (count - 1)]
    for index, width in enumerate(widths):
        sheet.set_column(index, index, width)
    rows: list[tuple[Sequence[str], Format]] = [(("KOLOM", "ARTINYA"), formats.header)]
    rows += [((header, meaning), formats.text) for header, meaning in layout.meanings.items()]
    rows += [((), formats.text), (layout.codes_header, formats.header)]
    rows += [(code, formats.text) for code in codes]
    for index, (values, style) in enumerate(rows):
        if values:
            write_row(sheet, index, as_cells(values), widths, [style] * len(values), formats.day)
    print_setup(sheet, None)  # two tables, each with its own header: no row repeated above the other's rows
