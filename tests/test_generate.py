"""The demo generator writes what it promises: published totals, valid NIKs, deterministic files."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import polars as pl

from flows.settings import BANYUMAS_REGENCY_CODE
from flows.store.reference import load_villages
from tools.generate import APRIL_TOTALS, PERIODS, build_people, truth, write_landing_zone


def test_april_reproduces_the_published_banyumas_totals() -> None:
    april = truth(build_people(seed=42)).filter(pl.col("period") == "2024-04")
    by_group = april.group_by("group_code").agg(pl.col("members").sum(), pl.col("enrolled").sum())
    got = {r["group_code"]: (r["members"], r["enrolled"]) for r in by_group.iter_rows(named=True)}
    assert got["BPD"] == (3379, 3379)
    assert got["RT_RW"] == (12300, 900)
    assert got["LINMAS"] == (10400, 660)
    assert set(got) == set(APRIL_TOTALS)


def test_coverage_rises_toward_april_in_every_group() -> None:
    totals = truth(build_people(seed=42)).group_by("period", "group_code").agg(pl.col("enrolled").sum())
    for group in APRIL_TOTALS:
        series = totals.filter(pl.col("group_code") == group).sort("period")["enrolled"].to_list()
        assert series == sorted(series) and series[0] < series[-1], group


def test_every_village_reports_and_only_desa_have_a_bpd() -> None:
    april = truth(build_people(seed=42)).filter(pl.col("period") == "2024-04")
    villages = load_villages(region=BANYUMAS_REGENCY_CODE)
    assert april["village_code"].n_unique() == 331
    bpd = april.filter(pl.col("group_code") == "BPD").join(villages, on="village_code")
    assert set(bpd["village_type"]) == {"desa"}
    assert bpd.height == 301


def test_niks_encode_district_birth_date_and_sex() -> None:
    people = build_people(seed=42)
    for person in people[:2000]:
        assert len(person.nik) == 16 and person.nik.startswith("3302"), person.nik
        assert person.nik[4:6] == person.village_code[6:8]
        day = int(person.nik[6:8]) - (40 if person.sex == "P" else 0)
        assert dt.date(person.birth_date.year, int(person.nik[8:10]), day) == person.birth_date
        assert person.nik[10:12] == f"{person.birth_date:%y}"
        assert person.nik[12:] != "0000"
    enrolled = [p for p in people if p.enrolled_from is not None]
    assert all(len(p.kpj) == 11 and p.kpj.isdigit() for p in enrolled)


def test_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    villages = ("33.02.17.2008",)
    first = write_landing_zone(tmp_path / "a", seed=7, periods=PERIODS[:2], village_codes=villages, workers=1)
    second = write_landing_zone(tmp_path / "b", seed=7, periods=PERIODS[:2], village_codes=villages, workers=1)

    def digests(root: Path) -> dict[str, str]:
        return {
            p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*.xlsx")
        }

    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    assert sorted(digests(tmp_path / "a")) == ["2024-01/Cilongok/Batuanten.xlsx", "2024-02/Cilongok/Batuanten.xlsx"]
    assert first.equals(second)
