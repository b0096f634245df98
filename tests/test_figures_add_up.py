"""Figures that add up: each view's people, summed as an analyst would, against distinct people counted from `roster`.

The truth is computed here in polars from the roster rows (one row per loaded row: a person
holding two posts has two), never from a view. The demo zone has people on two groups'
rosters (LKD members who are also RT/RW officials) and people with two posts in one group, so
a view that counted rows or added groups would fail these tests.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from tests.helpers import frame

RATE = 16_800  # contribution_rates.csv: JKK 1% of Rp 1,000,000 + JKM Rp 6,800


@pytest.fixture(scope="module")
def warehouse(copy_demo_warehouse: Callable[[Path], Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_demo_warehouse(tmp_path_factory.mktemp("add_up") / "warehouse")


@pytest.fixture(scope="module")
def rows(warehouse: Path) -> pl.DataFrame:
    return frame(warehouse, "select period, district_code, village_code, group_code, person_id, enrolled from roster")


def distinct(rows: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Distinct people per key and those enrolled in any of their rows, straight from the roster rows."""
    people = rows.group_by([*keys, "person_id"]).agg(pl.col("enrolled").any())
    return (
        people.group_by(keys)
        .agg(members=pl.len(), enrolled=pl.col("enrolled").sum())
        .with_columns(uncovered=pl.col("members") - pl.col("enrolled"))
        .sort(keys)
    )


def test_the_demo_zone_has_people_on_two_groups_so_sums_differ(rows: pl.DataFrame) -> None:
    by_group = distinct(rows, ["period", "group_code"]).group_by("period").agg(pl.col("members").sum())
    regency = distinct(rows, ["period"])
    joined = by_group.join(regency, on="period", suffix="_distinct")
    assert (joined["members"] > joined["members_distinct"]).all()  # what an analyst adding groups would get


def test_coverage_regency_is_distinct_people_over_all_groups(warehouse: Path, rows: pl.DataFrame) -> None:
    got = frame(warehouse, "select period, members, enrolled from coverage_regency order by period")
    assert got.to_dicts() == distinct(rows, ["period"]).drop("uncovered").to_dicts()


@pytest.mark.parametrize(
    ("view", "keys"),
    [
        ("coverage_by_group", ["period", "group_code"]),
        ("coverage_trend", ["period", "group_code"]),
        ("coverage_by_district", ["period", "district_code"]),
        ("coverage_by_district_group", ["period", "district_code", "group_code"]),
        ("coverage_by_village", ["period", "village_code", "group_code"]),
    ],
)
def test_coverage_views_count_distinct_people_per_row(
    warehouse: Path, rows: pl.DataFrame, view: str, keys: list[str]
) -> None:
    columns = ", ".join(keys)
    got = frame(warehouse, f"select {columns}, members, enrolled from {view} order by {columns}")
    assert got.to_dicts() == distinct(rows, keys).drop("uncovered").to_dicts()


def test_coverage_by_group_summed_over_groups_is_not_the_regency_total(warehouse: Path) -> None:
    """The documented trap: the sum over groups exceeds coverage_regency, which is the number to use."""
    (summed, regency) = frame(
        warehouse,
        "select (select sum(members) from coverage_by_group where period = '2024-04'), "
        "(select members from coverage_regency where period = '2024-04')",
    ).row(0)
    assert summed > regency


def test_budget_gap_total_is_distinct_uncovered_people_for_the_regency_and_each_district(
    warehouse: Path, rows: pl.DataFrame
) -> None:
    regency = frame(
        warehouse,
        "select period, members, uncovered, monthly_cost_idr, annual_cost_idr from budget_gap_total "
        "where area_level = 'kabupaten' order by period",
    )
    truth = distinct(rows, ["period"])
    assert regency.select("period", "members", "uncovered").to_dicts() == truth.drop("enrolled").to_dicts()
    assert (regency["monthly_cost_idr"] == regency["uncovered"] * RATE).all()
    assert (regency["annual_cost_idr"] == regency["uncovered"] * RATE * 12).all()
    districts = frame(
        warehouse,
        "select period, district_code, members, uncovered from budget_gap_total "
        "where area_level = 'kecamatan' order by period, district_code",
    )
    assert districts.to_dicts() == distinct(rows, ["period", "district_code"]).drop("enrolled").to_dicts()


