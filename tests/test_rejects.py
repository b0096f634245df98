"""`cakupan rejects`: corrections workbooks per village, with reasons, original cells, and no formulas."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from flows.cli import app
from tests.helpers import ANI, BUDI, build_warehouse, write_roster

runner = CliRunner()


def test_one_workbook_per_village_with_rows_to_fix_and_no_formula(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    write_roster(
        raw / "2024-04" / "Batuanten.xlsx",
        {
            "RT RW": [
                [ANI, "Ani", "P", "Ketua RT 001", "Sudah", "12345678901"],
                ["3302171205", '=HYPERLINK("http://x")', "L", "Ketua RT 002", "=1+1", ""],
                [BUDI, "@Budi", "L", "Takmir", "Belum", ""],
            ]
        },
    )
    write_roster(
        raw / "2024-04" / "Karanglo.xlsx",
        {"BPD": [[BUDI, "Budi", "L", "Ketua BPD", "Sudah", "123"]]},
        village="KARANGLO",
    )
    build_warehouse(raw, warehouse)

    out = tmp_path / "out"
    result = runner.invoke(app, ["rejects", "--warehouse", str(warehouse), "--out", str(out), "--period", "2024-04"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["33.02.17.2008 Batuanten.xlsx", "33.02.17.2013 Karanglo.xlsx"]

    sheet = openpyxl.load_workbook(out / "33.02.17.2008 Batuanten.xlsx").active
    header = [c.value for c in sheet[3]]
    rows = [dict(zip(header, [c.value for c in row], strict=True)) for row in sheet.iter_rows(min_row=4)]
    by_check = {(r["BARIS"], r["KODE PEMERIKSAAN"]): r for r in rows}
    assert set(by_check) == {(6, "nik_length"), (6, "status_vocabulary"), (7, "role_unknown")}
    bad = by_check[(6, "status_vocabulary")]
    assert (bad["LEMBAR"], bad["TINGKAT"], bad["NILAI TERTULIS"]) == ("RT RW", "DITOLAK", "=1+1")
    assert bad["YANG PERLU DIPERBAIKI"].startswith("Status kepesertaan tidak dikenal")
    assert bad["NAMA"] == '=HYPERLINK("http://x")'
    assert by_check[(7, "role_unknown")]["NIK (disamarkan)"] == "330217******0002"
    for row in sheet.iter_rows(min_row=4):
        assert all(cell.data_type in {"s", "n"} for cell in row if cell.value is not None)

    karanglo = openpyxl.load_workbook(out / "33.02.17.2013 Karanglo.xlsx").active
    assert [c.value for c in karanglo[4]][4:6] == ["PERINGATAN", "kpj"]


def test_rejects_for_one_village_only(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    write_roster(raw / "2024-04" / "Batuanten.xlsx", {"BPD": [["1", "Ani", "P", "Anggota BPD", "Sudah", ""]]})
    write_roster(
        raw / "2024-04" / "Karanglo.xlsx", {"BPD": [["2", "Budi", "L", "Ketua BPD", "Sudah", ""]]}, village="KARANGLO"
    )
    build_warehouse(raw, warehouse)
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["rejects", "--warehouse", str(warehouse), "--out", str(out), "--village", "33.02.17.2013"]
    )
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == ["33.02.17.2013 Karanglo.xlsx"]
