-- Record one batch of processed files: their accounting, their groups, their accepted
-- rows, their validation failures with the original cells of the failing rows, and their
-- sheets. Reads the registered frames batch_files, batch_rows, batch_failures,
-- batch_flagged, batch_sheets, batch_columns and batch_skipped (each export kind's rows: insert_export_rows.sql);
-- $run_id names the run.

-- A version already recorded is one read again after a passing failure (state_batches.known_versions):
-- its new record replaces the old one; the old attempt stays in file_attempts.
create or replace temporary table retried as
select f.source_file, f.sha256 from ingested_files as f join batch_files as b using (source_file, sha256);

delete from validation_failures as v
where exists (select 1 from retried as r where r.source_file = v.source_file and r.sha256 = v.sha256);

delete from ingested_sheets as s
where exists (select 1 from retried as r where r.source_file = s.source_file and r.sha256 = s.sha256);

delete from ingested_files as f
where exists (select 1 from retried as r where r.source_file = f.source_file and r.sha256 = f.sha256);

insert into file_attempts by name
select source_file, sha256, $run_id as run_id, reason from batch_files where transient;

insert into ingested_files by name
select source_file, sha256, period, village_code,
       case status when 'placed' then 'loaded' else status end as status,  -- loaded by this very transaction
       rows_read, rows_loaded, rows_rejected, rows_skipped, rows_duplicate, reason, reason_code, reason_params, alasan,
       modified_at, kind, transient, $run_id as run_id
from batch_files;

insert into file_groups by name
select distinct f.sha256, f.source_file, f.period, f.village_code, g.group_code, f.modified_at
from batch_files as f
join (
    select sha256, group_code from batch_rows
    union
    select sha256, group_code from batch_failures where group_code is not null
) as g using (sha256);

-- an export's slot is its kind for the period (create_state_tables.sql)
insert into file_groups by name
select sha256, source_file, period, 'BPJS' as village_code, kind as group_code, modified_at
from batch_files
where kind <> 'roster' and status = 'placed';


insert into roster_rows by name
select sha256, source_file, sheet, source_row, period, village_code, group_code, nik, name, sex,
       birth_date, role, rt, rw, enrolled, kpj, start_date, contribution_source, contribution_idr,
       occupation, has_warning, $run_id as run_id
from batch_rows;

insert into validation_failures by name
select $run_id as run_id, period, source_file, sha256, sheet, source_row, group_code, column_name,
       check_name, severity, failure_value, message
from batch_failures;

insert into flagged_rows by name
select * from batch_flagged;

insert into ingested_sheets by name
select sha256, source_file, sheet, status, reason, reason_code, reason_params, alasan, rows_read from batch_sheets;

insert into sheet_columns by name
select * from batch_columns;

insert into skipped_rows by name
select * from batch_skipped;

-- a rejected file is a failure of the whole file: its village is told why (`cakupan rejects`)
insert into validation_failures by name
select $run_id as run_id, period, source_file, sha256, 'berkas' as column_name, 'file_rejected' as check_name,
       'error' as severity, alasan as message
from batch_files
where status = 'rejected';
