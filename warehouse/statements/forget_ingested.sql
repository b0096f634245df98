-- Forget what was ingested for period $period (all periods when null), so that a full
-- refresh reads those files again. Runs are kept. The versions that count for a closed period
-- are kept too (issue 21): their file may be gone from the landing zone (a correction written
-- over it), and the closed figures must not move. So are the versions at the paths the run
-- leaves unread (the registered frame unread_now: still being copied), which it cannot read
-- again: their village's figures would be missing until a later run.
create or replace temporary table kept_versions as
select distinct g.sha256
from governing_actions as a
join file_groups as g using (sha256, group_code)
where a.action = 'close' and g.is_current
union
select sha256 from ingested_files where source_file in (select source_file from unread_now);

delete from roster_rows where ($period is null or period = $period) and sha256 not in (select sha256 from kept_versions);
delete from validation_failures where ($period is null or period = $period) and sha256 not in (select sha256 from kept_versions);
delete from file_groups where ($period is null or period = $period) and sha256 not in (select sha256 from kept_versions);
delete from flagged_rows where ($period is null or period = $period) and sha256 not in (select sha256 from kept_versions);
delete from sheet_columns where sha256 in (
    select sha256 from ingested_files where $period is null or period = $period
) and sha256 not in (select sha256 from kept_versions);
delete from skipped_rows where sha256 in (
    select sha256 from ingested_files where $period is null or period = $period
) and sha256 not in (select sha256 from kept_versions);
delete from ingested_sheets where sha256 in (
    select sha256 from ingested_files where $period is null or period = $period
) and sha256 not in (select sha256 from kept_versions);
delete from ingested_files where ($period is null or period = $period) and sha256 not in (select sha256 from kept_versions);

-- the published warehouse no longer matches the state: the next run republishes it
update runs set published = null;
