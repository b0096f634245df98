"""The baseline: a straightforward pandas + openpyxl implementation of the same pipeline.

What a careful analyst would write without fastexcel, polars or set-based SQL: read each
sheet with `pandas.read_excel` (openpyxl, xlrd, odf) or `read_csv`, find the header with the
same aliases, normalise row by row in Python, count members per village and group, and
write the result to DuckDB. It takes the same files; what it cannot read it skips.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd

from flows.ingest.headers import canonical_column, sheet_group
from flows.ingest.normalize import ENROLLED_WORDS, NOT_ENROLLED_WORDS, ROLE_GROUPS
from flows.ingest.place import build_gazetteer, place
from flows.settings import BANYUMAS_REGENCY_CODE
from flows.store.reference import load_villages

ENGINES = {".xlsx": "openpyxl", ".xls": "xlrd", ".ods": "odf"}


def read_sheets(path: Path) -> dict[str, pd.DataFrame]:
    """Every sheet as text, or nothing when pandas cannot read the file."""
    try:
        if path.suffix.lower() == ".csv":
            for encoding in ("utf-8-sig", "cp1252"):
                try:
                    frame = pd.read_csv(path, sep=None, engine="python", header=None, dtype=str, encoding=encoding)
                    return {path.stem: frame}
                except UnicodeDecodeError:
                    continue
            return {}
        sheets: dict[str, pd.DataFrame] = pd.read_excel(
            path, sheet_name=None, header=None, dtype=str, engine=ENGINES.get(path.suffix.lower())
        )
        return sheets
    except Exception:  # the baseline skips what it cannot read
        return {}


def row_group(role: str | None, hint: str | None) -> str | None:
    """The group of a role, row by row."""
    if not role:
        return hint
    for pattern, group in ROLE_GROUPS:
        if re.search(pattern, role.upper()):
            return group
    return None


def roster_rows(frame: pd.DataFrame, sheet: str) -> list[dict[str, object]]:
    """Normalised data rows of one sheet, one Python dict per row."""
    for index in range(min(10, len(frame))):
        labels = [canonical_column(v if isinstance(v, str) else None) for v in frame.iloc[index].tolist()]
        if len({label for label in labels if label}) >= 3 and {"nik", "name"} & set(labels):
            break
    else:
        return []
    rows = []
    hint = sheet_group(sheet)
    for _, raw in frame.iloc[index + 1 :].iterrows():
        record = {label: raw.iloc[i] for i, label in enumerate(labels) if label and isinstance(raw.iloc[i], str)}
        text = " ".join(v for v in raw.tolist() if isinstance(v, str)).upper()
        if text.strip().startswith(("JUMLAH", "TOTAL")):
            break
        nik = re.sub(r"[\s.'-]", "", str(record.get("nik", "")))
        if not re.fullmatch(r"\d{16}", nik):
            continue
        status = str(record.get("status", "")).strip().upper()
        if status in ENROLLED_WORDS:
            enrolled = True
        elif status in NOT_ENROLLED_WORDS or status in ("", "NAN"):
            enrolled = bool(record.get("kpj")) and status in ("", "NAN")
        else:
            continue
        group = "RENTAN" if "occupation" in record and "role" not in record else row_group(record.get("role"), hint)
        if group:
            rows.append({"nik": nik, "group_code": group, "enrolled": enrolled})
    return rows


def run_baseline(raw_dir: Path, warehouse: Path) -> int:
    """Read every file under `raw_dir`, count coverage per period, village and group into `warehouse`; rows kept."""
    villages = build_gazetteer(load_villages(region=BANYUMAS_REGENCY_CODE))
    records = []
    for path in sorted(p for p in raw_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(raw_dir).as_posix()
        for sheet, frame in read_sheets(path).items():
            title = {}
            for value in frame.head(8).stack().tolist():
                match = re.match(r"^(DESA|KELURAHAN)\s*:?\s*(.+)$", str(value), re.IGNORECASE)
                if match:
                    title["village"] = match.group(2)
            village = place(title, relative, villages).village_code
            if village is None:
                continue
            for row in roster_rows(frame, sheet):
                records.append({**row, "period": relative[:7], "village_code": village})
    people = pd.DataFrame.from_records(records)
    coverage = (
        people.groupby(["period", "village_code", "group_code", "nik"])["enrolled"]
        .any()
        .reset_index()
        .groupby(["period", "village_code", "group_code"])
        .agg(members=("nik", "size"), enrolled=("enrolled", "sum"))
        .reset_index()
    )
    with duckdb.connect(str(warehouse)) as con:
        con.register("coverage_frame", coverage)
        con.execute("create or replace table coverage_by_village as select * from coverage_frame")
    return len(records)
