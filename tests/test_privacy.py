"""One masking rule for Python, polars and SQL, checked against one list of cases."""

from __future__ import annotations

import html
import json
import logging
import re
import uuid
from pathlib import Path

import duckdb
import polars as pl
import pytest

from flows import privacy
from flows.privacy import mask_cell, mask_logs, mask_nik, mask_text, mask_variables, unicode_forms
from flows.store.sql import run_script

CASES = json.loads((Path(__file__).parent / "fixtures" / "nik_mask_cases.json").read_text())


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    """A DuckDB session with the macros every state connection and the province publisher create."""
    connection = duckdb.connect()
    run_script(connection, "create_macros", mask_variables())
    return connection


@pytest.mark.parametrize("case", CASES, ids=[case["why"] for case in CASES])
def test_python_polars_and_sql_mask_every_case_alike(case: dict[str, str], con: duckdb.DuckDBPyConnection) -> None:
    assert mask_text(case["text"]) == case["masked"]
    assert pl.DataFrame({"v": [case["text"]]}).select(mask_nik(pl.col("v"))).item() == case["masked"]
    assert con.execute("select masked($text)", {"text": case["text"]}).fetchall() == [(case["masked"],)]


def test_sql_masks_a_nik_written_in_every_digit_form_as_python_does(con: duckdb.DuckDBPyConnection) -> None:
    """Each of the 680 non-ASCII digits (fullwidth, Arabic-Indic, mathematical, ...) in a NIK, alone and in a name."""
    forms, _ = unicode_forms()
    nik = "3302175205800001"
    texts = [
        text
        for char, digit in forms.items()
        for text in (nik.replace(digit, char), f"desa_{nik.replace(digit, char)}.xlsx", char * 3)
    ]
    assert len(forms) > 600
    shown = con.execute("select list_transform($texts, lambda t: masked(t))", {"texts": texts}).fetchone()
    assert shown == ([mask_text(text) for text in texts],)


def test_no_split_of_a_nik_in_free_text_shows_more_than_ten_of_its_digits(con: duckdb.DuckDBPyConnection) -> None:
    """Every one of the 32,768 ways to type a NIK's 16 digits in pieces (13 + 3, 12 + 4, 4 + 12, ...), between words:
    at most the 10 a whole NIK shows remain (a 13-digit piece masked first had left `330217******5800 001`)."""
    nik, gaps = "3302175805800054", [" ", "-", ".", "\u00a0", "_"]
    texts = [
        "Ket " + "".join(digit + (gaps[split % 5] if split >> place & 1 else "") for place, digit in enumerate(nik))
        for split in range(2**15)  # a gap after digit `place` where that bit is set
    ]
    shown = [mask_text(text) for text in texts]
    assert max(sum(char.isdigit() for char in text) for text in shown) == 10
    assert pl.DataFrame({"v": texts}).select(mask_nik(pl.col("v"))).to_series().to_list() == shown
    rows = con.execute("select masked(v) from unnest($texts) as t(v)", {"texts": texts}).fetchall()
    assert [row[0] for row in rows] == shown


def test_the_three_engines_agree_on_random_texts(con: duckdb.DuckDBPyConnection) -> None:
    """5,000 texts drawn (a fixed seed) from digits of several forms, separators of every kind, letters, the marks
    mask_text uses itself (U+E000, U+E001), `*`, `/`, `,` and a run id: Python, polars and SQL mask each alike (a
    review found polars alone turning a typed U+E001 into stars)."""
    import random

    draw = random.Random(29)
    alphabet = [
        *"0123456789" * 4,
        *" .-_'`\t\n\u00a0\u200b\ufe0f\u20e3\u0301\u2019\u3000\x00",
        *"ab/,*:|+",
        "\ue000",
        "\ue001",
        "\uff13",
        "\u0663",
        "\U0001d7d1",
        "\u00b3",
        "\u2778",
        "\u2476",
    ]
    run_id = "ece3079f-d5f7-44ce-b6b4-46113243211b"
    texts = [
        "".join(draw.choice(alphabet) for _ in range(draw.randint(1, 40))) + draw.choice(["", f" {run_id}"])
        for _ in range(5000)
    ]
    cells = [text for text in texts if run_id not in text]  # polars and SQL mask cells: no run id is kept whole
    shown = [mask_text(text) for text in cells]
    assert pl.DataFrame({"v": cells}).select(mask_nik(pl.col("v"))).to_series().to_list() == shown
    rows = con.execute("select masked(v) from unnest($texts) as t(v)", {"texts": cells}).fetchall()
    assert [row[0] for row in rows] == shown
    beside_a_sign = [t for t in texts if t.endswith(run_id) and t[-38] in "ab/,*:|+" and "\ue000" not in t]
    assert len(beside_a_sign) > 100 and all(mask_text(text).endswith(f" {run_id}") for text in beside_a_sign)


