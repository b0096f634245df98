-- Build the province warehouse's tables in the attached database `analyst` from the Parquet its
-- regencies' child runs staged (stage_regency.sql, flows/store/staging.py): the tables
-- publish_tables.sql builds from one state database, with every path prefixed by its regency
-- code. Only the objects the committed manifests name are read ($roster_objects, $ingested_files_objects,
-- $ingested_sheets_objects, $validation_failures_objects, $runs_objects, $verification_objects,
-- $verification_sources_objects,
-- $bpjs_contributions_objects, $bpjs_claims_objects). Runs after publish_reference.sql (it reads
-- analyst.villages), with the registered frame ref_checks (the check catalogue); $run_id names
-- the province run. No NIK, name or birth date is staged: people are person_id, computed by
-- each regency with the same key (the publisher refuses manifests of different keys). The
-- partitions are known from the manifests, so the objects' hive-style paths are not read as columns.

create or replace temporary table staged_roster as
select * from read_parquet($roster_objects, union_by_name = true, hive_partitioning = false)
semi join analyst.villages using (village_code);

-- The cross-row warnings, counted again over the whole province with the one definition
-- refresh_current.sql counts them with in one state database (create_macros.sql, cross_row_flags), by person_id (the keyed hash of the NIK) instead of the NIK: the
-- same person in two villages in one period, of any regency, and one person enrolled in one row
-- and not in another. Staged failures hold none of them (each regency's are left out).
create or replace temporary view province_people as
select *, person_id as person from staged_roster;

create or replace temporary table province_checks as
select
    $run_id as run_id, f.period, f.source_file, f.sha256, f.sheet, f.source_row, f.group_code,
    k.column_name, f.check_name, k.severity, f.nik_masked || ' (' || f.shown || ')' as failure_value,
    k.message, true as is_current
from cross_row_flags('province_people') as f
join ref_checks as k using (check_name);

create table analyst.validation_failures as
select * from read_parquet($validation_failures_objects, union_by_name = true, hive_partitioning = false)
union all by name
select * from province_checks;

-- a row has a warning when a current warning names it, the province's cross-row ones included
create table analyst.roster as
select r.* exclude (nik_masked) replace (
    exists (
        select 1 from analyst.validation_failures as v
        where v.sha256 = r.sha256 and v.sheet = r.sheet and v.source_row = r.source_row
          and v.is_current and v.severity = 'warning'
    ) as has_warning
)
from staged_roster as r;

create table analyst.ingested_files as
select * from read_parquet($ingested_files_objects, union_by_name = true, hive_partitioning = false);

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
