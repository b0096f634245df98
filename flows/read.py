"""Read a village file into raw sheets: every cell as text, rows numbered as in the file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl

SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods"})


class UnreadableFileError(Exception):
    """The file cannot be read as a spreadsheet; the message says why, in plain words."""


@dataclass(frozen=True)
class RawSheet:
    """One sheet as a grid of text cells; grid row i is the file's row i + 1."""

    name: str
    grid: pl.DataFrame


def read_workbook(path: Path) -> list[RawSheet]:
    """Every sheet of an Excel or OpenDocument workbook, all cells as text, no rows skipped."""
    try:
        reader = fastexcel.read_excel(path)
        return [
            RawSheet(name, reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=0).to_polars())
            for name in reader.sheet_names
        ]
    except Exception as error:  # calamine raises several unrelated types for a bad file
        raise UnreadableFileError(f"{path.name}: cannot be read as a spreadsheet ({error})") from error