def test_the_cases_cover_every_form_named_in_the_issue() -> None:
    """Fullwidth digits, underscores, non-breaking spaces, invisible marks (VS16, CGJ, a combining accent, keycaps),
    header cells and sheet names are among the cases; no masked text keeps a digit in another form."""
    texts = "".join(case["text"] for case in CASES)
    forms = ("\uff13", "_", "\u00a0", "\u200b", "\ufe0f", "\u034f", "\u0301", "\u20e3", "NO KPJ (NIK", "BPD 33")
    assert all(form in texts for form in forms)
    assert not [case for case in CASES if set(case["masked"]) & set(unicode_forms()[0])]


FORMS = {  # one NIK-like value per form; each reaches one place below
    "fullwidth": "\uff13\uff13\uff10\uff12\uff11\uff17\uff15\uff12\uff10\uff15\uff18\uff10\uff10\uff10\uff10\uff11",
    "underscores": "3302_1752_0580_0002",
    "nbsp": "3302\u00a01752\u00a00580\u00a00003",
    "plain": "3302175205800004",
    "fullwidth_underscores": "\uff13\uff13\uff10\uff12\uff3f\uff11\uff17\uff15\uff12\uff3f"
    "\uff10\uff15\uff18\uff10\uff3f\uff10\uff10\uff10\uff15",
    "zero_width": "3302\u200b1752\u200b0580\u200b0006",
    "dots": "3302.1752.0580.0007",
    "narrow_spaces": "3302\u202f1752\u202f0580\u202f0008",
}
ROSTER_HEADER = ["NO", "NIK", "NAMA", "JK", "JABATAN", "STATUS", f"NO KPJ (NIK {FORMS['plain']})", "SUMBER IURAN"]


def write_sheets(path: Path, sheets: dict[str, list[list[str]]], header: list[str], village: str) -> None:
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(path)
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, [f"DESA : {village}"])
        sheet.write_row(1, 0, ["KECAMATAN : CILONGOK"])
        sheet.write_row(3, 0, header)
        for index, row in enumerate(rows, start=1):
            for column, value in enumerate([str(index), *row]):
                sheet.write_string(3 + index, column, value)
    book.close()


def nik_zone(raw: Path) -> None:
    """NIKs in every form, in folder, file and sheet names, a header cell, cells and an export."""
    from tests.helpers import ANI, BUDI

    rows = [
        [ANI, "Ani", "P", "Anggota BPD", "Sudah", FORMS["fullwidth"], f"APBDes {FORMS['nbsp']}"],
        [BUDI, "Budi", "L", f"Ketua BPD {FORMS['dots']}", "Sudah", FORMS["underscores"], "APBDes"],
        [FORMS["zero_width"], "Cici", "P", "Anggota BPD", "Sudah", "", ""],
    ]
    sheets = {f"BPD {FORMS['underscores']}": rows}
    write_sheets(raw / "2024-04" / "Cilongok" / "Batuanten.xlsx", sheets, ROSTER_HEADER, "BATUANTEN")
    folder = raw / "2024-04" / "Cilongok" / f"Karangtengah {FORMS['fullwidth_underscores']}"
    write_sheets(folder / f"{FORMS['fullwidth']}.xlsx", {"BPD": rows[:1]}, ROSTER_HEADER, "KARANGTENGAH")
    broken = raw / "2024-04" / "Cilongok" / "Pejogol" / f"{FORMS['narrow_spaces']}.xlsx"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    export = raw / "2024-04" / "kiriman BPJS" / f"peserta {FORMS['nbsp']}.csv"
    export.parent.mkdir(parents=True)
    header = "NO KPJ;NIK;NAMA LENGKAP;TGL LAHIR;SEGMEN;PROGRAM;TGL_KEPESERTAAN;STATUS KEPESERTAAN;BLTH IURAN TERAKHIR"
    export.write_text(f"{header}\n12345678901;3302171001700003;Zaki;;BPU;JKK;01/01/2024;Aktif;Apr-24\n")


