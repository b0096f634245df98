-- The state table of one kind of BPJS export, made from its registry entry (schemas/exports.py
-- EXPORTS) by state_exports.for_each_export: {table} is the kind's name, {columns} its kept columns with
-- their types. Each row is one accepted export row, with raw NIKs and names: like roster_rows,
-- only in the state database.
create table if not exists {table} (
    sha256 varchar not null,
    source_file varchar not null,
    period varchar not null,
    sheet varchar not null,
    source_row integer not null,
    {columns},
    run_id varchar not null
);
