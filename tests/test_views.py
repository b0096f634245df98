"""Expected rows: given these roster rows, the coverage views return these rows."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

import duckdb

from flows.settings import state_path_for
from tests.helpers import ANI, BUDI, CITRA, build_warehouse, nik_like_values, query, write_roster


def test_people_count_once_per_cut_and_enrolled_in_any_row(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    write_roster(
        raw / "2024-04" / "Batuanten.xlsx",
        {
            "RT RW": [
                [ANI, "Ani", "P", "Ketua RT 001", "Belum", ""],
                [BUDI, "Budi", "L", "Ketua RW 01", "Belum", ""],
                [BUDI, "Budi", "L", "Bendahara RT", "Sudah", "12345678901"],
                [CITRA, "Citra", "L", "Sekretaris RT", "Belum", ""],
            ],
            "LKD": [[ANI, "Ani", "P", "Kader Posyandu", "Sudah", "12345678902"]],
        },
    )
    build_warehouse(raw, warehouse)

    assert query(warehouse, "select * from coverage_by_group order by all") == [
        ("2024-04", "LKD", "Pengurus LKD", 1, 1, 100.0),
        ("2024-04", "RT_RW", "Pengurus RT/RW", 3, 1, 33.3),
    ]
    assert query(warehouse, "select period, members, enrolled, coverage_pct from coverage_regency") == [
        ("2024-04", 3, 2, 66.7),  # Ani in both groups counts once
    ]
    assert query(warehouse, "select * from coverage_by_district order by all") == [
        ("2024-04", "33.02.17", "Cilongok", 3, 2, 66.7, True),  # 1 of 16 villages reported: provisional
    ]
    assert query(warehouse, "select group_code, members, enrolled from coverage_by_district_group order by all") == [
        ("LKD", 1, 1),
        ("RT_RW", 3, 1),
    ]
    assert query(
        warehouse,
        "select village_code, village_name, village_type, group_code, members, enrolled from coverage_by_village "
        "order by all",
    ) == [
        ("33.02.17.2008", "Batuanten", "desa", "LKD", 1, 1),
        ("33.02.17.2008", "Batuanten", "desa", "RT_RW", 3, 1),
    ]


def test_analyst_warehouse_holds_no_nik_like_value(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    write_roster(raw / "2024-04" / "Batuanten.xlsx", {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", "1"]]})
    build_warehouse(raw, warehouse)
    assert nik_like_values(warehouse) == []
    state = state_path_for(warehouse)
    # the scan finds raw NIKs where they are kept (and the state view of the current rows over them)
    assert nik_like_values(state) == ["current_roster_rows.nik", "roster_rows.nik"]
    assert all(path.stat().st_mode & 0o077 == 0 for path in state.parent.iterdir())
    assert state.parent.stat().st_mode & 0o077 == 0
    assert warehouse.stat().st_mode & 0o777 == 0o644
    with duckdb.connect(str(state), read_only=True) as con:
        assert con.sql("select nik from roster_rows").fetchall() == [(ANI,)]
        assert con.sql("select nik_raw from flagged_rows").fetchall() == [("330217******0001",)]
    digest = hmac.new(os.environ["CAKUPAN_PII_KEY"].encode(), ANI.encode(), hashlib.sha256).digest()  # conftest's key
    assert query(warehouse, "select person_id from roster") == [
        (base64.urlsafe_b64encode(digest).decode().rstrip("="),)
    ]


def test_cross_row_warnings_two_villages_and_inconsistent_enrolment(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    write_roster(
        raw / "2024-04" / "Batuanten.xlsx",
        {
            "RT RW": [[ANI, "Ani", "P", "Ketua RT 001", "Belum", ""]],
            "LKD": [[ANI, "Ani", "P", "PKK", "Sudah", "12345678901"]],
        },
    )
    write_roster(
        raw / "2024-04" / "Cilongok" / "Karanglo.xlsx",
        {
            "BPD": [
                [ANI, "Ani", "P", "Anggota BPD", "Sudah", "12345678901"],
                [BUDI, "Budi", "L", "Ketua BPD", "Sudah", "12345678902"],
            ]
        },
        village="KARANGLO",
    )
    build_warehouse(raw, warehouse)
    got = query(
        warehouse,
        "select source_file, sheet, source_row, check_name, failure_value from validation_failures "
        "where check_name in ('nik_in_two_villages', 'enrolment_inconsistent') and is_current "
        "order by all",
    )
    batuanten, karanglo = "2024-04/Batuanten.xlsx", "2024-04/Cilongok/Karanglo.xlsx"
    assert [(f, s, r, c) for f, s, r, c, _ in got] == [
        (batuanten, "LKD", 5, "enrolment_inconsistent"),
        (batuanten, "LKD", 5, "nik_in_two_villages"),
        (batuanten, "RT RW", 5, "enrolment_inconsistent"),
        (batuanten, "RT RW", 5, "nik_in_two_villages"),
        (karanglo, "BPD", 5, "enrolment_inconsistent"),
        (karanglo, "BPD", 5, "nik_in_two_villages"),
    ]
    assert all(value.startswith("330217******0001 (") for *_, value in got)
    flagged = query(warehouse, "select sheet, source_row, has_warning from roster order by all")
    assert (("BPD", 6, False) in flagged) and (("BPD", 5, True) in flagged)
