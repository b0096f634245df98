"""Validation: errors reject a row, warnings flag it, every failure names its row and column."""

from __future__ import annotations

import polars as pl

from flows.ingest.headers import CANONICAL_COLUMNS
from flows.ingest.normalize import normalize
from flows.ingest.validate import validate
from schemas.roster import ROW_CHECKS, SET_CHECKS, check_catalog


def rows(**columns: list[str | None]) -> pl.DataFrame:
    height = len(next(iter(columns.values())))
    base = pl.DataFrame(
        {c: columns.get(c, [None] * height) for c in CANONICAL_COLUMNS},
        schema=dict.fromkeys(CANONICAL_COLUMNS, pl.String),
    )
    return normalize(
        base.with_columns(
            group_hint=pl.lit("RT_RW"),
            is_vulnerable_workers=pl.lit(False),
            source_file=pl.lit("2024-04/Cilongok/Batuanten.xlsx"),
            sha256=pl.lit("abc"),
            period=pl.lit("2024-04"),
            sheet=pl.lit("RT RW"),
            source_row=pl.int_range(pl.len(), dtype=pl.Int32) + 7,
            village_code=pl.lit("33.02.17.2008"),
            village_type=pl.lit(columns.get("village_type", ["desa"])[0]),
        )
    )


def failed(failures: pl.DataFrame) -> set[tuple[int, str, str]]:
    return set(failures.select("source_row", "check_name", "severity").rows())


def test_each_error_rejects_its_row_and_names_the_check() -> None:
    accepted, failures = validate(
        rows(
            nik=[
                "3302171205750001",
                None,
                "3.30217E+15",
                "330217120575001",
                "0000000000000000",
                "3302179905750001",
                "3302171205750002",
                "3302171205750003",
                "3302171205750000",
            ],
            status=["Sudah", "Belum", "Belum", "Belum", "Belum", "Belum", "mungkin", "Belum", "Belum"],
            kpj=["12345678901", None, None, None, None, None, None, None, None],
            role=[
                "Ketua RT 001",
                "Ketua RT 001",
                "Ketua RT 001",
                "Ketua RT 001",
                "Ketua RT 001",
                "Ketua RT 001",
                "Ketua RT 001",
                "Takmir",
                "Ketua RT 001",
            ],
        )
    )
    assert accepted["source_row"].to_list() == [7]
    assert failed(failures.filter(pl.col("severity") == "error")) == {
        (8, "nik_missing", "error"),
        (9, "nik_scientific_notation", "error"),
        (10, "nik_length", "error"),
        (11, "nik_all_zeros", "error"),
        (12, "nik_birth_date", "error"),
        (13, "status_vocabulary", "error"),
        (14, "role_unknown", "error"),
        (15, "nik_serial", "error"),
    }


def test_bpd_in_a_kelurahan_is_an_error() -> None:
    accepted, failures = validate(
        rows(nik=["3302171205750001"], role=["Anggota BPD"], status=["Belum"], village_type=["kelurahan"])
    )
    assert accepted.is_empty()
    assert failed(failures) == {(7, "bpd_in_kelurahan", "error")}


def test_warnings_load_the_row_and_flag_it() -> None:
    accepted, failures = validate(
        rows(
            nik=["3172171205750001", "3302171205750002", "3302171205750003"],
            sex=["L", "P", "L"],
            birth_date=["12-05-1975", "12-05-1975", "13-05-1975"],
            status=["Sudah", "Belum", "Sudah"],
            kpj=["1234567890", None, None],
            contribution=["10.000", None, None],
            role=["Ketua RT 001"] * 3,
        )
    )
    assert accepted["source_row"].to_list() == [7, 8, 9]
    assert accepted["has_warning"].to_list() == [True, True, True]
    assert failed(failures) == {
        (7, "nik_outside_regency", "warning"),
        (7, "kpj_length", "warning"),
        (7, "contribution_below_minimum", "warning"),
        (8, "nik_sex_mismatch", "warning"),
        (9, "nik_birth_date_mismatch", "warning"),
        (9, "enrolled_without_kpj", "warning"),
    }


def test_failures_locate_the_cell_and_mask_the_nik() -> None:
    _, failures = validate(rows(nik=["330217120575001"], status=["Belum"], role=["Ketua RT 001"]))
    row = failures.row(0, named=True)
    assert row["source_file"] == "2024-04/Cilongok/Batuanten.xlsx"
    assert (row["sheet"], row["source_row"], row["column_name"]) == ("RT RW", 7, "nik")
    assert row["failure_value"] == "330217*****5001"
    assert row["message"].startswith("NIK tidak 16 digit")


def test_every_check_has_an_indonesian_message_and_a_known_severity() -> None:
    catalog = check_catalog()
    assert catalog.height == len(ROW_CHECKS) + len(SET_CHECKS) == catalog["check_name"].n_unique()
    assert set(catalog["severity"]) == {"error", "warning"}
    assert catalog["message"].str.len_chars().min() > 10
    # each says what is wrong, then what to do: one sentence each at least
    assert catalog["problem"].str.ends_with(".").all() and catalog["fix"].str.ends_with(".").all()
    assert catalog["fix"].str.len_chars().min() > 10


def test_exact_duplicate_row_is_loaded_once_and_flagged() -> None:
    accepted, failures = validate(
        rows(
            nik=["3302171205750001"] * 2 + ["3302171205750002"],
            status=["Sudah", "Sudah", "Belum"],
            kpj=["12345678901", "12345678901", None],
            role=["Ketua RT 001"] * 3,
            row_no=["1", "2", "3"],
        )
    )
    assert accepted["source_row"].to_list() == [7, 9]
    assert failed(failures) == {(8, "duplicate_row", "warning")}
    assert failures["message"][0].startswith("Sama dengan baris 7. ")


def test_every_check_is_documented_for_auditors() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[1] / "docs" / "ingestion.md").read_text()
    for row in check_catalog().iter_rows(named=True):
        assert f"| `{row['check_name']}` | {row['severity']} | {row['column_name']} | {row['message']} |" in doc


def test_a_birth_date_that_disagrees_with_the_nik_is_flagged_but_never_shown() -> None:
    _, failures = validate(
        rows(nik=["3302175205800001"], birth_date=["01-01-1980"], status=["Belum"], role=["Ketua RT 001"])
    )
    mismatch = failures.filter(pl.col("check_name") == "nik_birth_date_mismatch")
    assert mismatch.height == 1 and mismatch["failure_value"].to_list() == [None]  # personal data stays out