def test_budget_gap_rows_are_per_group_and_add_up_to_more_than_the_distinct_total(
    warehouse: Path, rows: pl.DataFrame
) -> None:
    got = frame(
        warehouse,
        "select period, district_code, group_code, uncovered, annual_cost_idr from budget_gap "
        "order by period, district_code, group_code",
    )
    truth = distinct(rows, ["period", "district_code", "group_code"])
    assert got.drop("annual_cost_idr").to_dicts() == truth.select(got.columns[:-1]).to_dicts()
    summed = got.filter(pl.col("period") == "2024-04")["uncovered"].sum()
    (total,) = frame(
        warehouse, "select uncovered from budget_gap_total where period = '2024-04' and area_level = 'kabupaten'"
    ).row(0)
    assert summed > total  # why budget_gap_total exists


def test_target_progress_counts_the_groups_people_and_its_gap(warehouse: Path, rows: pl.DataFrame) -> None:
    got = frame(warehouse, "select period, group_code, members, enrolled, gap_people from target_progress")
    truth = distinct(rows, ["period", "group_code"]).join(got, on=["period", "group_code"], suffix="_view")
    assert truth.height == got.height > 0
    assert (truth["members"] == truth["members_view"]).all() and (truth["enrolled"] == truth["enrolled_view"]).all()
    assert (truth["gap_people"] == truth["uncovered"]).all()  # every target in group_targets.csv is 100%


def test_regency_target_context_counts_distinct_enrolled_of_the_latest_month(
    warehouse: Path, rows: pl.DataFrame
) -> None:
    (enrolled,) = frame(warehouse, "select roster_enrolled from regency_target_context where year = 2024").row(0)
    latest = rows.filter(pl.col("period") == rows["period"].max())
    assert enrolled == latest.filter(pl.col("enrolled"))["person_id"].n_unique()


def test_coverage_by_district_adjusted_adds_memberships_over_groups_and_expects_the_regency_rates(
    warehouse: Path, rows: pl.DataFrame
) -> None:
    per_group = distinct(rows, ["period", "district_code", "group_code"])
    rates = distinct(rows, ["period", "group_code"]).select(
        "period", "group_code", rate=pl.col("enrolled") / pl.col("members")
    )
    truth = (
        per_group.join(rates, on=["period", "group_code"])
        .group_by("period", "district_code")
        .agg(
            memberships=pl.col("members").sum(),
            enrolled_memberships=pl.col("enrolled").sum(),
            expected=(pl.col("members") * pl.col("rate")).sum(),
        )
        .sort("period", "district_code")
    )
    got = frame(
        warehouse,
        "select period, district_code, memberships, enrolled_memberships, expected_enrolled, coverage_index "
        "from coverage_by_district_adjusted order by period, district_code",
    )
    columns = ["period", "district_code", "memberships", "enrolled_memberships"]
    assert got.select(columns).to_dicts() == truth.drop("expected").to_dicts()
    assert (got["expected_enrolled"] - truth["expected"].round(1)).abs().max() < 0.051  # type: ignore[operator]
    index = (truth["enrolled_memberships"] / truth["expected"]).round(2)
    assert (got["coverage_index"] - index).abs().max() < 0.0051  # type: ignore[operator]


