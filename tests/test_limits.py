"""Limits that hold whatever the file says (issue 26): the checker cannot be stopped early, text is budgeted.

Each hostile file is built here, beside two ordinary rosters (tests/test_hostile.py), in xlsx and in ods: a
malformed spot where expat stops and calamine reads on (an undefined entity in an attribute, a mismatched
closing tag) followed by more columns than a roster has, and one long text shown by 100,000 cells.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import ANI, write_roster
from tests.test_hostile import ordinary_zone, record

UNCHECKED = "cannot be checked to its end (malformed XML: "
ODS_FIXTURE = Path(__file__).parent / "fixtures" / "libreoffice_per_group.ods"
LONG = b"x" * 32_000  # within Excel's 32,767 characters a cell
WIDE_ROW = b"<row>" + b'<c t="inlineStr"><is><t>x</t></is></c>' * 300 + b"</row>"  # no `r`: counted by the parser
WIDE_ODS_ROW = (
    b'<table:table-row table:number-rows-repeated="20001"><table:table-cell table:number-columns-repeated="1000" '
    b'office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>'
)


def rewritten(path: Path, member: str, change: Callable[[bytes], bytes]) -> None:
    """Rewrite one member of a zip (the others copied as they are; ODS's mimetype first and stored)."""
    copy = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info, change(content) if info.filename == member else content)
    copy.replace(path)


def xlsx(raw: Path) -> Path:
    path = raw / "2024-04" / "Cilongok" / "Karangtengah.xlsx"
    write_roster(path, {"BPD": [[ANI, "X", "L", "Anggota BPD", "Sudah", ""]]}, village="KARANGTENGAH")
    return path


def ods(raw: Path) -> Path:
    path = raw / "2024-04" / "Cilongok" / "Karangtengah.ods"
    shutil.copy(ODS_FIXTURE, path)
    return path


def xlsx_malformed(spot: bytes) -> Callable[[Path], Path]:
    """An xlsx with `spot` (where expat stops) before its sheet's data, then a row wider than a roster."""

    def build(raw: Path) -> Path:
        path = xlsx(raw)
        sheet = "xl/worksheets/sheet1.xml"
        rewritten(path, sheet, lambda x: x.replace(b"<dimension", spot + b"<dimension", 1))
        rewritten(path, sheet, lambda x: x.replace(b"</sheetData>", WIDE_ROW + b"</sheetData>"))
        return path

    return build


def ods_malformed(spot: bytes) -> Callable[[Path], Path]:
    """An ods with `spot` at its first row, then 20,001 rows of 1,000 filled cells."""

    def build(raw: Path) -> Path:
        path = ods(raw)
        rewritten(path, "content.xml", lambda x: x.replace(b"<table:table-row", spot, 1))
        rewritten(path, "content.xml", lambda x: x.replace(b"</table:table>", WIDE_ODS_ROW + b"</table:table>", 1))
        return path

    return build


def xlsx_shared_string_everywhere(index: str) -> Callable[[Path], Path]:
    """100,000 cells (1,000 rows of 100) all showing one 32,000-character shared string (written as `index`):
    3.2 GB of text.
    """

    def build(raw: Path) -> Path:
        path = xlsx(raw)
        shared = b"<si><t>" + LONG + b"</t></si><si>"
        rewritten(path, "xl/sharedStrings.xml", lambda x: x.replace(b"<si>", shared, 1))
        columns = [f"{chr(65 + i // 26) if i >= 26 else ''}{chr(65 + i % 26)}" for i in range(100)]
        rows = "".join(
            f'<row r="{r}">' + "".join(f'<c r="{c}{r}" t="s"><v>{index}</v></c>' for c in columns) + "</row>"
            for r in range(10, 1010)
        )
        rewritten(
            path, "xl/worksheets/sheet1.xml", lambda x: x.replace(b"</sheetData>", rows.encode() + b"</sheetData>")
        )
        return path

    return build


def ods_text_repeated(text: bytes) -> Callable[[Path], Path]:
    """One cell of `text` repeated over 100 columns of 1,000 rows: gigabytes of text in a few KB."""

    def build(raw: Path) -> Path:
        path = ods(raw)
        row = (
            b'<table:table-row table:number-rows-repeated="1000"><table:table-cell table:number-columns-repeated="100" '
            b'office:value-type="string"><text:p>' + text + b"</text:p></table:table-cell></table:table-row>"
        )
        rewritten(path, "content.xml", lambda x: x.replace(b"<table:table-row", row + b"<table:table-row", 1))
        return path

    return build


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (xlsx_malformed(b'<sheetPr codeName="&bogus;"/>'), UNCHECKED + "undefined entity"),
        (xlsx_malformed(b"<sheetPr></sheetPrX>"), UNCHECKED + "mismatched tag"),
        (xlsx_shared_string_everywhere("0"), "MiB of text (each shared or repeated text counted in every cell"),
        (ods_malformed(b'<table:table-row table:style-name="&bogus;"'), UNCHECKED + "undefined entity"),
        (ods_malformed(b"</text:span><table:table-row"), UNCHECKED + "mismatched tag"),
        (ods_text_repeated(LONG), "MiB of text (each shared or repeated text counted in every cell"),
        (xlsx_shared_string_everywhere(" &#48; "), "MiB of text"),  # the index as calamine reads it
        (ods_text_repeated(b'<text:s text:c="32000"/>'), "MiB of text"),  # 32,000 spaces in a few bytes
    ],
)
def test_a_file_the_checker_cannot_count_to_its_end_or_too_much_text_is_refused(
    tmp_path: Path, build: Callable[[Path], Path], expected: str
) -> None:
    """Beside ordinary rosters, whose figures stay (checked by `record`); the hostile file is refused before
    calamine reads it (the reason is the checker's own), with its reason in Indonesian.
    """
    raw = tmp_path / "raw"
    ordinary_zone(raw)
    hostile = build(raw)
    assert hostile.stat().st_size < 300_000
    found = record(tmp_path, hostile)
    assert found["status"] == "rejected", found
    assert expected in str(found["reason"]), found["reason"]
    assert "Berkas tidak dapat diproses" not in str(found["alasan"])
