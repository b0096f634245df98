"""Find the roster in a raw sheet: title block, header row(s), data rows and non-data rows."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import polars as pl

from flows.ingest.formats import CELL_PREFIX, RawSheet
from flows.ingest.headers import CANONICAL_COLUMNS, SHEET_GROUPS, canonical_column, sheet_group
from flows.ingest.reasons import NO_ROSTER_HEADER, SHEET_EMPTY, Said

MAX_TITLE_ROWS = 8
MIN_HEADER_MATCHES = 3
# a cell of `row_text` (cells joined by tabs) that starts a totals row or the signature block
TOTAL_PATTERN = r"(^|\t)\s*(JUMLAH|TOTAL)\b"
SIGNATURE_WORDS = (
    "MENGETAHUI",
    "KEPALA DESA",
    "KADES",
    "PJ KEPALA DESA",
    "LURAH",
    "CAMAT",
    "SEKRETARIS DESA",
    "SEKDES",
    "PETUGAS",
    "DIBUAT OLEH",
)
SIGNATURE_PATTERN = r"(^|\t)\s*(" + "|".join(SIGNATURE_WORDS) + r")\b"
# a row holding only `Batuanten, 30 April 2024`: the place and date above a signature
PLACE_DATE_LINE = r"^\s*[A-Z][A-Z .'-]*,\s*\d{1,2}\s+[A-Z]+\s+\d{4}\s*$"
SECTION_NUMBER = r"^\s*[A-Z0-9]{1,3}[.)]\s*"
DATA_COLUMNS = tuple(c for c in CANONICAL_COLUMNS if c != "row_no")
# a row holding only a group's name (`BPD`, `B. RT/RW`): the heading of a block on a one-sheet roster
SECTION_TITLES = frozenset({*SHEET_GROUPS, "RT/RW", "RT-RW", "PEKERJA RENTAN", "SATLINMAS", "LKD"})

TITLE_PATTERNS = {
    "village": re.compile(
        r"^(?:DESA\s*/\s*KELURAHAN|KELURAHAN\s*/\s*DESA|DESA|KELURAHAN|KEL\.)\s*:?\s*(.+)$", re.IGNORECASE
    ),
    "district": re.compile(r"^(?:KECAMATAN|KEC\.)\s*:?\s*(.+)$", re.IGNORECASE),
    "month": re.compile(r"^(?:BULAN|PERIODE)\s*:?\s*(.+)$", re.IGNORECASE),
}


@dataclass(frozen=True)
class Roster:
    """A roster sheet: the grid under its header as read, and which grid column is which canonical column.

    Nothing is computed per sheet: `stack_rosters` works on a whole batch of sheets at
    once, because each polars call costs more than the work on a 40-row sheet.
    """

    sheet: str
    group_hint: str | None
    is_vulnerable_workers: bool
    title: dict[str, str]
    body: pl.DataFrame
    columns: dict[str, str]
    first_row: int
    headers: dict[str, str] = field(default_factory=dict)  # canonical column -> its header as written
    first_column: int = 0  # the sheet column (0 = A) of grid column 0


@dataclass(frozen=True)
class IgnoredSheet:
    """A sheet that holds no roster (an empty `Sheet1`, a `Rekap`), with the reason."""

    sheet: str
    reason: Said


@dataclass(frozen=True)
class Header:
    """Where the header is and which grid column holds which canonical column."""

    first_row: int
    data_start: int
    columns: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def column_letter(index: int) -> str:
    """0 -> `A`, 25 -> `Z`, 26 -> `AA`."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def find_header(grid: pl.DataFrame) -> Header | None:
    """The header row (or two-row header) among the first rows, by how many known columns it names."""
    top = grid.head(MAX_TITLE_ROWS + 2).rows()
    for index, cells in enumerate(top):
        labels = [canonical_column(cell) for cell in cells]
        if len({label for label in labels if label}) < MIN_HEADER_MATCHES or not {"nik", "name"} & set(labels):
            continue
        below = [canonical_column(cell) for cell in top[index + 1]] if index + 1 < len(top) else []
        two_rows = any(below) and not any(c and c.strip().isdigit() and len(c.strip()) > 6 for c in top[index + 1])
        if two_rows:
            labels = [low or high for high, low in zip(labels, below, strict=True)]
        columns: dict[str, str] = {}
        headers: dict[str, str] = {}
        for position, (name, label) in enumerate(zip(grid.columns, labels, strict=True)):
            if label and label not in columns:
                columns[label] = name
                written = [top[row][position] for row in range(index, index + 1 + two_rows)]
                headers[label] = " ".join(" ".join(cell.split()) for cell in written if cell and cell.strip())
        return Header(index, index + (2 if two_rows else 1), columns, headers)
    return None


def title_block(grid: pl.DataFrame, header: Header) -> dict[str, str]:
    """Village, district and month named above the header (`DESA : BATUANTEN`)."""
    found: dict[str, str] = {}
    for cells in grid.head(header.first_row).rows():
        text = " ".join(cell.strip() for cell in cells if cell and cell.strip())
        for key, pattern in TITLE_PATTERNS.items():
            match = pattern.match(text)
            if match and key not in found:
                found[key] = match.group(1).strip()
    return found


