-- Macros both province publishes share (publish_staged_tables.sql builds the province warehouse
-- whole, republish_regencies.sql replaces the changed regencies' rows in a copy of it), after
-- create_macros.sql. Temporary: they live in the publisher's session only.

-- The province's cross-row warnings over `rows` (a table or view of staged roster rows with
-- `person`, the person_id), counted with the one definition of create_macros.sql
-- (cross_row_flags), as rows of validation_failures found by the province run `checked_by`;
-- with the registered frame ref_checks (the check catalogue).
create or replace temporary macro province_checks(rows, checked_by) as table
select
    checked_by as run_id, f.period, f.source_file, f.sha256, f.sheet, f.source_row, f.group_code,
    k.column_name, f.check_name, k.severity, f.nik_masked || ' (' || f.shown || ')' as failure_value,
    k.message, true as is_current
from cross_row_flags(rows) as f
join ref_checks as k using (check_name);

-- The staged roster rows of `staged` as the analyst roster holds them: a row has a warning when
-- a current warning of `failures` (analyst.validation_failures) names it, the province's
-- cross-row ones included; the masked NIK stays behind.
create or replace temporary macro roster_with_warnings(staged, failures) as table
select r.* exclude (nik_masked) replace (
    exists (
        select 1 from query_table(failures) as v
        where v.sha256 = r.sha256 and v.sheet = r.sheet and v.source_row = r.source_row
          and v.is_current and v.severity = 'warning'
    ) as has_warning
)
from query_table(staged) as r;
