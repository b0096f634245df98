"""One list of the analyst tables a regency stages (staging.STAGED_TABLES): every script that stages, publishes or
republishes them names exactly those, and they are every table of the regency warehouse but the reference ones."""

from __future__ import annotations

import re

from flows.settings import STATEMENTS_DIR
from flows.store.catalog import table_docs, table_statements
from flows.store.staging import KEYED, ONE_PER_KEY, OWN, ROWS, STAGED_TABLES


def named(script: str, pattern: str) -> set[str]:
    """What `pattern`'s group matches in the statements (not the comments) of warehouse/statements/<script>.sql."""
    text = re.sub(r"--[^\n]*", "", (STATEMENTS_DIR / f"{script}.sql").read_text())
    return set(re.findall(pattern, text))


def test_the_staged_tables_are_the_regency_warehouse_tables_but_the_reference_ones() -> None:
    reference = {doc.name for doc in table_docs([STATEMENTS_DIR / "publish_reference.sql"])}
    regency = {doc.name for doc in table_docs(table_statements())}
    assert set(STAGED_TABLES) == regency - reference


def test_staging_names_every_staged_table() -> None:
    assert named("stage_regency", r"create or replace temporary table staged_(\w+)") == set(STAGED_TABLES)


def test_the_full_publisher_builds_every_staged_table_from_its_objects() -> None:
    assert named("publish_staged_tables", r"create table analyst\.(\w+)") == set(STAGED_TABLES)
    assert named("publish_staged_tables", r"\$(\w+)_objects") == set(STAGED_TABLES)


def test_the_incremental_publisher_replaces_every_staged_table() -> None:
    assert set(STAGED_TABLES.values()) == {OWN, ROWS, KEYED}
    assert {table for table, how in STAGED_TABLES.items() if how == KEYED} == set(ONE_PER_KEY)
    own = {table for table, how in STAGED_TABLES.items() if how == OWN}
    assert named("republish_regencies", r"(?:delete from|insert into) analyst\.(\w+)") == own
    assert named("republish_regencies", r"\$(\w+)_new") == own
    assert named("republish_rows", r"analyst\.\{(\w+)\}") == {"table"}  # run for each ROWS table, by name
    assert named("republish_keyed", r"analyst\.\{(\w+)\}") == {"table"}  # and for each KEYED one
