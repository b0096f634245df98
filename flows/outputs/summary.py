"""The run summary: files and rows accounted for, and coverage by group, as markdown."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import polars as pl


@dataclass(frozen=True)
class RunSummary:
    """What a run did and what the warehouse now says."""

    run_id: str
    counts: dict[str, int]
    coverage: pl.DataFrame
    rejections: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what should worry an operator though the run completed
    seconds: float = 0.0  # the pipeline's own work, from preflight to the published warehouse

    def timed(self, seconds: float) -> RunSummary:
        return replace(self, seconds=seconds)

    def markdown(self) -> str:
        """The summary as a markdown document (the Prefect artifact)."""
        lines = [f"# cakupan run `{self.run_id}`", "", f"Pipeline work: {self.seconds:.1f} s.", ""]
        lines += [f"> **Warning:** {warning}" for warning in self.warnings] + [""] * bool(self.warnings)
        lines += ["| | count |", "|---|---:|"]
        lines += [f"| {name.replace('_', ' ')} | {value:,} |" for name, value in self.counts.items()]
        return "\n".join([*lines, "", "## Coverage by group", "", coverage_markdown(self.coverage)])


def coverage_markdown(coverage: pl.DataFrame) -> str:
    """coverage_by_group rows as a markdown table."""
    lines = ["| period | group | members | enrolled | coverage % | verified by BPJS | verified % |"]
    lines += ["|---|---|---:|---:|---:|---:|---:|"]
    lines += [
        f"| {r['period']} | {r['group_code']} | {r['members']:,} | {r['enrolled']:,} | {r['coverage_pct']} "
        f"| {shown(r['verified'])} | {shown(r['verified_pct'])} |"
        for r in coverage.iter_rows(named=True)
    ]
    return "\n".join(lines)


def shown(value: float | None) -> str:
    """A figure, or a dash where BPJS has sent no export for the period."""
    return "-" if value is None else f"{value:,}"


def summarize(
    run_id: str, counts: dict[str, int], coverage: pl.DataFrame, rejections: list[dict[str, str]], warnings: list[str]
) -> RunSummary:
    """Assemble the summary of a finished run."""
    return RunSummary(run_id, counts, coverage, rejections, warnings)
