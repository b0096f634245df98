"""The demo BPJS exports: readable in their layouts, consistent with the rosters, the seed's money exact.

The truth the generator returns is checked against the files it wrote by a reconciliation
written here from the files alone (headers through their aliases, messy values normalised).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import fastexcel
import polars as pl
import pytest

from tests.conftest import SMALL_VILLAGES
from tools.bpjs_exports import (
    CLAIM_COLUMNS,
    CONTRIBUTION_COLUMNS,
    PARTICIPANT_ALIASES,
    PARTICIPANT_COLUMNS,
    SPLIT_PERIOD,
    STATUS_CODES,
    BpjsTruth,
    export_paths,
    write_bpjs_exports,
)
from tools.generate import PERIODS, Person, build_people, people_truth, write_landing_zone
from tools.messy import MONTHS_SHORT

STATUS_WORDS = {
    "AKTIF": "AKTIF",
    "A": "AKTIF",
    "NON AKTIF": "NON AKTIF",
    "NA": "NON AKTIF",
    "MENUNGGAK": "MENUNGGAK",
    "BERAKHIR": "BERAKHIR",
    "MENINGGAL": "MENINGGAL",
}
TO_CONTRACT = dict(zip(PARTICIPANT_ALIASES, PARTICIPANT_COLUMNS, strict=True)) | {"NO KPJ": "KPJ"}


@pytest.fixture(scope="module")
def people() -> list[Person]:
    return build_people(seed=42)


@pytest.fixture(scope="module")
def regency(people: list[Person], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BpjsTruth]:
    out = tmp_path_factory.mktemp("bpjs")
    return out, write_bpjs_exports(out, people, PERIODS, seed=42)


def month_number(text: str) -> int:
    """'2024-04', 'Apr-24' or '04/2024' as year * 12 + month - 1."""
    if "/" in text:
        month, year = text.split("/")
    elif text[:3].isalpha():
        month, year = str(MONTHS_SHORT.index(text[:3].title()) + 1), f"20{text[4:]}"
    else:
        year, month = text.split("-")
    return int(year) * 12 + int(month) - 1


def parse_date(text: str) -> dt.date:
    """An Excel date read as text ('2022-01-17 00:00:00', '2022-01-17') or 'dd/mm/yyyy'."""
    if "/" in text:
        day, month, year = text.split("/")
        return dt.date(int(year), int(month), int(day))
    return dt.date.fromisoformat(text[:10])


def read_sheet(path: Path) -> pl.DataFrame:
    return fastexcel.read_excel(path).load_sheet(0, dtypes="string").to_polars()


def read_participants(path: Path) -> pl.DataFrame:
    frame = pl.read_csv(path, separator=";", infer_schema=False) if path.suffix == ".csv" else read_sheet(path)
    return frame.rename({c: TO_CONTRACT.get(c, c) for c in frame.columns})


def participants_of(root: Path, period: str) -> pl.DataFrame:
    """Every part of a period's participants export (the generator splits one month in two)."""
    parts = sorted(export_paths(root, period)[0].parent.glob("Peserta*"))
    assert len(parts) == (2 if PERIODS.index(period) == SPLIT_PERIOD else 1)
    return pl.concat([read_participants(part) for part in parts], how="diagonal_relaxed")


def read_contributions(path: Path) -> pl.DataFrame:
    frame = pl.read_csv(path, separator=";", infer_schema=False)
    return frame.rename({"NO KPJ": "KPJ"}, strict=False)


def all_contributions(root: Path) -> pl.DataFrame:
    frames = [read_contributions(export_paths(root, p)[1]) for p in PERIODS]
    return pl.concat(frames).with_columns(
        month=pl.col("BULAN_IURAN").map_elements(month_number, return_dtype=pl.Int64),
        paid=pl.col("TGL_BAYAR").map_elements(parse_date, return_dtype=pl.Date),
        amount=pl.col("NOMINAL").cast(pl.Int64),
    )


