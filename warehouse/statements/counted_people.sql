-- The people a republish may count differently in internal.people_counts (publish.republish_staged):
-- each period and person_id the changed regencies had or have on a roster or beside BPJS. Every other
-- person's rows are in regencies that did not change, so what they count in each cut stays as published.
-- Before republish_regencies.sql; the counts of these people, before and after, are taken with
-- catalog.count_over over analyst.roster and analyst.verification semi joined with this table.

create or replace temporary table counted_people as
select period, person_id from read_parquet(
    list_concat($roster_old, $roster_new), union_by_name = true, hive_partitioning = false
)
union
select period, person_id from read_parquet(
    list_concat($verification_old, $verification_new), union_by_name = true, hive_partitioning = false
);