def with_row_kinds(rows: pl.LazyFrame) -> pl.LazyFrame:
    """`rows` with the `row_kind` of each roster row: `data`, or why it is skipped; footers are per file and sheet.

    Skipped kinds: `blank`, `total`, `signature` (from a totals row or a signature line on),
    `section` (a block heading such as `B. RT/RW`), `no_data` (no mapped value but a number).
    The tests on the row's text are made once, as columns: an expression named in several
    `when` branches would be evaluated again in each.
    """
    text = pl.col("_text")
    no_nik = pl.col("nik").is_null()
    single_cell = ~text.str.contains("\t")
    heading = text.str.replace(SECTION_NUMBER, "").str.strip_chars()
    kinds = (
        pl.when(pl.col("row_text") == "")
        .then(pl.lit("blank"))
        .when("_total")
        .then(pl.lit("total"))
        .when(pl.any_horizontal("_total", "_signature").cum_max().over("source_file", "sheet", order_by="source_row"))
        .then(pl.lit("signature"))
        .when(no_nik & single_cell & heading.is_in(list(SECTION_TITLES)))
        .then(pl.lit("section"))
        .when(~pl.any_horizontal([pl.col(c).is_not_null() for c in DATA_COLUMNS]))
        .then(pl.lit("no_data"))
        .otherwise(pl.lit("data"))
    )
    return (
        rows.with_columns(_text=pl.col("row_text").str.to_uppercase())
        .with_columns(
            _total=text.str.contains(TOTAL_PATTERN),
            _signature=no_nik
            & (text.str.contains(SIGNATURE_PATTERN) | (single_cell & text.str.contains(PLACE_DATE_LINE))),
        )
        .with_columns(row_kind=kinds)
        .drop("_text", "_total", "_signature")
    )


class SheetBody(Protocol):
    """What stacking needs of a roster or export sheet: its grid body and where each column is."""

    @property
    def body(self) -> pl.DataFrame: ...

    @property
    def columns(self) -> dict[str, str]: ...

    @property
    def first_row(self) -> int: ...


def stack_rosters(rosters: Sequence[SheetBody], columns: Sequence[str] = CANONICAL_COLUMNS) -> pl.DataFrame:
    """The rows of many roster (or export) sheets in one frame, cleaned once for all of them.

    Columns: `sheet_index` (position in `rosters`), `source_row`, every one of `columns`
    (null where a sheet lacks it) and `row_text`, every cell of the row joined by tabs.
    Cells are stripped and empty cells are null.
    """
    kept = [(index, roster) for index, roster in enumerate(rosters) if roster.body.height]
    stacked = pl.concat([roster.body for _, roster in kept], how="diagonal") if kept else pl.DataFrame()
    cells = sorted(stacked.columns, key=lambda c: int(c.removeprefix(CELL_PREFIX)))
    row_text = pl.concat_str(cells, separator="\t", ignore_nulls=True) if cells else pl.lit("", pl.String)
    sheet_index = pl.Series("sheet_index", [index for index, r in kept for _ in range(r.body.height)], pl.Int32)
    source_row = [n for _, r in kept for n in range(r.first_row, r.first_row + r.body.height)]
    return (  # lazy: the optimised plan cleans the cells in half the time eager steps take
        stacked.with_columns(sheet_index, pl.Series("source_row", source_row, pl.Int32))
        .lazy()
        .with_columns(pl.col(c).str.strip_chars() for c in cells)
        .with_columns(pl.when(pl.col(c) != "").then(pl.col(c)) for c in cells)
        .with_columns(*(mapped_column(name, kept) for name in columns), row_text.alias("row_text"))
        .drop(cells)
        .collect()
    )


def mapped_column(name: str, rosters: Sequence[tuple[int, SheetBody]]) -> pl.Expr:
    """Canonical column `name` of stacked sheets: each sheet's own grid column for it."""
    sources: dict[str, list[int]] = {}
    for index, roster in rosters:
        if name in roster.columns:
            sources.setdefault(roster.columns[name], []).append(index)
    expr = pl.lit(None, dtype=pl.String)
    for column, indices in sources.items():
        expr = pl.when(pl.col("sheet_index").is_in(indices)).then(pl.col(column)).otherwise(expr)
    return expr.alias(name)


def structure_sheet(sheet: RawSheet) -> Roster | IgnoredSheet:
    """Recognise a roster sheet, or say why the sheet is not one."""
    if sheet.grid.height == 0:
        return IgnoredSheet(sheet.name, SHEET_EMPTY())
    header = find_header(sheet.grid)
    if header is None:
        return IgnoredSheet(sheet.name, NO_ROSTER_HEADER())
    return Roster(
        sheet=sheet.name,
        group_hint=sheet_group(sheet.name),
        is_vulnerable_workers=("occupation" in header.columns and "role" not in header.columns)
        or sheet_group(sheet.name) == "RENTAN",
        title=title_block(sheet.grid, header),
        body=sheet.grid.slice(header.data_start),
        columns=header.columns,
        first_row=header.data_start + 1,
        headers=header.headers,
        first_column=sheet.first_column,
    )
