-- Replace the changed regencies' rows in the province warehouse's table {table} (attached as
-- `analyst`, a copy of the one last published): the rows equal to one they staged before
-- (${table}_old) go, the ones they stage now (${table}_new) come in. For a staged table published
-- as its regencies staged it (publish_staged_tables.sql: `select *`), whose rows name their
-- regency (a path, a run, a village or an action of it), so that no two regencies stage one row.
-- Run for each table STAGED_TABLES (flows/store/staging.py) marks "rows", after republish_regencies.sql.

create or replace temporary table old_rows as
select * from analyst.{table} limit 0;

insert into old_rows by name
select * from read_parquet(${table}_old, union_by_name = true, hive_partitioning = false);

-- whole rows compared, matched first on {column} (a path or village code, which names the regency, when the
-- table has one): its equality lets DuckDB skip the row groups whose values lie outside the old rows'
-- (a table's rows are written regency by regency); rows where it is null are matched apart
delete from analyst.{table}
where rowid in (
    select t.rowid from analyst.{table} as t join old_rows as o on t.{column} = o.{column} and t is not distinct from o
    union all
    select t.rowid from analyst.{table} as t
    join old_rows as o on t.{column} is null and o.{column} is null and t is not distinct from o
);

insert into analyst.{table} by name
select * from read_parquet(${table}_new, union_by_name = true, hive_partitioning = false);