def test_the_crude_coverage_of_a_district_is_one_figure_in_every_view(warehouse: Path) -> None:
    """Issue 27: the adjusted view's crude figure once counted memberships (22.4 beside 22.6);
    it is now coverage_pct, as in coverage_by_district."""
    crude = frame(
        warehouse,
        "select a.period, a.district_code, a.coverage_pct as crude_pct, d.coverage_pct "
        "from coverage_by_district_adjusted a "
        "full join coverage_by_district d using (period, district_code)",
    )
    assert crude.height > 0 and crude.filter(pl.col("crude_pct").ne_missing(pl.col("coverage_pct"))).is_empty()
    regency = frame(
        warehouse,
        "select bool_and(abs(a.mix_adjusted_pct - a.coverage_index * r.coverage_pct) "
        "<= 0.005 * r.coverage_pct + 0.05 * a.coverage_index + 0.06) "
        "as scaled from coverage_by_district_adjusted a join coverage_regency r using (period)",
    )
    assert regency["scaled"].to_list() == [True]  # scaled to the regency's one coverage figure (index rounded)


def test_the_recipe_for_a_set_of_groups_counts_each_person_once(warehouse: Path, rows: pl.DataFrame) -> None:
    """docs/analysts.md, example 7: with RT/RW and Linmas a person in both counts once; with every group
    the recipe gives coverage_by_district and coverage_regency again."""
    doc = (Path(__file__).parent.parent / "docs" / "analysts.md").read_text()
    recipe = doc[doc.index("### 7.") :].split('"')[1]
    latest = rows.filter(pl.col("period") == rows["period"].max())
    chosen = latest.filter(pl.col("group_code").is_in(["RT_RW", "LINMAS"]))
    regency = frame(warehouse, recipe).filter(pl.col("district_name").is_null()).row(0, named=True)
    assert regency["members"] == chosen["person_id"].n_unique()
    assert regency["enrolled"] == chosen.filter(pl.col("enrolled"))["person_id"].n_unique()
    every = recipe.replace("group_code in ('RT_RW', 'LINMAS')", "true")
    got = frame(warehouse, every).filter(pl.col("district_name").is_not_null()).sort("district_name")
    want = frame(
        warehouse,
        "select district_name, members, enrolled, coverage_pct from coverage_by_district "
        "where period = (select max(period) from coverage_regency) order by district_name",
    )
    assert got.equals(want)


def test_village_changes_count_each_person_once_across_groups(warehouse: Path, rows: pl.DataFrame) -> None:
    people = rows.group_by("period", "village_code", "person_id").agg(pl.col("enrolled").any())
    got = frame(
        warehouse,
        "select period, village_code, previous_period, added, removed, enrolled_gained, enrolled_lost "
        "from village_changes",
    )
    assert got.height > 0
    for change in got.iter_rows(named=True):
        now = people.filter(pl.col("period") == change["period"], pl.col("village_code") == change["village_code"])
        before = people.filter(
            pl.col("period") == change["previous_period"], pl.col("village_code") == change["village_code"]
        )
        now_ids, before_ids = set(now["person_id"]), set(before["person_id"])
        enrolled_now = set(now.filter(pl.col("enrolled"))["person_id"])
        enrolled_before = set(before.filter(pl.col("enrolled"))["person_id"])
        assert (change["added"], change["removed"]) == (len(now_ids - before_ids), len(before_ids - now_ids))
        assert (change["enrolled_gained"], change["enrolled_lost"]) == (
            len(enrolled_now - enrolled_before),
            len(enrolled_before - enrolled_now),
        )


def test_every_skipped_row_is_listed_with_why(warehouse: Path) -> None:
    """Issue 27: rows_skipped was a count only; skipped_rows lists each (file, sheet, row, why) in both languages."""
    mismatched = frame(
        warehouse,
        "select f.source_file, f.rows_skipped, count(s.source_row) as listed from ingested_files f "
        "left join skipped_rows s using (source_file, sha256) "
        "group by all having f.rows_skipped <> count(s.source_row)",
    )
    assert mismatched.is_empty(), mismatched
    kinds = frame(
        warehouse,
        "select row_kind, count(*) as n, bool_and(why <> '' and alasan <> '') as said from skipped_rows group by all",
    )
    assert {"total", "signature"} <= set(kinds["row_kind"]) and kinds["said"].all()
    (total,) = frame(warehouse, "select sum(rows_skipped) as n from ingested_files").row(0)
    assert total == kinds["n"].sum() > 0
