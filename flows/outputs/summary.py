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
        for title, labels in COUNT_TABLES:
            shown = [(label, self.counts[name]) for name, label in labels.items() if self.counts.get(name) is not None]
            if shown:
                lines += [f"## {title}", "", "| | count |", "|---|---:|"]
                lines += [f"| {label} | {value:,} |" for label, value in shown] + [""]
        return "\n".join([*lines, "## Coverage by group", "", coverage_markdown(self.coverage)])


# The run's counts (runs' columns, and the run's checks) by what they count: this run's work, or every file version
# recorded so far, which a log's "N files in ..., M new or changed" is not (a file read in two versions is two).
COUNT_TABLES = (
    (
        "This run",
        {
            "files_new": "file versions new this run (read, or recorded as a copy)",
            "rows_loaded": "rows loaded",
            "rows_rejected": "rows rejected",
            "rows_skipped": "rows skipped (blank, totals, signatures)",
            "files_unread": "files left for a later run",
            "files_vanished": "files no longer in the landing zone (their data kept)",
            "villages_missing": "villages that sent nothing for the newest period",
        },
    ),
    (
        "Every run so far: file versions recorded",
        {
            "files_seen": "file versions recorded",
            "files_loaded": "loaded",
            "files_rejected": "rejected",
            "files_superseded": "superseded by a newer version",
            "files_ignored": "ignored",
            "files_pending": "held for a closed period (counted once reopened or accepted)",
        },
    ),
)


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
