-- Build the province warehouse's tables in the attached database `analyst` from the Parquet its
-- regencies' child runs staged (stage_regency.sql, flows/store/staging.py): the tables
-- publish_tables.sql builds from one state database, with every path prefixed by its regency
-- code. Only the objects the committed manifests name are read ($<table>_objects for each table of
-- STAGED_TABLES, flows/store/staging.py). Runs after publish_reference.sql (it reads
-- analyst.villages), with the registered frame ref_checks (the check catalogue); $run_id names
-- the province run. No NIK, name or birth date is staged: people are person_id, computed by
-- each regency with the same key (the publisher refuses manifests of different keys). The
-- partitions are known from the manifests, so the objects' hive-style paths are not read as columns.

create or replace temporary table staged_roster as
select * from read_parquet($roster_objects, union_by_name = true, hive_partitioning = false)
semi join analyst.villages using (village_code);

-- The cross-row warnings, counted again over the whole province (province_macros.sql) by
-- person_id (the keyed hash of the NIK) instead of the NIK: the same person in two villages in
-- one period, of any regency, and one person enrolled in one row and not in another. Staged
-- failures hold none of them (each regency's are left out).
create or replace temporary view province_people as
select *, person_id as person from staged_roster;

create table analyst.validation_failures as
select * from read_parquet($validation_failures_objects, union_by_name = true, hive_partitioning = false)
union all by name
select * from province_checks('province_people', $run_id);

create table analyst.roster as
select * from roster_with_warnings('staged_roster', 'analyst.validation_failures');

create table analyst.ingested_files as
select * from read_parquet($ingested_files_objects, union_by_name = true, hive_partitioning = false);

create table analyst.skipped_rows as
select * from read_parquet($skipped_rows_objects, union_by_name = true, hive_partitioning = false);

create table analyst.ingested_sheets as
select * exclude (period) from read_parquet($ingested_sheets_objects, union_by_name = true, hive_partitioning = false);

create table analyst.runs as
select * from read_parquet($runs_objects, union_by_name = true, hive_partitioning = false);

create table analyst.verification as
select * from read_parquet($verification_objects, union_by_name = true, hive_partitioning = false);

create table analyst.verification_sources as
select * from read_parquet($verification_sources_objects, union_by_name = true, hive_partitioning = false);

-- a payment or claim two regencies' exports both hold is one
create table analyst.bpjs_contributions as
select * from read_parquet($bpjs_contributions_objects, union_by_name = true, hive_partitioning = false)
qualify row_number() over (partition by payment_id order by group_code nulls last) = 1;

create table analyst.bpjs_claims as
select * from read_parquet($bpjs_claims_objects, union_by_name = true, hive_partitioning = false)
qualify row_number() over (partition by claim_id order by group_code nulls last) = 1;

-- the periods of every regency: closing, holding and accepting happen per regency (its own
-- `cakupan close`), and the province shows each regency's trail and snapshots side by side
create table analyst.due_dates as
select distinct * from read_parquet($due_dates_objects, union_by_name = true, hive_partitioning = false);

create table analyst.file_arrivals as
select * from read_parquet($file_arrivals_objects, union_by_name = true, hive_partitioning = false);

create table analyst.period_actions as
select * from read_parquet($period_actions_objects, union_by_name = true, hive_partitioning = false);

create table analyst.closed_versions as
select * from read_parquet($closed_versions_objects, union_by_name = true, hive_partitioning = false);

create table analyst.closed_figures as
select * from read_parquet($closed_figures_objects, union_by_name = true, hive_partitioning = false);

create table analyst.pending_corrections as
select * from read_parquet($pending_corrections_objects, union_by_name = true, hive_partitioning = false);
