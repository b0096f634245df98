-- Replace the changed regencies' rows ($changed: their codes) in the attached database `analyst`,
-- a copy of the province warehouse last published (flows/store/publish.py, republish_staged), in
-- the tables whose rows are counted across regencies or changed on the way in; republish_rows.sql
-- and republish_keyed.sql do the other staged tables. The statements read what the changed regencies staged before
-- ($<table>_old) and now ($<table>_new) and, of the other regencies' objects ($<table>_others),
-- only the rows of the people the changed regencies touch: the rest of the province
-- is neither read nor rewritten. After province_macros.sql, with the registered frame ref_checks;
-- $run_id names the province run. Figures equal publish_staged_tables.sql over every regency.

create or replace temporary table new_roster as
select * from read_parquet($roster_new, union_by_name = true, hive_partitioning = false)
semi join analyst.villages using (village_code);

-- the people whose cross-row warnings can change: each period and person_id a changed regency had or has
create or replace temporary table touched_people as
select period, person_id from read_parquet($roster_old, union_by_name = true, hive_partitioning = false)
union
select period, person_id from new_roster;

-- the published roster rows that go: the changed regencies' and, in any regency, the touched people's
-- (among counted_roster of republish_touched.sql). A regency's paths start with its code: $changed_from and
-- $changed_to bound them (the first code and a slash, the last and the character after the slash), so
-- that only the row groups that hold them are read (a table's rows are written regency by regency)
create or replace temporary table touched_rows as
select rowid as row_id, source_file, sha256, sheet, source_row from analyst.roster
where source_file >= $changed_from and source_file < $changed_to and list_contains($changed, split_part(source_file, '/', 1))
union
select row_id, source_file, sha256, sheet, source_row from counted_roster semi join touched_people using (period, person_id);

delete from analyst.validation_failures
where source_file >= $changed_from and source_file < $changed_to and list_contains($changed, split_part(source_file, '/', 1));

delete from analyst.validation_failures as v using touched_rows as t
where is_cross_row_check(v.check_name)
  and v.source_file = t.source_file and v.sha256 = t.sha256 and v.sheet = t.sheet and v.source_row = t.source_row;

delete from analyst.roster where rowid in (select row_id from touched_rows);

-- the touched people's staged rows in every regency: their cross-row warnings are counted again over them.
-- $roster_others holds only the other regencies' objects of the periods their published rows of these
-- people are in (republish_touched.sql, publish.republish_staged); $roster_new, whose rows the filter drops,
-- is read with them so that the list is never empty
create or replace temporary table touched_staged as
select * from new_roster
union all by name
select * from read_parquet(list_concat($roster_new, $roster_others), union_by_name = true, hive_partitioning = false)
semi join touched_people using (period, person_id)
semi join analyst.villages using (village_code)
where not list_contains($changed, split_part(source_file, '/', 1));

create or replace temporary view province_people as
select *, person_id as person from touched_staged;

insert into analyst.validation_failures by name
select * from read_parquet($validation_failures_new, union_by_name = true, hive_partitioning = false)
union all by name
select * from province_checks('province_people', $run_id);

create or replace temporary table republished_roster as
select * from roster_with_warnings('touched_staged', 'analyst.validation_failures');

insert into analyst.roster by name
from republished_roster;

-- counted_roster as analyst.roster holds the counted people now
delete from counted_roster where row_id in (select row_id from touched_rows);

insert into counted_roster by name
from republished_roster;

delete from analyst.ingested_sheets
where source_file >= $changed_from and source_file < $changed_to and list_contains($changed, split_part(source_file, '/', 1));

insert into analyst.ingested_sheets by name
select * exclude (period) from read_parquet($ingested_sheets_new, union_by_name = true, hive_partitioning = false);

-- one row per period and due date over every regency: the periods of due_periods counted again
-- ($due_dates_others: the other regencies' objects of those periods; $due_dates_new keeps the list non-empty)
delete from analyst.due_dates where period in (from due_periods);

insert into analyst.due_dates by name
select distinct * from read_parquet(
    list_concat($due_dates_new, $due_dates_others), union_by_name = true, hive_partitioning = false
)
where period in (from due_periods);