def test_no_nik_in_any_form_reaches_the_warehouse_a_log_an_artifact_a_workbook_or_the_report(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    import openpyxl
    from typer.testing import CliRunner

    from flows.cli import app
    from flows.outputs.report import write_report
    from flows.store import state_current, state_db
    from tests.helpers import build_warehouse, close_regency, holds_nik, nik_like_values, state_of

    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    nik_zone(raw)
    caplog.set_level(logging.INFO)
    build_warehouse(raw, warehouse)
    close_regency(warehouse, "2024-04", by=f"operator {FORMS['fullwidth']}")
    runner = CliRunner()
    reason = f"dibuka lagi: NIK {FORMS['zero_width']} salah ketik"
    reopened = runner.invoke(app, ["reopen", "--period", "2024-04", "--warehouse", str(warehouse), "--reason", reason])
    assert reopened.exit_code == 0, reopened.output
    build_warehouse(raw, warehouse)
    assert "dibuka lagi: NIK ****** salah ketik" in [r for (r,) in query_all(warehouse, "period_actions", "reason")]

    assert nik_like_values(warehouse) == []
    with state_db.connect_state(state_of(warehouse)) as con:
        artifact = state_current.rejected_files(con)
    assert artifact and not [v for row in artifact for v in row.values() if holds_nik(v)]
    assert not [r.getMessage() for r in caplog.records if holds_nik(r.getMessage())]

    outputs = tmp_path / "out"
    for command in ("rejects", "discrepancies"):
        result = runner.invoke(app, [command, "--warehouse", str(warehouse), "--out", str(outputs / command)])
        assert result.exit_code == 0 and not holds_nik(result.output), result.output
    cells = []
    for book_path in outputs.rglob("*.xlsx"):
        book = openpyxl.load_workbook(book_path)
        cells += [book_path.name, *book.sheetnames]
        cells += [str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v]
    assert any(cell.startswith("NO KPJ (NIK 330217******0004)") for cell in cells)  # the corrections' KOLOM
    assert "BPD ******" in cells  # the discrepancies' LEMBAR
    assert not [cell for cell in cells if holds_nik(cell)]
    page = write_report(warehouse, "2024-04", tmp_path / "report.html").read_text()
    texts = re.split(r"<[^>]*>", page)  # what the page shows (SVG coordinates joined by dots are no NIK)
    assert "Batuanten" in texts and not [text for text in texts if holds_nik(html.unescape(text))]


def query_all(warehouse: Path, table: str, column: str) -> list[tuple[str]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(f"select {column} from {table}").fetchall()


ID_SEPARATORS = [
    ":",
    "/",
    ",",
    "\u00b7",
    "\u2022",
    "*",
    "+",
    "|",
    "~",
    "\u060c",
    "\u3002",
    "\u30fb",
    "\u2044",
    ";",
    "#",
]


@pytest.mark.parametrize("separator", ID_SEPARATORS)
def test_a_nik_or_kpj_cell_shows_12_digits_or_more_masked_whatever_separates_them(separator: str) -> None:
    """In the NIK and KPJ columns any 12 digits are a NIK; elsewhere the general rules (a path's `/`, a list's `,`)."""
    cell = separator.join(("3302", "1752", "0580", "0018"))
    frame = pl.DataFrame({"v": [cell, f"NIK {cell} (lama)", "1234-5678-901", ""]})
    for column in ("nik", "kpj"):
        shown = frame.select(mask_cell(column, pl.col("v"))).to_series().to_list()
        assert shown == ["330217******0018", "330217******0018", "1234-5678-901", ""]  # a KPJ's 11 digits stay
    named = frame.with_columns(column=pl.Series(["nik", "contribution", "kpj", "role"]))
    by_column = named.select(mask_cell(pl.col("column"), pl.col("v"))).to_series().to_list()
    assert by_column[0] == "330217******0018" and by_column[1] == mask_text(f"NIK {cell} (lama)")


def id_cells(column: str) -> dict[str, str]:
    """A NIK (ending in its index) split by each separator, as the cell of `column` holds it."""
    return {
        f"330217520580{index:04d}": separator.join(("3302", "1752", "0580", f"{index:04d}"))
        for index, separator in enumerate(ID_SEPARATORS, start=1 if column == "nik" else 101)
    }


def test_no_nik_cell_split_by_punctuation_reaches_the_failures_the_flagged_cells_or_the_corrections(
    tmp_path: Path,
) -> None:
    """NIKs split by `:`, `/`, `,`, `·`, `;`... in the NIK and NO KPJ columns: validation_failures (state and analyst
    file) and every cell of the corrections workbooks show them as first 6 and last 4 digits, never whole."""
    import openpyxl

    from flows.outputs.rejects import write_rejects
    from flows.settings import BANYUMAS_REGENCY_CODE
    from flows.store.reference import load_villages
    from tests.helpers import ANI, build_warehouse, state_of, write_roster

    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    in_nik, in_kpj = id_cells("nik"), id_cells("kpj")
    rows = [[cell, f"Orang {i}", "P", "Anggota BPD", "Sudah", ""] for i, cell in enumerate(in_nik.values())]
    rows += [[ANI, f"Kpj {i}", "P", "Anggota BPD", "Sudah", cell] for i, cell in enumerate(in_kpj.values())]
    write_roster(raw / "2024-04" / "Cilongok" / "Batuanten.xlsx", {"BPD": rows})
    in_export = {f"330217520580{index:04d}": f"3302:1752:0580:{index:04d}" for index in (201, 202)}
    export = raw / "2024-04" / "BPJS" / "peserta.csv"
    export.parent.mkdir(parents=True)
    header = "NO KPJ;NIK;NAMA LENGKAP;TGL LAHIR;SEGMEN;PROGRAM;TGL_KEPESERTAAN;STATUS KEPESERTAAN;BLTH IURAN TERAKHIR"
    lines = [f"1234567890{i};{cell};Zaki;;BPU;JKK;01/01/2024;Aktif;Apr-24" for i, cell in enumerate(in_export.values())]
    export.write_text("\n".join([header, *lines]) + "\n")
    build_warehouse(raw, warehouse)
    niks = [*in_nik, *in_kpj, *in_export]

    def leaked(values: list[object]) -> list[object]:
        return [v for v in values if v is not None and any(nik in re.sub(r"[^0-9]", "", str(v)) for nik in niks)]

    failures = {}
    for path in (state_of(warehouse), warehouse):
        with duckdb.connect(str(path), read_only=True) as connection:
            failures[path] = connection.execute(
                "select column_name, failure_value from validation_failures where column_name in ('nik', 'kpj')"
            ).fetchall()
        assert not leaked([value for _, value in failures[path]])
    shown = {value for column, value in failures[warehouse] if column == "nik"}
    assert {f"{nik[:6]}******{nik[-4:]}" for nik in [*in_nik, *in_export]} <= shown
    assert {f"{nik[:6]}******{nik[-4:]}" for nik in in_kpj} <= {v for c, v in failures[warehouse] if c == "kpj"}
    with duckdb.connect(str(state_of(warehouse)), read_only=True) as connection:
        flagged = connection.execute("select nik_raw, kpj_raw from flagged_rows").fetchall()
    assert flagged and not leaked([value for row in flagged for value in row])

    written = write_rejects(
        state_of(warehouse), load_villages(region=BANYUMAS_REGENCY_CODE), tmp_path / "out", None, None
    )
    cells = [
        value
        for path in written
        for sheet in openpyxl.load_workbook(path).worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
    ]
    assert written and not leaked(cells)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (  # one id in ten holds 12 digits across its dashes: `b6b4-46113243211b` was shown `b6b******b`
            "province run ece3079f-d5f7-44ce-b6b4-46113243211b: 35 regencies",
            "province run ece3079f-d5f7-44ce-b6b4-46113243211b: 35 regencies",
        ),
        (  # 12 digits joined by its dashes, and 10 in a row: an id still
            "task run 0f1e2d3c-1234-4567-8901-a3456789012b Crashed: 3302175805800001.xlsx",
            "task run 0f1e2d3c-1234-4567-8901-a3456789012b Crashed: 330217******0001.xlsx",
        ),
        # 16 digits joined by its dashes, a whole NIK (one random id in about 220 is masked for it)
        ("run 33021758-0580-4001-8abc-abcdefabcdef", "run ******abc-abcdefabcdef"),
        # a NIK split around an id by a separator that is not ASCII (a non-breaking space, a zero-width space)
        ("run 33021758\u00a005800001-abcd-4abc-8abc-abcdefabcdef", "run ******-abcd-4abc-8abc-abcdefabcdef"),
        ("run abcdefab-abcd-4abc-8abc-a58058000001\u200b33021", "run abcdefab-abcd-4abc-8abc-a******"),
        ("x33021758-0580-0001-0000-000000000000", "x******"),  # not an id: a NIK in its shape, in a word
        ("33021758-0580-0001-0000-000000000000", "330217" + "*" * 22 + "0000"),  # digits only: not an id, a number
    ],
)
def test_a_run_id_in_a_log_line_or_message_is_kept_whole_and_the_rest_masked(text: str, shown: str) -> None:
    assert mask_text(text) == shown
    logger = logging.getLogger(f"cakupan.test.{uuid.uuid4().hex}")
    mask_logs(logger)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    logger.warning("%s", text)
    assert [record.getMessage() for record in records] == [shown]


@pytest.mark.parametrize(
    "text",
    [  # a review's cases: not a version 4 id; 12 digits in a row in it; digits beside it across a separator
        "33021758-0580-0001-000a-000000000000.xlsx",
        "x ece3079f-d5f7-44ce-b6b4-330217580580 0001",
        "3302 1752 ece3079f-d5f7-44ce-b6b4-46113243211b 0580 0001",
    ],
)
def test_no_id_shaped_text_that_could_carry_a_nik_is_kept_whole(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only an id that cannot carry a NIK's digits is kept: these are masked as if no id were in them."""
    kept = mask_text(text)
    monkeypatch.setattr(privacy, "UUID", re.compile(r"(?!)"))  # no id kept at all
    assert kept == mask_text(text)
