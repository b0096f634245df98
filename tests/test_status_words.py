"""Status values in one language (issue 27): every status-like value an analyst view shows is an Indonesian
code of docs/glossary.md's translation table, while the state database keeps the English codes it always
stored."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from flows.store import periods
from tests.conftest import SMALL_VILLAGES
from tests.helpers import BATUANTEN, build_warehouse, close_regency, frame, send_late_bpd, state_of
from tools.generate import Jump, write_landing_zone

GLOSSARY = Path(__file__).parents[1] / "docs" / "glossary.md"
CODE = re.compile(r"[a-z]+(?:_[a-z]+)*")
# A column is status-like by its name (unless its values are sentences), or when every value it shows looks like
# a code.
STATUS_NAME = re.compile(r"(?:^|_)(?:status|state|scope|action|set_by|source|level|type|kind)$")
# Columns that are not statuses, and why: codes that name a thing (shown as words by the report),
# free text as written, or the words of another party.
NOT_STATUS = {
    "group_code": "a group's code (RT_RW), named by group_label",
    "check_name": "a check's code, named in Indonesian by the check catalogue (the report shows the words)",
    "top_check": "the same check codes",
    "kind": "the kind of file: roster or the BPJS export's code (bpjs_participants)",
    "cut": "which key columns a base row is counted over (as in internal.coverage_base)",
    "acted_by": "a person's name, as given",
    "followed_up_by": "a person's name, as given",
    "reason": "free text, as the operator wrote it",
    "follow_up_note": "free text, as the operator wrote it",
    "bpjs_status": "BPJS's own status word, as its export has it",
}
# The published tables of the period audit, translated at publish (the state keeps English).
TABLES = ("period_actions", "file_arrivals")


def vocabulary() -> set[str]:
    """The codes of the glossary's 'Status values' table (a row may hold two: `desa` / `kelurahan`)."""
    table = GLOSSARY.read_text().split("## Status values", 1)[1]
    rows = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    return {code for row in rows for code in re.findall(r"`([a-z_]+)`", row)}


def status_values(warehouse: Path) -> dict[tuple[str, str], set[str]]:
    """(view or table, column) -> the values shown, for every status-like text column of the analyst views."""
    found: dict[tuple[str, str], set[str]] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.execute(
            "select c.table_name, c.column_name from information_schema.columns as c "
            "join information_schema.tables as t using (table_schema, table_name) "
            "where c.table_schema = 'main' and c.data_type = 'VARCHAR' "
            "and (t.table_type = 'VIEW' or c.table_name in $tables) order by all",
            {"tables": list(TABLES)},
        ).fetchall()
        for relation, column in columns:
            if column in NOT_STATUS:
                continue
            values = {
                str(value)
                for (value,) in con.execute(
                    f'select distinct "{column}" from "{relation}" where "{column}" is not null limit 200'
                ).fetchall()
            }
            named = STATUS_NAME.search(column) and not any(" " in value for value in values)  # not free text
            if values and (named or all(CODE.fullmatch(value) for value in values)):
                found[(relation, column)] = values
    return found


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two months with every status there is: a jump flagged and followed up, a file rejected whole, a month
    closed with a late correction held, then accepted, a kecamatan reopened."""
    root = tmp_path_factory.mktemp("words")
    raw, warehouse = root / "raw", root / "cakupan.duckdb"
    jump = Jump(BATUANTEN, "RT_RW", "2024-03", "members_up")
    months = ("2024-02", "2024-03")
    write_landing_zone(
        raw, seed=42, periods=months, village_codes=SMALL_VILLAGES, workers=1, bpjs_exports=True, jumps=[jump]
    )
    rejected = next(path for path in sorted((raw / "2024-02").rglob("*.xlsx")) if "Cilongok" not in path.parts)
    rejected.write_bytes(b"not a spreadsheet")
    (raw / "2024-03" / "catatan.txt").write_text("bukan daftar")
    build_warehouse(raw, warehouse)
    close_regency(warehouse, "2024-02")
    close_regency(warehouse, "2024-03")
    state = state_of(warehouse)
    periods.reopen_period(state, "2024-02", periods.Scope("33.02.17", "Cilongok"), ["33.02.17"], periods.Actor("r"))
    send_late_bpd(raw, "2024-03")
    build_warehouse(raw, warehouse)
    flag = {"period": "2024-03", "village_code": BATUANTEN, "group_code": "RT_RW", "check_name": "members_change"}
    periods.follow_up(state, warehouse, flag, "diperiksa", periods.Actor("asked"))
    build_warehouse(raw, warehouse)
    return warehouse


def test_every_status_an_analyst_view_shows_is_an_indonesian_word_of_the_glossary(warehouse: Path) -> None:
    words = vocabulary()
    assert {"ditutup", "terbuka", "kabupaten", "dijelaskan", "tepat_waktu", "dimuat"} <= words
    found = status_values(warehouse)
    outside = {key: sorted(values - words) for key, values in found.items() if values - words}
    assert not outside, f"status values not in docs/glossary.md's Status values table: {outside}"
    seen = set(found)
    for key in [
        ("period_status", "status"),
        ("period_status", "scope"),
        ("outliers", "follow_up_status"),
        ("period_actions", "action"),
        ("period_actions", "follow_up_status"),
        ("file_reconciliation", "status"),
        ("submission_status_by_village", "status"),
        ("submission_timeliness_by_village", "arrival_source"),
        ("target_progress", "target_set_by"),
        ("file_arrivals", "arrival_source"),
    ]:
        assert key in seen, f"{key} showed no value: the fixture no longer exercises it"
    assert {"ditutup", "terbuka"} <= found[("period_status", "status")]
    assert {"tutup", "buka_kembali", "tindak_lanjut"} <= found[("period_actions", "action")]
    assert {"dimuat", "ditolak", "ditahan"} <= found[("file_reconciliation", "status")]


def test_an_english_status_would_fail_the_scan(warehouse: Path, tmp_path: Path) -> None:
    """The scan catches a new English status, whatever the column is called."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("create view late_villages as select 'late' as state, 'pending_review' as outcome")
    found = status_values(copy)
    assert found[("late_villages", "state")] == {"late"} and found[("late_villages", "outcome")] == {"pending_review"}
    assert not {"late", "pending_review"} & vocabulary()


def test_the_state_keeps_english_and_the_command_takes_either_word(warehouse: Path) -> None:
    """An existing state database keeps working: it stores the English codes, the publish translates them."""
    with duckdb.connect(str(state_of(warehouse)), read_only=True) as con:
        stored = con.execute("select action, follow_up_status from period_actions order by action_id").fetchall()
    assert {action for action, _ in stored} == {"close", "reopen", "follow_up"}
    assert [status for action, status in stored if action == "follow_up"] == ["investigating"]
    flag = {"period": "2024-03", "village_code": BATUANTEN, "group_code": "RT_RW", "check_name": "members_change"}
    with pytest.raises(periods.PeriodActionError, match="terbuka, diperiksa, dijelaskan, dikoreksi"):
        periods.follow_up(state_of(warehouse), warehouse, flag, "done", periods.Actor("r"))
    shown = frame(warehouse, "select follow_up_status from outliers where check_name = 'members_change'")
    assert shown["follow_up_status"].to_list() == ["diperiksa"]
    periods.follow_up(state_of(warehouse), warehouse, flag, "explained", periods.Actor("the RT was split"))
    with duckdb.connect(str(state_of(warehouse)), read_only=True) as con:
        assert con.execute(
            "select follow_up_status from period_actions order by action_id desc limit 1"
        ).fetchall() == [("explained",)]
