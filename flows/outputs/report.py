"""One self-contained HTML page for a period: charts and tables from the warehouse views, no CDN."""

from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path

import duckdb
import polars as pl

from flows.store.sql import query_frame

CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2733}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #ccd}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
td,th{padding:.25rem .6rem;border-bottom:1px solid #e3e6ea;text-align:right}
td:first-child,th:first-child{text-align:left}
.note{color:#5b6775;font-size:.85rem}.provisional{color:#a15c00}
svg text{font-size:11px;fill:#1d2733}
"""

SECTIONS = {
    "coverage_by_group": "select group_code, members, enrolled, coverage_pct from coverage_by_group "
    "where period = $period order by group_code",
    "coverage_by_district": "select district_name, members, enrolled, coverage_pct, is_provisional "
    "from coverage_by_district where period = $period order by coverage_pct, district_name",
    "coverage_trend": "select period, group_code, coverage_pct, change_pct_points from coverage_trend "
    "where period <= $period order by group_code, period",
    "submission_status": "select district_name, villages_expected, villages_submitted, villages_rejected, "
    "completeness_pct from submission_status where period = $period order by completeness_pct, district_name",
    "target_progress": "select year, scope, target_pct, base_population, enrolled, achieved_pct, gap_people "
    "from target_progress where year = cast(left($period, 4) as integer) order by scope",
    "budget_gap": "select d.district_name, sum(b.uncovered)::bigint as uncovered, "
    "sum(b.monthly_cost_idr)::bigint as monthly_cost_idr, sum(b.annual_cost_idr)::bigint as annual_cost_idr "
    "from budget_gap b join districts d using (district_code) where b.period = $period "
    "group by d.district_name order by annual_cost_idr desc, d.district_name",
    "data_quality_by_village": "select v.village_name, v.district_name, q.rows_loaded, q.rows_rejected, "
    "q.error_rate, q.top_check from data_quality_by_village q join villages v using (village_code) "
    "where q.period = $period order by q.error_rate desc, q.rows_rejected desc, v.village_name limit 10",
}
TITLES = {
    "coverage_by_group": "Coverage by group",
    "coverage_by_district": "Coverage by district (kecamatan)",
    "coverage_trend": "Trend by group",
    "submission_status": "Reporting completeness by district",
    "target_progress": "Progress against the target",
    "budget_gap": "Budget gap: enrolling everyone not yet covered (minimum BPU contribution)",
    "data_quality_by_village": "Villages with the most rejected rows",
}


def cell(value: object) -> str:
    """A table cell's text: thousands separators for whole numbers, 'provisional' or nothing for a flag."""
    if isinstance(value, bool):
        return "provisional" if value else ""
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else escape(str(value))


def table_html(name: str, frame: pl.DataFrame) -> str:
    """A table whose cells carry `data-view`, `data-row` and `data-col`, so tests can read the figures back."""
    head = "".join(f"<th>{escape(c)}</th>" for c in frame.columns)
    body = "".join(
        f'<tr data-row="{index}">'
        + "".join(
            f'<td data-view="{name}" data-row="{index}" data-col="{escape(column)}">{cell(value)}</td>'
            for column, value in zip(frame.columns, row, strict=True)
        )
        + "</tr>"
        for index, row in enumerate(frame.iter_rows())
    )
    return f'<table id="{name}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def bars_svg(labels: list[str], values: list[float], maximum: float = 100.0, suffix: str = "%") -> str:
    """Horizontal bars as inline SVG."""
    height = 20 * len(labels) + 10
    rows = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 5 + 20 * index
        width = 0 if maximum == 0 else 520 * value / maximum
        rows.append(
            f'<text x="0" y="{y + 13}">{escape(label)}</text>'
            f'<rect x="170" y="{y}" width="{width:.1f}" height="15" fill="#2f6f9f"/>'
            f'<text x="{175 + width:.1f}" y="{y + 13}">{value:,.1f}{suffix}</text>'
        )
    return f'<svg role="img" width="760" height="{height}" xmlns="http://www.w3.org/2000/svg">{"".join(rows)}</svg>'


def trend_svg(trend: pl.DataFrame) -> str:
    """Coverage over periods, one line per group, as inline SVG."""
    periods = sorted(set(trend["period"]))
    colours = ("#2f6f9f", "#c0392b", "#27ae60", "#8e44ad", "#d68910")
    step = 600 / max(len(periods) - 1, 1)
    parts = [f'<text x="{60 + step * i:.0f}" y="215">{p}</text>' for i, p in enumerate(periods)]
    for colour, ((group,), rows) in zip(colours, trend.group_by("group_code", maintain_order=True), strict=False):
        points = " ".join(
            f"{60 + step * periods.index(p):.0f},{200 - 1.9 * v:.1f}"
            for p, v in zip(rows["period"], rows["coverage_pct"], strict=True)
        )
        last = rows.row(-1, named=True)
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.append(f'<text x="680" y="{200 - 1.9 * last["coverage_pct"]:.1f}" fill="{colour}">{group}</text>')
    return f'<svg role="img" width="760" height="225" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'


def render(frames: dict[str, pl.DataFrame], period: str) -> str:
    """The whole page."""
    by_group, by_district = frames["coverage_by_group"], frames["coverage_by_district"]
    charts = {
        "coverage_by_group": bars_svg(by_group["group_code"].to_list(), by_group["coverage_pct"].to_list()),
        "coverage_by_district": bars_svg(by_district["district_name"].to_list(), by_district["coverage_pct"].to_list()),
        "coverage_trend": trend_svg(frames["coverage_trend"]),
        "submission_status": bars_svg(
            frames["submission_status"]["district_name"].to_list(),
            frames["submission_status"]["completeness_pct"].to_list(),
        ),
    }
    sections = "".join(
        f"<section><h2>{TITLES[name]}</h2>{charts.get(name, '')}{table_html(name, frame)}</section>"
        for name, frame in frames.items()
    )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>cakupan {period}</title>'
        f"<style>{CSS}</style></head><body><h1>BPJS Ketenagakerjaan coverage of village government, "
        f"Kabupaten Banyumas: {escape(period)}</h1>"
        f'<p class="note">From the cakupan warehouse, {stamp}. Members are distinct people (by NIK); '
        f"district figures are provisional while fewer villages reported than the threshold.</p>"
        f"{sections}</body></html>"
    )


def write_report(warehouse: Path, period: str, out: Path) -> Path:
    """Query the views for `period` (read-only) and write the page to `out`."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frames = {name: query_frame(con, sql, {"period": period}) for name, sql in SECTIONS.items()}
    if frames["coverage_by_group"].is_empty():
        raise ValueError(f"no data for period {period!r} in {warehouse}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(frames, period), encoding="utf-8")
    return out