def all_claims(root: Path) -> pl.DataFrame:
    return pl.concat([read_sheet(export_paths(root, p)[2]) for p in PERIODS]).with_columns(
        paid=pl.col("TGL_BAYAR").map_elements(parse_date, return_dtype=pl.Date),
        amount=pl.col("NOMINAL").cast(pl.Int64),
    )


def groups_by_identity(people: list[Person]) -> dict[str, set[str]]:
    """Roster groups by NIK and by roster KPJ, as downstream attributes money to a group."""
    groups: dict[str, set[str]] = {}
    for person in people:
        for key in (person.nik, person.kpj):
            if key:
                groups.setdefault(key, set()).add(person.group_code)
    return groups


def yearly_by_group(frame: pl.DataFrame, people: list[Person], group: str) -> dict[int, int]:
    groups = groups_by_identity(people)
    rows = frame.select("KPJ", "NIK", "paid", "amount").iter_rows()
    totals: dict[int, int] = {}
    for kpj, nik, paid, amount in rows:
        if group in groups.get(nik or "", groups.get(kpj, set())):
            totals[paid.year] = totals.get(paid.year, 0) + amount
    return totals


def test_vulnerable_workers_money_reproduces_the_seed_exactly(
    regency: tuple[Path, BpjsTruth], people: list[Person]
) -> None:
    root, truth = regency
    contributions = all_contributions(root)
    paid = yearly_by_group(contributions, people, "RENTAN")
    assert (paid[2022], paid[2023]) == (500_000_000, 500_000_000)
    claims = all_claims(root)
    claimed = yearly_by_group(claims, people, "RENTAN")
    assert (claimed[2022], claimed[2023]) == (1_500_000_000, 2_500_000_000)
    assert set(claims["PROGRAM"]) <= {"JKK", "JKM", "JHT"}
    assert set(claims.filter(pl.col("PROGRAM") == "JKM")["amount"]) == {42_000_000}
    assert claims.filter(pl.col("PROGRAM") == "JKK")["amount"].n_unique() > 50  # varied amounts
    history = contributions.filter(pl.col("paid") < dt.date(2024, 1, 1))
    assert (history["month"] // 12 == history["paid"].dt.year()).all()  # month covered and paid in the same year
    assert set(history["amount"]) >= {16_800, 21_800, 26_800}
    rentan = truth.contributions_by_year.filter(pl.col("group_code") == "RENTAN", pl.col("year") < 2024)
    assert rentan["amount_idr"].to_list() == [500_000_000, 500_000_000]
    rentan_claims = truth.claims_by_year.filter(pl.col("group_code") == "RENTAN", pl.col("year") < 2024)
    assert rentan_claims.group_by("year").agg(pl.col("amount_idr").sum()).sort("year")["amount_idr"].to_list() == [
        1_500_000_000,
        2_500_000_000,
    ]


def test_history_is_in_the_first_period_and_natural_keys_repeat_nowhere(regency: tuple[Path, BpjsTruth]) -> None:
    root, _ = regency
    for number, period in enumerate(PERIODS):
        paid = all_contributions_of(root, period)["paid"]
        start = dt.date(2022, 1, 1) if number == 0 else dt.date.fromisoformat(f"{period}-01")
        assert paid.min() >= start and paid.max().strftime("%Y-%m") == period
    contributions = all_contributions(root)
    assert contributions.select("KPJ", "month", "paid").is_unique().all()
    assert all_claims(root)["NO_KLAIM"].is_unique().all()


def all_contributions_of(root: Path, period: str) -> pl.DataFrame:
    return read_contributions(export_paths(root, period)[1]).with_columns(
        paid=pl.col("TGL_BAYAR").map_elements(parse_date, return_dtype=pl.Date)
    )


def test_files_have_the_contract_headers_then_aliases_and_text_identifiers(regency: tuple[Path, BpjsTruth]) -> None:
    root, _ = regency
    seen_statuses: set[str] = set()
    seen_months: set[str] = set()
    for number, period in enumerate(PERIODS):
        members, contributions, claims = export_paths(root, period)
        assert members.name == f"Peserta BPJS TK {period}.xlsx" and contributions.name == f"Iuran {period}.csv"
        frame = read_sheet(members)
        assert tuple(frame.columns) == (PARTICIPANT_COLUMNS if number == 0 else PARTICIPANT_ALIASES)
        kpj, nik = frame.columns[0], frame.columns[1]
        assert frame[kpj].str.contains(r"^\d{11}$").all()
        assert frame[nik].drop_nulls().str.contains(r"^\d{16}$").all() and frame[nik].null_count() > 0
        seen_statuses |= set(frame[frame.columns[7]])
        seen_months |= set(frame[frame.columns[8]].drop_nulls())
        assert set(frame["PROGRAM"]) == {"JKK", "JKM", "JHT"} and set(frame["SEGMEN"]) == {"PU", "BPU"}
        header = contributions.read_text(encoding="utf-8").split("\n", 1)[0]
        assert header == ";".join(("KPJ" if number == 0 else "NO KPJ", *CONTRIBUTION_COLUMNS[1:]))
        assert tuple(read_sheet(claims).columns) == CLAIM_COLUMNS
    assert {"AKTIF", "Aktif", "A", "NON AKTIF", "NA", "MENUNGGAK", "BERAKHIR", "MENINGGAL"} <= seen_statuses
    assert {"2024-04", "Apr-24", "04/2024"} <= seen_months


def reconcile_from_files(root: Path, people: list[Person]) -> pl.DataFrame:
    """This test's own reconciliation: the roster side from the people, the BPJS side from the files."""
    rows = []
    reported = people_truth(people)
    for number, period in enumerate(PERIODS):
        month = number + 2024 * 12
        frame = participants_of(root, period).unique("KPJ")
        bpjs = {}
        for kpj, nik, name, birth, status, last in frame.select(
            "KPJ", "NIK", "NAMA", "TGL_LAHIR", "STATUS", "BULAN_IURAN_TERAKHIR"
        ).iter_rows():
            record = (kpj, nik, name, parse_date(birth), STATUS_WORDS[status.upper()], last and month_number(last))
            bpjs[kpj] = bpjs[nik or kpj] = record
        roster_kpj = {p.nik: p.kpj for p in people if p.present(number) and p.enrolled(number)}
        identity = {p.nik: (" ".join(p.name.upper().split()), p.birth_date) for p in people}
        for village, group, nik, enrolled in (
            reported.filter(pl.col("period") == period)
            .select("village_code", "group_code", "nik", "enrolled")
            .iter_rows()
        ):
            record, matched_on = bpjs.get(nik), "nik"
            if record is None and enrolled:
                record, matched_on = bpjs.get(roster_kpj[nik]), "kpj"
            warnings = []
            if record is None:
                status, matched_on = ("tidak_ditemukan" if enrolled else "tidak_terdaftar"), None
            else:
                kpj, export_nik, name, birth, word, last = record
                paid_up = last is not None and last >= month - 3
                if enrolled:
                    lapsed = word == "MENUNGGAK" or not paid_up
                    status = (
                        "non_aktif"
                        if word not in ("AKTIF", "MENUNGGAK")
                        else "menunggak"
                        if lapsed
                        else "terverifikasi"
                    )
                else:
                    status = "belum_dilaporkan" if word == "AKTIF" and paid_up else "tidak_terdaftar"
                if matched_on == "kpj":
                    warnings.append("nik_missing" if export_nik is None else "nik_differs")
                if name != identity[nik][0]:
                    warnings.append("name_differs")
                if birth != identity[nik][1]:
                    warnings.append("birth_date_differs")
            rows.append((period, village, group, nik, status, matched_on, sorted(warnings)))
    columns = ["period", "village_code", "group_code", "nik", "status", "matched_on", "warnings"]
    return pl.DataFrame(rows, schema=columns, orient="row").sort(columns[:4])


def test_truth_is_what_the_files_say(regency: tuple[Path, BpjsTruth], people: list[Person]) -> None:
    root, truth = regency
    expected = truth.statuses.select("period", "village_code", "group_code", "nik", "status", "matched_on", "warnings")
    got = reconcile_from_files(root, people)
    assert got.height == expected.height == people_truth(people).height
    assert got.equals(expected.sort("period", "village_code", "group_code", "nik"))
    assert set(expected["status"]) == set(STATUS_CODES)


def test_last_paid_month_is_the_last_month_paid_by_the_end_of_the_period(regency: tuple[Path, BpjsTruth]) -> None:
    root, _ = regency
    contributions = all_contributions(root)
    for number, period in enumerate(PERIODS):
        end = dt.date(2024, number + 2, 1) - dt.timedelta(days=1)
        last_paid = contributions.filter(pl.col("paid") <= end).group_by("KPJ").agg(pl.col("month").max())
        frame = participants_of(root, period).unique("KPJ")
        stated = frame.select(
            "KPJ", month=pl.col("BULAN_IURAN_TERAKHIR").map_elements(month_number, return_dtype=pl.Int64)
        )
        joined = stated.join(last_paid, on="KPJ", how="full", coalesce=True)
        assert joined.filter(pl.col("month").ne_missing(pl.col("month_right"))).height == 0, period


def test_enrolled_roster_people_are_active_paid_up_members_under_their_kpj(
    regency: tuple[Path, BpjsTruth], people: list[Person]
) -> None:
    root, truth = regency
    april = truth.statuses.filter(pl.col("period") == "2024-04", pl.col("reported_enrolled"))
    verified = april.filter(pl.col("status") == "terverifikasi", pl.col("matched_on") == "nik")
    assert verified.height / april.height > 0.85
    assert set(verified["last_paid_month"]) == {"2024-04", "2024-03"}
    kpj = {p.nik: p.kpj for p in people if p.kpj}
    assert all(kpj[n] == k for n, k in verified.select("nik", "kpj").iter_rows())
    monthly = all_contributions(root).filter(pl.col("paid") >= dt.date(2024, 1, 1))["amount"].value_counts()
    assert monthly.sort("count")["amount"][-1] == 16_800  # the BPU minimum is by far the commonest
    never = {p.nik for p in people} - {p.nik for p in people if p.enrolled_from is not None}
    listed = set(participants_of(root, "2024-04")["NIK"].drop_nulls())
    planted_d = set(truth.planted.filter(pl.col("kind") == "d")["nik"])
    # the never-enrolled BPJS knows are the planted (d) and vulnerable workers covered in 2022-2023
    history = truth.statuses.filter(
        pl.col("group_code") == "RENTAN", pl.col("bpjs_status").is_in(["NON AKTIF", "BERAKHIR", "MENINGGAL"])
    )
    assert never & listed <= planted_d | set(history["nik"])


def test_planted_disagreements_are_a_few_percent_each(regency: tuple[Path, BpjsTruth]) -> None:
    _, truth = regency
    april = truth.statuses.filter(pl.col("period") == "2024-04").unique("nik")
    reported = april.filter(pl.col("reported_enrolled"))
    shares = reported["status"].value_counts(normalize=True)
    share = dict(shares.iter_rows())
    for status in ("tidak_ditemukan", "non_aktif", "menunggak"):
        assert 0.02 <= share[status] <= 0.045, (status, share)
    for warning in ("nik_missing", "nik_differs"):
        assert 0.01 <= reported["warnings"].list.contains(warning).mean() <= 0.03
    known = april.filter(pl.col("matched_on").is_not_null())
    differs = known["warnings"].list.contains("name_differs") | known["warnings"].list.contains("birth_date_differs")
    assert 0.01 <= differs.mean() <= 0.05
    not_reported = april.filter(~pl.col("reported_enrolled"))
    assert 0.01 <= (not_reported["status"] == "belum_dilaporkan").mean() <= 0.03
    # (a) is the same people in every period they are reported enrolled
    unknown = truth.statuses.filter(pl.col("status") == "tidak_ditemukan").group_by("period").agg(pl.col("nik"))
    planted_a = set(truth.planted.filter(pl.col("kind") == "a")["nik"])
    assert all(set(niks) <= planted_a for niks in unknown["nik"])


def test_reported_figures_stay_exact(regency: tuple[Path, BpjsTruth]) -> None:
    _, truth = regency
    april = truth.statuses.filter(pl.col("period") == "2024-04").unique(["group_code", "nik"])
    got = {
        g: (n, e)
        for g, n, e in april.group_by("group_code").agg(pl.len(), pl.col("reported_enrolled").sum()).iter_rows()
    }
    assert got["BPD"] == (3379, 3379) and got["RT_RW"] == (12300, 900) and got["LINMAS"] == (10400, 660)


def test_a_few_villages_get_their_share_of_the_regency_exports(
    regency: tuple[Path, BpjsTruth], people: list[Person], tmp_path: Path
) -> None:
    small = write_bpjs_exports(tmp_path, people, PERIODS, seed=42, village_codes=SMALL_VILLAGES)
    whole = regency[1].statuses.filter(pl.col("village_code").is_in(SMALL_VILLAGES))
    assert small.statuses.sort("period", "village_code", "group_code", "nik").equals(
        whole.sort("period", "village_code", "group_code", "nik")
    )
    ours = {p.nik for p in people if p.village_code in SMALL_VILLAGES}
    everyone = {p.nik for p in people}
    for period in PERIODS:
        _, contributions, _ = export_paths(tmp_path, period)
        listed = participants_of(tmp_path, period)
        assert listed.height > 0
        niks = set(listed["NIK"].drop_nulls())
        assert niks & everyone <= ours and len(niks - everyone) <= 0.05 * len(niks)  # the rest: mistyped NIKs
        assert set(read_contributions(contributions)["KPJ"]) <= set(listed["KPJ"])
    assert small.planted["nik"].is_in(list(ours)).all()


def test_the_landing_zone_hook_writes_the_exports_beside_unchanged_rosters(tmp_path: Path) -> None:
    village = ("33.02.17.2008",)
    plain = write_landing_zone(tmp_path / "a", seed=7, periods=PERIODS[:2], village_codes=village, workers=1)
    with_bpjs = write_landing_zone(
        tmp_path / "b", seed=7, periods=PERIODS[:2], village_codes=village, workers=1, bpjs_exports=True
    )
    write_landing_zone(tmp_path / "c", seed=7, periods=PERIODS[:2], village_codes=village, workers=1, bpjs_exports=True)
    assert plain.equals(with_bpjs)

    def digests(root: Path) -> dict[str, str]:
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*.*")}

    rosters = {k: v for k, v in digests(tmp_path / "b").items() if "/BPJS/" not in k}
    assert rosters == digests(tmp_path / "a")
    assert digests(tmp_path / "b") == digests(tmp_path / "c")  # byte-identical for the same seed
    assert sorted(k for k in digests(tmp_path / "b") if "/BPJS/" in k) == [
        "2024-01/BPJS/Iuran 2024-01.csv",
        "2024-01/BPJS/Klaim 2024-01.xlsx",
        "2024-01/BPJS/Peserta BPJS TK 2024-01.xlsx",
        "2024-02/BPJS/Iuran 2024-02.csv",
        "2024-02/BPJS/Klaim 2024-02.xlsx",
        "2024-02/BPJS/Peserta BPJS TK 2024-02.xlsx",
    ]
    other_seed = write_landing_zone(
        tmp_path / "d", seed=8, periods=PERIODS[:2], village_codes=village, workers=1, bpjs_exports=True
    )
    assert other_seed.height > 0
    assert (
        digests(tmp_path / "d")["2024-02/BPJS/Iuran 2024-02.csv"]
        != digests(tmp_path / "b")["2024-02/BPJS/Iuran 2024-02.csv"]
    )
