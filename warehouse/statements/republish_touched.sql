-- What a province republish (publish.republish_staged) touches besides the changed regencies' own rows,
-- found in the attached copy `analyst` before republish_regencies.sql.
--
-- counted_people: the people it may count differently in internal.people_counts: each period and
-- person_id the changed regencies had or have on a roster or beside BPJS. Every other person's rows
-- are in regencies that did not change, so what they count in each cut stays as published, and so
-- does the provisional flag of those regencies' cuts: a cut of theirs in a period has people only
-- where their own files of that period were read (the rows beside BPJS are the rosters' people),
-- so the period has a submission status before and after (submission_status_by_village.sql). Their
-- counts, before and after, are taken with catalog.counting_over over counted_roster (below) and
-- analyst.verification semi joined with this table (republish_people_counts.sql).

create or replace temporary table counted_people as
select period, person_id from read_parquet(
    list_concat($roster_old, $roster_new), union_by_name = true, hive_partitioning = false
)
union
select period, person_id from read_parquet(
    list_concat($verification_old, $verification_new), union_by_name = true, hive_partitioning = false
);

-- counted_roster: these people's published roster rows in every regency, with their rowid, from the one
-- scan of analyst.roster a republish makes: of two columns, for the rowids, whose rows are then read whole
-- from the row groups that hold them. The counts before and after read it (publish.republish_staged),
-- republish_regencies.sql finds the touched people's rows to delete in it and keeps it current: the
-- rows it deletes go, the rows it inserts come in (they are all these people's)
create or replace temporary table counted_rowids as
select rowid as row_id from analyst.roster semi join counted_people using (period, person_id);

create or replace temporary table counted_roster as
select rowid as row_id, * from analyst.roster where rowid in (from counted_rowids);

-- counted_partitions: the other regencies' staged roster objects (by regency and period) that hold
-- these people's rows, as published: republish_regencies.sql reads those (its touched_people are
-- among these people), not every one
create or replace temporary table counted_partitions as
select distinct split_part(source_file, '/', 1) as regency_code, period
from counted_roster
where not list_contains($changed, split_part(source_file, '/', 1));

-- due_periods: the periods whose due dates the changed regencies staged otherwise before (a period
-- gone, come or changed): republish_regencies.sql counts those periods' rows again from them and from
-- the other regencies' due_dates objects of those periods only; every other period's rows stay
create or replace temporary table due_periods as
with old as (
    from read_parquet($due_dates_old, union_by_name = true, hive_partitioning = false)
),

new as (
    from read_parquet($due_dates_new, union_by_name = true, hive_partitioning = false)
)

select distinct period from ((from old except from new) union all (from new except from old));
