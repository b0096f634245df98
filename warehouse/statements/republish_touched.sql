-- What a province republish (publish.republish_staged) touches besides the changed regencies' own rows,
-- found in the attached copy `analyst` before republish_regencies.sql.
--
-- counted_people: the people it may count differently in internal.people_counts: each period and
-- person_id the changed regencies had or have on a roster or beside BPJS. Every other person's rows
-- are in regencies that did not change, so what they count in each cut stays as published. Their
-- counts, before and after, are taken with catalog.counting_over over analyst.roster and
-- analyst.verification semi joined with this table (republish_people_counts.sql).

create or replace temporary table counted_people as
select period, person_id from read_parquet(
    list_concat($roster_old, $roster_new), union_by_name = true, hive_partitioning = false
)
union
select period, person_id from read_parquet(
    list_concat($verification_old, $verification_new), union_by_name = true, hive_partitioning = false
);

-- and everyone beside BPJS in a period that the changed regencies' files bring or take away: a village
-- has a submission status in each period some file names (submission_status_by_village.sql), so a
-- kecamatan of another regency whose people that period are only beside BPJS gains or loses one
insert into counted_people
with old as (
    select period from read_parquet($ingested_files_old, union_by_name = true, hive_partitioning = false)
),

new as (
    select period from read_parquet($ingested_files_new, union_by_name = true, hive_partitioning = false)
),

kept as (
    select period from analyst.ingested_files where not list_contains($changed, split_part(source_file, '/', 1))
)

select period, person_id from analyst.verification
where period in (((from old union from new) except (from old intersect from new)) except from kept);

-- counted_partitions: the other regencies' staged roster objects (by regency and period) that hold
-- these people's rows, as published: republish_regencies.sql reads those (its touched_people are
-- among these people), not every one
create or replace temporary table counted_partitions as
select distinct split_part(source_file, '/', 1) as regency_code, period
from analyst.roster semi join counted_people using (period, person_id)
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
