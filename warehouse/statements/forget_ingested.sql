-- Forget what was ingested for period $period (all periods when null), so that a full
-- refresh reads those files again. Runs are kept.
delete from roster_rows where $period is null or period = $period;
delete from validation_failures where $period is null or period = $period;
delete from file_groups where $period is null or period = $period;
delete from flagged_rows where $period is null or period = $period;
delete from bpjs_peserta where $period is null or period = $period;
delete from bpjs_iuran where $period is null or period = $period;
delete from bpjs_klaim where $period is null or period = $period;
delete from sheet_columns where sha256 in (
    select sha256 from ingested_files where $period is null or period = $period
);
delete from ingested_sheets where sha256 in (
    select sha256 from ingested_files where $period is null or period = $period
);
delete from ingested_files where $period is null or period = $period;

-- the published warehouse no longer matches the state: the next run republishes it
update runs set published = null;
