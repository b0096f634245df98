-- Replace the changed regencies' rows in the province warehouse's table {table} (attached as
-- `analyst`, a copy of the one last published), a table that holds one row per {key} over every
-- regency (publish_staged_tables.sql: a payment or claim two regencies' exports both hold is one).
-- The {key} values the changed regencies staged before (${table}_old) or stage now (${table}_new)
-- are chosen again among every regency's rows of them (${table}_others: only those rows are
-- read). Run for each table of ONE_PER_KEY (flows/store/staging.py), after republish_regencies.sql.

create or replace temporary table touched_keys as
select {key} from read_parquet(list_concat(${table}_old, ${table}_new), union_by_name = true, hive_partitioning = false);

delete from analyst.{table} where {key} in (select {key} from touched_keys);

insert into analyst.{table} by name
select * from read_parquet(list_concat(${table}_new, ${table}_others), union_by_name = true, hive_partitioning = false)
semi join touched_keys using ({key})
qualify row_number() over (partition by {key} order by group_code nulls last) = 1;
